// Portuguese (Brazil): loaded on demand by the elements (see loadStrings in ../strings.ts), so a
// page in another language does not download it.
import type { NotificationStrings } from '../strings.js';

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
