// Spanish: loaded on demand by the elements (see loadStrings in ../strings.ts), so a page in another
// language does not download it.
import type { NotificationStrings } from '../strings.js';

export const es: NotificationStrings = {
  bellLabel: 'Notificaciones',
  bellLabelUnread: 'Notificaciones, {count} sin leer',
  panelLabel: 'Notificaciones',
  heading: 'Notificaciones',
  markAllRead: 'Marcar todas como leídas',
  filterAll: 'Todas',
  filterUnread: 'Sin leer',
  filterLabel: 'Mostrar',
  empty: 'Todavía no hay notificaciones',
  emptyUnread: 'Estás al día',
  loading: 'Cargando notificaciones…',
  loadingMore: 'Cargando más…',
  signedOut: 'Inicia sesión para ver tus notificaciones.',
  unreadItem: 'Sin leer',
  announceNew: 'Nueva notificación: {title}',
  close: 'Cerrar',
  retry: 'Reintentar',
  errors: {
    'no-client': 'No hay cliente de Supabase: asigna a la propiedad .supabase la instancia de createClient().',
    'invalid-client': 'La propiedad .supabase no es un cliente de Supabase: pasa el objeto que devuelve createClient().',
    'migration-missing':
      'Las notificaciones no están configuradas en esta base de datos: aplica supabase/migrations/027_notifications.sql.',
    'permission-denied': 'La base de datos rechazó el acceso a tus notificaciones. Vuelve a iniciar sesión.',
    'session-expired': 'Tu sesión ha caducado. Vuelve a iniciar sesión para ver tus notificaciones.',
    network: 'No se pudo conectar con el servidor. Las notificaciones se actualizarán al volver la conexión.',
    'write-failed': 'No se pudo marcar como leída. Inténtalo de nuevo.',
    'malformed-event': 'Una notificación no se pudo leer y se omitió.',
    unknown: 'Algo salió mal al cargar las notificaciones.',
  },
};
