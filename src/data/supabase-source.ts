// The only module that talks to supabase-js: queries, the realtime channel and mark-read. Everything
// it hands to the store is validated and shaped; every failure becomes a NotificationSourceError
// whose message tells the integrator what to do.
import type { RealtimeChannel, SupabaseClient } from '@supabase/supabase-js';
import type { Cursor, WacrmNotification } from '../notification.js';
import {
  NotificationSourceError,
  type NotificationChange,
  type NotificationErrorCode,
  type NotificationQueries,
} from '../store/notification-source.js';
import type { RealtimeStatus } from '../store/notification-store.js';

const TABLE = 'notifications';
const COLUMNS = 'id,account_id,user_id,type,conversation_id,contact_id,actor_user_id,title,body,read_at,created_at';
/** How long a realtime channel may fail to connect before that is reported (realtime-js retries after 1, 2, 5 s…). */
const REALTIME_OUTAGE_REPORT_MS = 5000;
/** Supabase projects cap a response at 1,000 rows by default: longer reads go page by page. */
const MAX_ROWS_PER_REQUEST = 1000;

const MIGRATION_HINT = 'Apply supabase/migrations/027_notifications.sql to this database (Supabase SQL editor or `supabase db push`).';

/** A duck-typed check: hosts may pass a client from any supabase-js 2.x copy on the page. */
export function isSupabaseClient(value: unknown): value is SupabaseClient {
  const candidate = value as Partial<SupabaseClient> | null | undefined;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.from === 'function' &&
    typeof candidate.rpc === 'function' &&
    typeof candidate.channel === 'function' &&
    typeof candidate.removeChannel === 'function'
  );
}

interface PostgrestLikeError {
  code?: string;
  message?: string;
  details?: string | null;
  hint?: string | null;
}

/** Whether a failed request is retried by the store (reads) or left to the user (writes). */
export type RequestKind = 'read' | 'write';

/**
 * Turns a PostgREST / gateway / fetch failure into a specific, actionable error. `kind` decides
 * what the message promises: the store retries reads by itself; a write is the user's to repeat.
 */
export function classify(error: PostgrestLikeError, action: string, kind: RequestKind = 'read'): NotificationSourceError {
  const code = error.code ?? '';
  const message = error.message ?? String(error);
  const specific = (type: NotificationErrorCode, text: string) =>
    new NotificationSourceError(type, `${action}: ${text}`, error);
  if (['PGRST205', 'PGRST202', '42P01', '42883', 'PGRST200'].includes(code)) {
    return specific('migration-missing', `the notifications table or function is missing (${message}). ${MIGRATION_HINT}`);
  }
  if (code === 'PGRST301' || code === 'PGRST303' || /jwt expired/i.test(message)) {
    return specific('session-expired', 'the session has expired; sign in again (or let supabase-js refresh the token).');
  }
  if (/invalid api key|no api key/i.test(message)) {
    // Supabase's gateway, before the database: the client was made with a wrong or foreign key.
    return specific('permission-denied', `Supabase refused the API key (${message}). Check the anon key given to createClient() (or supabase-key).`);
  }
  if (code === '42501') {
    return specific(
      'permission-denied',
      `the database refused access (${message}). Pass the signed-in user's client and session, and check that 027's grants were applied.`,
    );
  }
  if (!code && /fetch|network|load failed/i.test(message)) {
    const then = kind === 'read' ? 'It is tried again by itself, and when the connection is back.' : 'Nothing was changed; try again.';
    return specific('network', `could not reach Supabase (${message}). ${then}`);
  }
  return specific('unknown', message);
}

/** PostgREST logic-tree value, double-quoted so that dots, colons and commas stay literal. */
const quoted = (value: string) => `"${value.replace(/["\\]/g, '\\$&')}"`;

/** `or` filter for rows strictly after `cursor` in list order (created_at desc, id desc). */
const after = (cursor: Cursor) =>
  `created_at.lt.${quoted(cursor.created_at)},and(created_at.eq.${quoted(cursor.created_at)},id.lt.${cursor.id})`;

/** `or` filter for rows up to and including `cursor` in list order. */
const upTo = (cursor: Cursor) =>
  `created_at.gt.${quoted(cursor.created_at)},and(created_at.eq.${quoted(cursor.created_at)},id.gte.${cursor.id})`;

const REQUIRED_FIELDS: (keyof WacrmNotification)[] = ['id', 'user_id', 'title', 'created_at'];

