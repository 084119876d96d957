// The pure-HTML drop-in of the all-in-one build: `<wacrm-notification-bell supabase-url="…"
// supabase-key="…">` with no script of the host's.
//
// How: the all-in-one entry (./define.ts) registers small subclasses of the two elements under the
// same tag names. Each subclass adds the `supabase-url`, `supabase-key` and `supabase-storage-key`
// attributes and a SupabaseDropIn helper that fills the element's ordinary `.supabase` and
// `.session` properties, so the elements themselves stay unaware of it and the npm and slim CDN
// builds never load supabase-js.
//
// - One client per URL and key on the page, shared by every element that names them (one
//   GoTrueClient per storage key, one token refresh).
// - The client uses supabase-js's default storage key, `sb-<first label of the URL's host>-auth-token`
//   in localStorage, so it reads the session the host app's own supabase-js client saved on this
//   origin. It never handles an OAuth redirect (`detectSessionInUrl: false`): that belongs to the host.
// - Sign-in and sign-out anywhere on the origin reach it through onAuthStateChange: auth-js
//   broadcasts every auth event on a BroadcastChannel named after the storage key, which other
//   documents and other clients in the same document hear. A `storage` event listener covers writers
//   that do not broadcast (another library, a cleared storage).
// - Properties win: once the page sets `.supabase` or `.session` to a value the helper did not put
//   there, the helper leaves that property alone for good.
import { createClient, type AuthChangeEvent, type Session, type SupabaseClient } from '@supabase/supabase-js';
import type { ReactiveController, ReactiveElement } from 'lit';

/** The attributes and properties the helper reads and fills. */
export interface DropInHost extends ReactiveElement {
  supabase: unknown;
  session: Session | null | undefined;
  supabaseUrl: string | undefined;
  supabaseKey: string | undefined;
  supabaseStorageKey: string | undefined;
}

type SessionListener = (session: Session | null) => void;

interface Connection {
  readonly client: SupabaseClient;
  /** Undefined until auth-js has read the stored session (INITIAL_SESSION). */
  session: Session | null | undefined;
  readonly listeners: Set<SessionListener>;
}

const connections = new Map<string, Connection>();

/** supabase-js's own default: `sb-${new URL(url).hostname.split('.')[0]}-auth-token`. */
export function defaultStorageKey(url: string): string {
  return `sb-${new URL(url).hostname.split('.')[0]}-auth-token`;
}

/** The page's client for this project, made on first use and kept for the page's lifetime. */
export function connection(url: string, key: string, storageKey = defaultStorageKey(url)): Connection {
  const id = JSON.stringify([url, key, storageKey]);
  const existing = connections.get(id);
  if (existing) return existing;
  const client = createClient(url, key, { auth: { storageKey, detectSessionInUrl: false } });
  const created: Connection = { client, session: undefined, listeners: new Set() };
  const publish = (session: Session | null) => {
    created.session = session;
    for (const listener of created.listeners) listener(session);
  };
  client.auth.onAuthStateChange((_event: AuthChangeEvent, session) => publish(session));
  window.addEventListener('storage', (event) => {
    if (event.storageArea !== localStorage || (event.key !== null && event.key !== storageKey)) return;
    if (event.newValue === null) {
      publish(null);
      return;
    }
    // Outside the auth lock's callback: getSession() reads (and if need be refreshes) the stored session.
    void client.auth.getSession().then(({ data }) => {
      if (data.session?.access_token !== created.session?.access_token) publish(data.session);
    });
  });
  connections.set(id, created);
  return created;
}

/**
 * Fills one element's `.supabase` and `.session` from its attributes while it is connected: a
 * reactive controller that reads the attributes in every `hostUpdate`. On disconnect it stops
 * following the session (no listener left behind) and keeps the values, so that an element put
 * back on the page resumes with the same client; it catches up with the current session then.
 */
export class SupabaseDropIn implements ReactiveController {
  #connected = false;
  #connection: Connection | undefined;
  #listening = false;
  #client: SupabaseClient | undefined;
  #session: Session | null | undefined;
  #pageOwnsClient = false;
  #pageOwnsSession = false;
  #changedInUpdate = false;
  #unusableUrl: string | undefined;

  constructor(private readonly host: DropInHost) {
    host.addController(this);
  }

  hostConnected(): void {
    this.#connected = true;
    this.#apply();
  }

  hostUpdate(): void {
    if (this.#apply()) this.#changedInUpdate = true;
  }

  hostUpdated(): void {
    // Controllers before this one read `.supabase` and `.session` earlier in the same update, and
    // values set during an update do not schedule another: ask for one, so that they see these.
    if (!this.#changedInUpdate) return;
    this.#changedInUpdate = false;
    this.host.requestUpdate();
  }

  hostDisconnected(): void {
    this.#connected = false;
    this.#listen(false);
  }

  /** Connects to the project the attributes name; true when it changed `.supabase` or `.session`. */
  #apply(): boolean {
    const { host } = this;
    this.#noticePageValues();
    const url = host.supabaseUrl?.trim();
    const key = host.supabaseKey?.trim();
    const wanted = url && key ? this.#connect(url, key, host.supabaseStorageKey?.trim() || undefined) : undefined;
    let changed = false;
    if (wanted !== this.#connection) {
      this.#listen(false);
      changed = this.#takeBack();
      this.#connection = wanted;
      if (wanted && !this.#pageOwnsClient) {
        this.#client = wanted.client;
        host.supabase = wanted.client;
        changed = true;
      }
    }
    if (wanted && this.#connected && !this.#listening) {
      this.#listen(true);
      if (wanted.session !== undefined && this.#offer(wanted.session)) changed = true;
    }
    return changed;
  }

  #listen(on: boolean): void {
    if (on === this.#listening || !this.#connection) return;
    this.#listening = on;
    if (on) this.#connection.listeners.add(this.#offerSession);
    else this.#connection.listeners.delete(this.#offerSession);
  }

  /** Takes back only what the helper put there: the page's own values stay. */
  #takeBack(): boolean {
    const { host } = this;
    let changed = false;
    if (!this.#pageOwnsClient && this.#client !== undefined) {
      host.supabase = undefined;
      changed = true;
    }
    if (!this.#pageOwnsSession && this.#session !== undefined) {
      host.session = undefined;
      changed = true;
    }
    this.#client = undefined;
    this.#session = undefined;
    return changed;
  }

  #connect(url: string, key: string, storageKey: string | undefined): Connection | undefined {
    try {
      return connection(url, key, storageKey);
    } catch (error) {
      // A malformed URL: leave the element without a client, which it reports as `no-client`.
      if (this.#unusableUrl !== url) console.error(`<${this.host.localName}>: cannot use supabase-url="${url}":`, error);
      this.#unusableUrl = url;
      return undefined;
    }
  }

  /** A value in a property that the helper did not put there was set by the page: it wins from now on. */
  #noticePageValues(): void {
    const { supabase, session } = this.host;
    if (supabase !== undefined && supabase !== this.#client) this.#pageOwnsClient = true;
    if (session !== undefined && session !== this.#session) this.#pageOwnsSession = true;
  }

  /** Gives the element this session unless the page set its own; true when it did. */
  #offer(session: Session | null): boolean {
    this.#noticePageValues();
    if (this.#pageOwnsSession || (session === this.#session && this.host.session === session)) return false;
    this.#session = session;
    this.host.session = session;
    return true;
  }

  #offerSession = (session: Session | null) => void this.#offer(session);
}
