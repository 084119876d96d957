// The CDN files as a site without a bundler uses them, in a fresh page (an iframe), against the
// local stand-in: the slim file with the site's own supabase-js from a CDN, and the all-in-one file
// with attributes alone. The files come from test/browser/cdn-plugin.ts (built on demand).
import { expect } from '@open-wc/testing';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import type { WacrmNotificationBell } from 'wacrm-notifications';
import { assign, conversation, eventually, standInInfo, team, type Agent } from './support/stand-in.js';
import { escapeHtml, openPage, type Page } from './support/page.js';
import { badgeText, defaultStorageKey as storageKeyFor, isLive } from './support/live.js';

const bellOf = (page: Page) => page.document.querySelector('wacrm-notification-bell') as WacrmNotificationBell;


let page: Page | undefined;
let hostClient: SupabaseClient | undefined;

afterEach(async () => {
  page?.remove();
  page = undefined;
  await hostClient?.auth.signOut({ scope: 'local' });
  hostClient = undefined;
  const { url } = await standInInfo();
  localStorage.removeItem(storageKeyFor(url));
});

describe('the CDN files in a page without a bundler', () => {
  it('the slim file, with the site’s own supabase-js from a CDN: sign in, an assignment raises the badge', async () => {
    const { url, anonKey, password } = await standInInfo();
    const { accountId, agents, contactId } = await team(['Carla Nunes', 'Diego Prado']);
    const [carla, diego] = agents as [Agent, Agent];

    page = await openPage(`<!doctype html>
      <html lang="en">
        <head>
          <script src="/cdn/supabase.js"></script>
          <script type="module" src="/cdn/wacrm-notifications.js"></script>
        </head>
        <body>
          <wacrm-notification-bell href-template="/inbox?c={conversation_id}"></wacrm-notification-bell>
          <script type="module">
            const client = supabase.createClient(${JSON.stringify(url)}, ${JSON.stringify(anonKey)});
            const bell = document.querySelector('wacrm-notification-bell');
            bell.supabase = client;
            client.auth.onAuthStateChange((event, session) => { bell.session = session; });
            window.signIn = (email, password) => client.auth.signInWithPassword({ email, password });
          </script>
        </body>
      </html>`);
    const bell = bellOf(page);
    await eventually(() => typeof page!.window.signIn === 'function', 'the page script ran');
    expect(page.window.customElements.get('wacrm-notification-bell')).to.equal(bell.constructor);
    expect(page.window.customElements.get('wacrm-notification-panel')).to.be.a('function');
    // <relative-time> comes in its own chunk, with the first panel (the bell's, here).
    await eventually(() => typeof page!.window.customElements.get('relative-time') === 'function', '<relative-time> defined');
    // Nothing of supabase-js came with our file: the only copy is the site's. Beside our file, only
    // its own on-demand chunks may have loaded (the bell fetches its popover code once connected).
    const scripts = page.window.performance.getEntriesByType('resource').map((entry) => new URL(entry.name).pathname);
    const ours = /^\/cdn\/wacrm-notifications\.(?!all\.)[\w-]+-[a-z0-9]+\.js$/;
    expect(scripts.filter((path) => path.startsWith('/cdn/') && !ours.test(path)).sort()).to.deep.equal(['/cdn/supabase.js', '/cdn/wacrm-notifications.js']);

    const signIn = page.window.signIn as (email: string, password: string) => Promise<{ error: unknown }>;
    expect((await signIn(diego.email, password)).error).to.equal(null);
    await eventually(() => isLive(bell), 'the bell is live');
    expect(badgeText(bell)).to.equal('');

    await assign(await conversation(accountId, contactId), diego, carla);
    await eventually(() => badgeText(bell) === '1', 'badge shows 1');
  });

  it('the all-in-one file with attributes alone: picks up the site’s session, follows sign-out and sign-in', async () => {
    const { url, anonKey, password } = await standInInfo();
    const { accountId, agents, contactId } = await team(['Elisa Reis', 'Fabio Lima']);
    const [elisa, fabio] = agents as [Agent, Agent];

    // The site's own supabase-js (another page of the site, here the test's): default storage key.
    hostClient = createClient(url, anonKey);
    const { error } = await hostClient.auth.signInWithPassword({ email: fabio.email, password });
    expect(error).to.equal(null);
    expect(localStorage.getItem(storageKeyFor(url))).to.be.a('string');

    page = await openPage(`<!doctype html>
      <html lang="en">
        <head><script type="module" src="/cdn/wacrm-notifications.all.js"></script></head>
        <body>
          <wacrm-notification-bell supabase-url="${escapeHtml(url)}" supabase-key="${escapeHtml(anonKey)}"></wacrm-notification-bell>
        </body>
      </html>`);
    const bell = bellOf(page);
    await eventually(() => page!.window.customElements.get('wacrm-notification-bell') !== undefined, 'the bell is defined');
    expect(page.window.customElements.get('wacrm-notification-panel')).to.be.a('function');
    await eventually(() => isLive(bell), 'the bell is live with the stored session');
    expect(bell.session?.user.id).to.equal(fabio.id);

    const conversationId = await conversation(accountId, contactId);
    await assign(conversationId, fabio, elisa);
    await eventually(() => badgeText(bell) === '1', 'badge shows 1');

    // Signing out on the site clears the bell (auth-js tells every client of the storage key).
    await hostClient.auth.signOut({ scope: 'local' });
    await eventually(() => bell.activeStore.state.status === 'signed-out' && badgeText(bell) === '', 'the bell is signed out');

    // Signing in again brings the live badge back.
    await hostClient.auth.signInWithPassword({ email: fabio.email, password });
    await eventually(() => isLive(bell) && badgeText(bell) === '1', 'the bell is live again with badge 1');

    // Properties still win: a session the page sets replaces the one from storage.
    bell.session = null;
    await eventually(() => bell.activeStore.state.status === 'signed-out', 'the page’s session wins');
  });

  it('both CDN files on one page: the bell says which script to drop instead of a bare "No Supabase client"', async () => {
    const { url, anonKey } = await standInInfo();
    page = await openPage(`<!doctype html>
      <html lang="en">
        <head>
          <script type="module" src="/cdn/wacrm-notifications.js"></script>
          <script type="module" src="/cdn/wacrm-notifications.all.js"></script>
        </head>
        <body>
          <wacrm-notification-bell supabase-url="${escapeHtml(url)}" supabase-key="${escapeHtml(anonKey)}"></wacrm-notification-bell>
        </body>
      </html>`);
    const messages: string[] = [];
    page.document.addEventListener('wacrm-error', (event) => messages.push(event.error.message));
    await eventually(() => messages.length > 0, 'the missing client reported', 5000);
    expect(messages).to.have.length(1);
    expect(messages[0]).to.match(/has supabase-url and supabase-key attributes, but the script that defined it does not read them: load wacrm-notifications\.all\.js alone/);
  });
});