function asNotification(value: unknown): WacrmNotification | null {
  if (typeof value !== 'object' || value === null) return null;
  const row = value as Record<string, unknown>;
  if (!REQUIRED_FIELDS.every((field) => typeof row[field] === 'string')) return null;
  if (row.read_at !== null && typeof row.read_at !== 'string') return null;
  if (row.body !== null && row.body !== undefined && typeof row.body !== 'string') return null;
  return {
    id: row.id as string,
    account_id: String(row.account_id ?? ''),
    user_id: row.user_id as string,
    type: String(row.type ?? 'conversation_assigned'),
    conversation_id: typeof row.conversation_id === 'string' ? row.conversation_id : null,
    contact_id: typeof row.contact_id === 'string' ? row.contact_id : null,
    actor_user_id: typeof row.actor_user_id === 'string' ? row.actor_user_id : null,
    title: row.title as string,
    body: (row.body as string | null | undefined) ?? null,
    read_at: row.read_at as string | null,
    created_at: row.created_at as string,
  };
}

/** The previous read_at when the event carried it (REPLICA IDENTITY FULL), else undefined. */
function previousReadAt(old: unknown): string | null | undefined {
  if (typeof old !== 'object' || old === null || !('read_at' in old)) return undefined;
  const value = (old as { read_at: unknown }).read_at;
  return typeof value === 'string' || value === null ? value : undefined;
}

export interface LiveHandlers {
  change(change: NotificationChange): void;
  /** The channel is (again) delivering: time to load or catch up. */
  live(): void;
  status(status: RealtimeStatus): void;
  /** A payload that is not a notification row, or a channel error worth showing. */
  problem(error: NotificationSourceError): void;
}

export interface LiveSubscription {
  readonly topic: string;
  close(): Promise<void>;
}

let instances = 0;

/** Queries, writes and the realtime channel of one signed-in user, through their Supabase client. */
export class SupabaseNotificationSource implements NotificationQueries {
  constructor(
    readonly client: SupabaseClient,
    readonly userId: string,
  ) {}

  /** Every read runs under this signal, so that an owner leaving the page can stop them. */
  #reads = new AbortController();

  /**
   * Abandons the reads in flight, and supabase-js's retries of them (postgrest-js retries a failed
   * GET for several seconds): for an element that left the page. Writes are never abandoned — a
   * click that marks a notification read and navigates away must still reach the database.
   */
  cancelReads(): void {
    this.#reads.abort();
    this.#reads = new AbortController();
  }

  async fetchPage(limit: number, cursor?: Cursor): Promise<WacrmNotification[]> {
    // A catch-up of a long list held in full asks for more than one response may carry.
    const rows: WacrmNotification[] = [];
    let from = cursor;
    while (rows.length < limit) {
      const size = Math.min(limit - rows.length, MAX_ROWS_PER_REQUEST);
      let query = this.#list().limit(size);
      if (from) query = query.or(after(from));
      const page = this.#rows(await query, 'Loading notifications');
      rows.push(...page);
      if (page.length < size) break;
      const last = page[page.length - 1]!;
      from = { created_at: last.created_at, id: last.id };
    }
    return rows;
  }

  async fetchWindow(oldest: Cursor): Promise<WacrmNotification[]> {
    const rows: WacrmNotification[] = [];
    let cursor: Cursor | undefined;
    for (;;) {
      let query = this.#list().or(upTo(oldest)).limit(MAX_ROWS_PER_REQUEST);
      if (cursor) query = query.or(after(cursor));
      const page = this.#rows(await query, 'Catching up on notifications');
      rows.push(...page);
      if (page.length < MAX_ROWS_PER_REQUEST) return rows;
      const last = page[page.length - 1]!;
      cursor = { created_at: last.created_at, id: last.id };
    }
  }

