import type { NotificationErrorCode } from './store/notification-source.js';

/** Every string the elements show or announce. Override any of them with the `.strings` property. */
export interface NotificationStrings {
  bellLabel: string;
  /** `{count}` is replaced with the (capped) number. */
  bellLabelUnread: string;
  panelLabel: string;
  heading: string;
  markAllRead: string;
  filterAll: string;
  filterUnread: string;
  filterLabel: string;
  empty: string;
  emptyUnread: string;
  loading: string;
  loadingMore: string;
  signedOut: string;
  unreadItem: string;
  /** Announced politely when a notification arrives; `{title}` is replaced. */
  announceNew: string;
  close: string;
  retry: string;
  errors: Record<NotificationErrorCode, string>;
}

export const en: NotificationStrings = {
  bellLabel: 'Notifications',
  bellLabelUnread: 'Notifications, {count} unread',
  panelLabel: 'Notifications',
  heading: 'Notifications',
  markAllRead: 'Mark all as read',
  filterAll: 'All',
  filterUnread: 'Unread',
  filterLabel: 'Show',
  empty: 'No notifications yet',
  emptyUnread: 'You are all caught up',
  loading: 'Loading notifications…',
  loadingMore: 'Loading more…',
  signedOut: 'Sign in to see your notifications.',
  unreadItem: 'Unread',
  announceNew: 'New notification: {title}',
  close: 'Close',
  retry: 'Try again',
  errors: {
    'no-client': 'No Supabase client: set the element’s .supabase property to your createClient() instance.',
    'invalid-client': 'The .supabase property is not a Supabase client: pass the object createClient() returns.',
    'migration-missing':
      'Notifications are not set up in this database: apply supabase/migrations/027_notifications.sql.',
    'permission-denied': 'The database refused access to your notifications. Sign in again.',
    'session-expired': 'Your session has expired. Sign in again to see your notifications.',
    network: 'Could not reach the server. Notifications will update when the connection is back.',
    'write-failed': 'Could not mark as read. Please try again.',
    'malformed-event': 'A notification could not be read and was skipped.',
    unknown: 'Something went wrong while loading notifications.',
  },
};

export const ptBR: NotificationStrings = {
  bellLabel: 'Notificações',
  // A count-first phrase would need a plural form ("1 não lida"); this reads right for any count.
  bellLabelUnread: 'Notificações, não lidas: {count}',
  panelLabel: 'Notificações',
  heading: 'Notificações',
  markAllRead: 'Marcar todas como lidas',
  filterAll: 'Todas',
  filterUnread: 'Não lidas',
  filterLabel: 'Mostrar',
  empty: 'Nenhuma notificação ainda',
  emptyUnread: 'Tudo em dia',
  loading: 'Carregando notificações…',
  loadingMore: 'Carregando mais…',
  signedOut: 'Entre para ver suas notificações.',
  unreadItem: 'Não lida',
  announceNew: 'Nova notificação: {title}',
  close: 'Fechar',
  retry: 'Tentar de novo',
  errors: {
    'no-client': 'Nenhum cliente Supabase: defina a propriedade .supabase com a instância de createClient().',
    'invalid-client': 'A propriedade .supabase não é um cliente Supabase: passe o objeto que createClient() retorna.',
    'migration-missing':
      'As notificações não estão configuradas neste banco: aplique supabase/migrations/027_notifications.sql.',
    'permission-denied': 'O banco de dados recusou o acesso às suas notificações. Entre novamente.',
    'session-expired': 'Sua sessão expirou. Entre novamente para ver suas notificações.',
    network: 'Sem conexão com o servidor. As notificações serão atualizadas quando a conexão voltar.',
    'write-failed': 'Não foi possível marcar como lida. Tente novamente.',
    'malformed-event': 'Uma notificação não pôde ser lida e foi ignorada.',
    unknown: 'Algo deu errado ao carregar as notificações.',
  },
};

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

const builtIn: Record<string, NotificationStrings> = { en, pt: ptBR, 'pt-br': ptBR, es };

export type StringOverrides = Partial<Omit<NotificationStrings, 'errors'>> & {
  errors?: Partial<NotificationStrings['errors']>;
};

/** The strings for a BCP 47 language tag (exact, then its primary language, then English), with overrides. */
export function resolveStrings(lang: string | undefined, overrides: StringOverrides = {}): NotificationStrings {
  const tag = (lang ?? 'en').toLowerCase();
  const base = builtIn[tag] ?? builtIn[tag.split('-')[0] ?? 'en'] ?? en;
  return { ...base, ...overrides, errors: { ...base.errors, ...overrides.errors } };
}

export function format(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (match, name: string) => (name in values ? String(values[name]) : match));
}
