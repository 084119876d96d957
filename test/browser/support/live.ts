// Live elements for the tests through the real stack: mounted signed in as an agent the way the form
// under test is used (test/browser/forms.ts names it in the page), and compared with the database.
//
// - source, cdn, npm: the page's own supabase-js signs in and hands the element `.supabase` and
//   `.session`, as README's "CDN, with your app's supabase-js" and "npm" say.
// - all (the all-in-one file): the test sets no property. The host app's supabase-js signs in and
//   saves its session in localStorage under a storage key; the element gets `supabase-url`,
//   `supabase-key` and `supabase-storage-key` in its markup and finds that session by itself.
import { expect, fixture, html } from '@open-wc/testing';
import { createClient, type Session, type SupabaseClient } from '@supabase/supabase-js';
import type { WacrmNotificationBell, WacrmNotificationPanel } from 'wacrm-notifications';
import { signIn, sql, standInInfo, unreadInDatabase, unseenInDatabase, type Agent } from './stand-in.js';

export type Form = 'source' | 'cdn' | 'all' | 'npm';

/** The form of the package this page loaded (the test runner's page says so). */
export function currentForm(): Form {
  const form = document.querySelector<HTMLMetaElement>('meta[name="wacrm-form"]')?.content;
  if (form === 'source' || form === 'cdn' || form === 'all' || form === 'npm') return form;
  throw new Error(
    `the test page does not say which form of the package it loaded (<meta name="wacrm-form"> is ${JSON.stringify(form ?? null)}): ` +
      'run the browser suite through web-test-runner.config.mjs',
  );
}

type Tag = 'wacrm-notification-bell' | 'wacrm-notification-panel';

export interface SignedIn<T> {
  element: T;
  /** The host app's client (in the all-in-one form not the element's: that one the element made itself). */
  client: SupabaseClient;
  session: Session;
  /**
   * The host app signs out: `.session = null`, or in the all-in-one form its supabase-js signs out.
   * A function property: tests take it out of the object (`const { signOut } = …`).
   */
  signOut: () => Promise<void>;
}

/** Storage keys the all-in-one form's host clients wrote, removed after each test. */
const storageKeys: string[] = [];
afterEach(() => {
  for (const key of storageKeys.splice(0)) localStorage.removeItem(key);
});

/**
 * Mounts `tag` signed in as `agent`, configured as the form under test is. `beforeConfigure` runs
 * on the element before it has a client or a session (to listen for its first events).
 */
export async function mountSignedIn<K extends Tag>(
  agent: Agent,
  tag: K,
  { beforeConfigure }: { beforeConfigure?: (element: HTMLElementTagNameMap[K]) => void } = {},
): Promise<SignedIn<HTMLElementTagNameMap[K]>> {
  const element = document.createElement(tag);
  beforeConfigure?.(element);
  if (currentForm() !== 'all') {
    const { client, session } = await signIn(agent);
    await fixture(html`${element}`);
    element.supabase = client;
    element.session = session;
    return {
      element,
      client,
      session,
      signOut: async () => {
        element.session = null;
      },
    };
  }
  const { url, anonKey, password } = await standInInfo();
  const storageKey = `wacrm-test-${agent.id}-${Math.random().toString(36).slice(2)}`;
  storageKeys.push(storageKey);
  const client = createClient(url, anonKey, { auth: { storageKey, autoRefreshToken: false, detectSessionInUrl: false } });
  const { data, error } = await client.auth.signInWithPassword({ email: agent.email, password });
  if (error || !data.session) throw new Error(`sign-in failed: ${error?.message}`);
  element.setAttribute('supabase-url', url);
  element.setAttribute('supabase-key', anonKey);
  element.setAttribute('supabase-storage-key', storageKey);
  await fixture(html`${element}`);
  return {
    element,
    client,
    session: data.session,
    signOut: async () => {
      const { error: signOutError } = await client.auth.signOut({ scope: 'local' });
      if (signOutError) throw signOutError;
    },
  };
}

/** supabase-js's default storage key for a project URL (`sb-<first label of the host>-auth-token`). */
export const defaultStorageKey = (url: string) => `sb-${new URL(url).hostname.split('.')[0]}-auth-token`;

export const badgeText = (bell: WacrmNotificationBell) =>
  bell.shadowRoot!.querySelector('[part="badge"]')?.textContent?.trim() ?? '';

export const isLive = (element: WacrmNotificationBell | WacrmNotificationPanel) =>
  element.activeStore.state.status === 'ready' && element.activeStore.state.realtime === 'live';

/**
 * The list and the badges equal the database: the inbox's ids in order, read and seen states, the
 * unread and unseen counts (archived rows are in neither). An open panel marks what it shows as
 * seen, so a write may be on its way: the comparison is repeated for up to 2 s until it holds.
 */
export async function expectEqualsDatabase(element: WacrmNotificationBell | WacrmNotificationPanel, agent: Agent) {
  const deadline = Date.now() + 2000;
  for (;;) {
    const { state } = element.activeStore;
    const rows = await sql<{ id: string; unread: boolean; unseen: boolean }>(
      `select id, read_at is null as unread, seen_at is null as unseen from public.notifications
       where user_id = $1 and archived_at is null order by created_at desc, id desc limit $2`,
      [agent.id, state.items.length],
    );
    const actual = {
      items: state.items.map((item) => [item.id, item.read_at === null, item.seen_at === null]),
      unread: state.unreadCount,
      unseen: state.unseenCount,
    };
    const expected = {
      items: rows.map((row) => [row.id, row.unread, row.unseen]),
      unread: await unreadInDatabase(agent),
      unseen: await unseenInDatabase(agent),
    };
    if (JSON.stringify(actual) === JSON.stringify(expected) || Date.now() > deadline) {
      expect(actual).to.deep.equal(expected);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