  async countUnread(cursor?: Cursor): Promise<number> {
    let query = this.client
      .from(TABLE)
      .select('id', { count: 'exact', head: true })
      .eq('user_id', this.userId)
      .is('read_at', null)
      .abortSignal(this.#reads.signal);
    if (cursor) query = query.or(after(cursor));
    const { count, error } = await query;
    if (error) throw classify(error, 'Counting unread notifications');
    return count ?? 0;
  }

  async markRead(ids: string[] | null): Promise<number> {
    const { data, error } = await this.client.rpc('mark_notifications_read', { ids });
    if (error) throw classify(error, 'Marking notifications read', 'write');
    return typeof data === 'number' ? data : 0;
  }

  /**
   * Opens this user's channel: changes to their rows only (a server-side filter, so Realtime does
   * not check every change for every subscriber), on a topic unique to this instance so that two
   * widgets on a page never share or close each other's channel.
   */
  subscribe(handlers: LiveHandlers): LiveSubscription {
    const topic = `wacrm-notifications:${this.userId}:${++instances}:${Math.random().toString(36).slice(2, 8)}`;
    const channel: RealtimeChannel = this.client.channel(topic);
    channel.on(
      'postgres_changes',
      { event: '*', schema: 'public', table: TABLE, filter: `user_id=eq.${this.userId}` },
      (payload) => {
        const change = this.#toChange(payload as unknown as RealtimePayload);
        if (change) handlers.change(change);
        else {
          handlers.problem(
            new NotificationSourceError('malformed-event', 'A realtime notification event could not be read and was ignored.', payload),
          );
        }
      },
    );
    // SUBSCRIBED answers the join, before Realtime streams this channel's changes; "Subscribed to
    // PostgreSQL" says they are streamed from now on. It also comes alone when the server's
    // replication is back after a database restart, having lost what was committed meanwhile.
    // Either way, catch up again: rows committed before it would otherwise never show.
    channel.on('system', {}, (payload: { extension?: unknown; status?: unknown } | null) => {
      if (payload?.extension === 'postgres_changes' && payload.status === 'ok') handlers.live();
    });
    handlers.status('connecting');
    // A channel that cannot get through for a while (no socket: a wrong URL or key, a proxy that
    // blocks WebSockets) is reported once per outage; a short reconnect is not.
    let outage: ReturnType<typeof setTimeout> | undefined;
    let lastError: Error | undefined;
    const endOutage = () => {
      clearTimeout(outage);
      outage = undefined;
    };
    channel.subscribe((status, error) => {
      if (status === 'SUBSCRIBED') {
        endOutage();
        handlers.status('live');
        handlers.live();
      } else if (status === 'CLOSED') {
        endOutage();
        handlers.status('closed');
      } else {
        // CHANNEL_ERROR or TIMED_OUT: realtime-js retries the join by itself.
        handlers.status('reconnecting');
        lastError = error ?? lastError;
        if (error && /migration|publication|does not exist|not found/i.test(error.message)) {
          handlers.problem(new NotificationSourceError('migration-missing', `Realtime refused the subscription: ${error.message}. ${MIGRATION_HINT}`, error));
        }
        outage ??= setTimeout(() => {
          const reason = lastError?.message ? ` (${lastError.message})` : '';
          handlers.problem(
            new NotificationSourceError(
              'network',
              `Live updates are not getting through: Supabase Realtime ${status === 'TIMED_OUT' ? 'does not answer' : 'refused the connection'}${reason}. The list loads over HTTP and catches up once Realtime connects; check the URL, the key, and that WebSockets are not blocked.`,
              lastError,
            ),
          );
        }, REALTIME_OUTAGE_REPORT_MS);
      }
    });
    return {
      topic,
      close: async () => {
        endOutage();
        await this.client.removeChannel(channel);
        // realtime-js keeps the socket (and its heartbeat) open with no channel left; the widget
        // opened it, so the widget closes it, unless the host has channels of its own on it.
        if (this.client.getChannels().length === 0) await this.client.realtime.disconnect();
      },
    };
  }

  #list() {
    return this.client
      .from(TABLE)
      .select(COLUMNS)
      .eq('user_id', this.userId)
      .order('created_at', { ascending: false })
      .order('id', { ascending: false })
      .abortSignal(this.#reads.signal);
  }

  #rows(result: { data: unknown; error: PostgrestLikeError | null }, action: string): WacrmNotification[] {
    if (result.error) throw classify(result.error, action);
    const rows = Array.isArray(result.data) ? result.data.map(asNotification) : [];
    if (rows.some((row) => row === null)) {
      throw new NotificationSourceError('malformed-event', `${action}: the server sent rows that are not notifications.`);
    }
    return rows as WacrmNotification[];
  }

  #toChange(payload: RealtimePayload): NotificationChange | null {
    switch (payload.eventType) {
      case 'INSERT': {
        const row = asNotification(payload.new);
        return row ? { type: 'INSERT', row } : null;
      }
      case 'UPDATE': {
        const row = asNotification(payload.new);
        if (!row) return null;
        const previous = previousReadAt(payload.old);
        return previous === undefined ? { type: 'UPDATE', row } : { type: 'UPDATE', row, previousReadAt: previous };
      }
      case 'DELETE': {
        const id = (payload.old as { id?: unknown } | null)?.id;
        if (typeof id !== 'string') return null;
        const previous = previousReadAt(payload.old);
        return previous === undefined ? { type: 'DELETE', id } : { type: 'DELETE', id, previousReadAt: previous };
      }
      default:
        return null;
    }
  }
}

interface RealtimePayload {
  eventType?: string;
  new?: unknown;
  old?: unknown;
}
