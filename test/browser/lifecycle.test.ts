// The lifecycles real pages put the elements through, against the local stand-in: markup parsed
// before the script that defines the tags, properties set before the definition, a page that never
// gives a client, elements moved, removed and put back, and `lang` changed at run time. Pages
// without a bundler are iframes of the test's origin with the test page's import map, so they load
// the same form of the package as the test (test/browser/forms.ts).
import { expect, fixture, html, nextFrame, waitUntil } from '@open-wc/testing';
import { createClient, type Session, type SupabaseClient } from '@supabase/supabase-js';
import 'wacrm-notifications/define';
import {
  loadStrings,
  type NotificationErrorEvent,
  type NotificationReceiveEvent,
  type WacrmNotificationBell,
  type WacrmNotificationPanel,
} from 'wacrm-notifications';
import { FakeDatabase, storeOver } from './support/fake-queries.js';
import { panelOf, part, parts, settle, text } from './support/dom.js';
import { CountingFetch, LeakWatch } from './support/leaks.js';
import { openPage, type Page } from './support/page.js';
import {
  assign,
  conversation,
  eventually,
  sql,
  standInInfo,
  team,
  unreadInDatabase,
  unseenInDatabase,
  until,
  type Agent,
} from './support/stand-in.js';
import { badgeText, isLive } from './support/live.js';


/** The test page's import map, so that a page of our own loads the package in the same form. */
const importMap = () => document.querySelector('script[type="importmap"]')?.outerHTML ?? '';

interface SignedIn {
  client: SupabaseClient;
  session: Session;
  requests: CountingFetch;
}

/** A WebSocket that never gets through, as behind a proxy that blocks them (port 9: nothing listens). */
class BlockedWebSocket extends WebSocket {
  constructor(_url: string | URL, protocols?: string | string[]) {
    super('ws://127.0.0.1:9/realtime/v1/websocket', protocols);
  }
}

/** A client signed in as `agent` whose requests are counted (and can be made to fail). */
async function signInCounting(agent: Agent, { realtimeBlocked = false } = {}): Promise<SignedIn> {
  const { url, anonKey, password } = await standInInfo();
  const requests = new CountingFetch();
  const client = createClient(url, anonKey, {
    auth: { storageKey: `lifecycle-${agent.id}-${Math.random()}`, persistSession: false, autoRefreshToken: false },
    global: { fetch: requests.fetch },
    ...(realtimeBlocked ? { realtime: { transport: BlockedWebSocket } } : {}),
  });
  const { data, error } = await client.auth.signInWithPassword({ email: agent.email, password });
  if (error || !data.session) throw new Error(`sign-in failed: ${error?.message}`);
  return { client, session: data.session, requests };
}

/** Collects wacrm-error and wacrm-receive events below `target` from now on. */
function record(target: EventTarget) {
  const errors: string[] = [];
  const received: string[] = [];
  target.addEventListener('wacrm-error', (event) => errors.push((event as NotificationErrorEvent).error.code));
  target.addEventListener('wacrm-receive', (event) => received.push((event as NotificationReceiveEvent).notification.id));
  return { errors, received };
}

/** Loads the package into a page that has none yet, as a script tag added after the markup would. */
async function loadPackage(page: Page): Promise<void> {
  const script = page.document.createElement('script');
  script.type = 'module';
  script.textContent = `import 'wacrm-notifications/define'; window.packageLoaded = true;`;
  page.document.body.append(script);
  await eventually(() => page.window.packageLoaded === true, 'the package loaded in the page');
}

async function newestNotificationIds(agent: Agent, count: number): Promise<string[]> {
  const rows = await sql<{ id: string }>(
    'select id from public.notifications where user_id = $1 order by created_at desc, id desc limit $2',
    [agent.id, count],
  );
  return rows.map((row) => row.id);
}

let page: Page | undefined;
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  page?.remove();
  page = undefined;
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function agentWithTeammate(): Promise<{ me: Agent; teammate: Agent; newAssignment: () => Promise<void> }> {
  const { accountId, agents, contactId } = await team(['Irene Costa', 'Joao Melo']);
  const [teammate, me] = agents as [Agent, Agent];
  return { me, teammate, newAssignment: async () => assign(await conversation(accountId, contactId), me, teammate) };
}

async function signedInAs(agent: Agent, options?: { realtimeBlocked?: boolean }): Promise<SignedIn> {
  const signedIn = await signInCounting(agent, options);
  cleanups.push(async () => void (await signedIn.client.removeAllChannels()));
  return signedIn;
}

describe('lifecycles of real pages', () => {
  it('markup first, script later: the panel inside the bell shares its one store and channel; no error', async () => {
    const { me, newAssignment } = await agentWithTeammate();
    const { client, session } = await signedInAs(me);
    page = await openPage(`<!doctype html><html lang="en"><head>${importMap()}</head><body>
      <wacrm-notification-bell><wacrm-notification-panel></wacrm-notification-panel></wacrm-notification-bell>
    </body></html>`);
    const events = record(page.document);
    await loadPackage(page);
    const bell = page.document.querySelector('wacrm-notification-bell') as WacrmNotificationBell;
    const panel = page.document.querySelector('wacrm-notification-panel') as WacrmNotificationPanel;
    bell.supabase = client;
    bell.session = session;
    await eventually(() => isLive(bell), 'the bell is live');

    expect(panel.activeStore, 'one store').to.equal(bell.activeStore);
    expect(panel.ownsStore).to.equal(false);
    expect(client.getChannels(), 'one channel').to.have.length(1);
    await newAssignment();
    await eventually(() => badgeText(bell) === '1', 'badge shows 1');
    await eventually(() => parts(panel, 'item').length === 1, 'the panel lists it');
    expect(events.errors, 'no wacrm-error').to.deep.equal([]);
    expect(events.received).to.have.length(1);
  });

  it('properties set before the element is defined are kept', async () => {
    const { me, newAssignment } = await agentWithTeammate();
    const { client, session } = await signedInAs(me);
    page = await openPage(`<!doctype html><html lang="en"><head>${importMap()}</head><body></body></html>`);
    const events = record(page.document);
    const early = page.document.createElement('wacrm-notification-bell');
    early.supabase = client;
    early.session = session;
    page.document.body.append(early);
    await loadPackage(page);
    const bell = page.document.querySelector('wacrm-notification-bell') as WacrmNotificationBell;
    expect(bell.supabase).to.equal(client);
    await eventually(() => isLive(bell), 'the bell is live with the early properties');
    await newAssignment();
    await eventually(() => badgeText(bell) === '1', 'badge shows 1');
    expect(events.errors).to.deep.equal([]);
  });

  it('a page that never gives a client learns it once, clearly, after giving it time', async () => {
    page = await openPage(`<!doctype html><html lang="en"><head>${importMap()}</head><body>
      <wacrm-notification-bell open><wacrm-notification-panel></wacrm-notification-panel></wacrm-notification-bell>
    </body></html>`);
    const events = record(page.document);
    await loadPackage(page);
    const bell = page.document.querySelector('wacrm-notification-bell') as WacrmNotificationBell;
    const panel = page.document.querySelector('wacrm-notification-panel') as WacrmNotificationPanel;
    await settle(bell, panel);
    expect(events.errors, 'nothing while the page may still give one').to.deep.equal([]);
    expect(part(panel, 'loading'), 'waiting').to.exist;
    await eventually(() => events.errors.length > 0, 'no-client reported', 5000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(events.errors, 'once, from the bell only').to.deep.equal(['no-client']);
    await settle(bell, panel);
    expect(text(part(panel, 'error'))).to.contain('No Supabase client');
  });

  it('with Realtime blocked, the list still loads over HTTP and the page learns once that live updates do not get through', async () => {
    const { me, newAssignment } = await agentWithTeammate();
    await newAssignment();
    await newAssignment();
    const { client, session } = await signedInAs(me, { realtimeBlocked: true });
    const container = await fixture<HTMLDivElement>(html`<div></div>`);
    const events = record(container);
    const messages: string[] = [];
    container.addEventListener('wacrm-error', (event) => messages.push(event.error.message));
    const bell = document.createElement('wacrm-notification-bell');
    bell.supabase = client;
    bell.session = session;
    container.append(bell);
    await eventually(() => badgeText(bell) === '2', 'the badge, over HTTP', 4000);
    await bell.show();
    await eventually(() => parts(panelOf(bell), 'item').length === 2, 'the list, over HTTP', 4000);
    expect(bell.activeStore.state.realtime).not.to.equal('live');
    await eventually(() => events.errors.length > 0, 'the outage reported', 10000);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(events.errors, 'once, however often realtime-js retries').to.deep.equal(['network']);
    expect(messages[0]).to.match(/Live updates are not getting through: Supabase Realtime/);
  });

  describe('removed, moved and put back', () => {
    it('a removed bell leaves no listener, timer, channel, socket or query; put back, it catches up and fires wacrm-receive', async () => {
      const { me, newAssignment } = await agentWithTeammate();
      await newAssignment();
      const { client, session, requests } = await signedInAs(me);
      const watch = new LeakWatch();
      cleanups.push(() => watch.stop());
      const container = await fixture<HTMLDivElement>(html`<div></div>`);
      const events = record(container);
      const bell = document.createElement('wacrm-notification-bell');
      bell.supabase = client;
      bell.session = session;
      container.append(bell);
      await eventually(() => isLive(bell) && badgeText(bell) === '1', 'live with 1 unread');
      await bell.show();
      const store = bell.activeStore;
      // Opening marks what it shows as seen: a write the user's look caused, let it land first.
      await until(async () => (await unseenInDatabase(me)) === 0, 'the open panel marked its rows seen');

      bell.remove();
      const requestsAtRemoval = requests.requests.length;
      await eventually(() => client.getChannels().length === 0, 'its channel is removed');
      await eventually(() => !client.realtime.isConnected(), 'the socket is closed');
      // Two assignments while it is away.
      await newAssignment();
      await newAssignment();
      const arrived = await newestNotificationIds(me, 2);
      // Longer than relative-time's own last tick (up to 1 s, which then stops by itself): a timer
      // still pending after that is one that was kept, or set again.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(watch.listenersOn([window, document, store]), 'listeners left').to.deep.equal([]);
      expect(watch.pendingTimers(), 'timers left').to.deep.equal([]);
      expect(requests.requests.slice(requestsAtRemoval), 'no query while removed').to.deep.equal([]);

      container.append(bell);
      await eventually(() => isLive(bell) && badgeText(bell) === '3', 'back: live with 3 unread');
      await eventually(() => events.received.length === 2, 'wacrm-receive for what arrived meanwhile');
      expect(events.received.sort()).to.deep.equal(arrived.sort());
      expect(bell.activeStore, 'the same store, caught up').to.equal(store);
      expect(bell.activeStore.state.unreadCount).to.equal(await unreadInDatabase(me));
      expect(client.getChannels()).to.have.length(1);
      expect(events.errors).to.deep.equal([]);
      await eventually(() => part(bell, 'popover')?.matches(':popover-open') === true, 'the open panel shows again');
    });

    it('a removed bell whose last load failed stops retrying, and loads when put back', async () => {
      const { me, newAssignment } = await agentWithTeammate();
      await newAssignment();
      const { client, session, requests } = await signedInAs(me);
      const container = await fixture<HTMLDivElement>(html`<div></div>`);
      const events = record(container);
      requests.failing = true;
      const bell = document.createElement('wacrm-notification-bell');
      bell.supabase = client;
      bell.session = session;
      container.append(bell);
      await eventually(() => events.errors.includes('network'), 'the load failed');
      bell.remove();
      const requestsAtRemoval = requests.requests.length;
      // Past the first retry (1 s) and the second (2 s more).
      await new Promise((resolve) => setTimeout(resolve, 3500));
      expect(requests.requests.slice(requestsAtRemoval), 'no retry after removal').to.deep.equal([]);

      requests.failing = false;
      container.append(bell);
      await eventually(() => isLive(bell) && badgeText(bell) === '1', 'put back, it loads');
    });

    it('a bell moved elsewhere on the page keeps one live channel and reports each arrival once', async () => {
      const { me, newAssignment } = await agentWithTeammate();
      const { client, session } = await signedInAs(me);
      const container = await fixture<HTMLDivElement>(html`<div><header></header><aside></aside></div>`);
      const events = record(container);
      const bell = document.createElement('wacrm-notification-bell');
      bell.supabase = client;
      bell.session = session;
      container.querySelector('header')!.append(bell);
      await eventually(() => isLive(bell), 'live');
      container.querySelector('aside')!.append(bell);
      await eventually(() => isLive(bell), 'live after the move');
      await eventually(() => client.getChannels().length === 1, 'one channel');
      await newAssignment();
      await eventually(() => badgeText(bell) === '1', 'badge shows 1');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(events.received).to.have.length(1);
      expect(events.errors).to.deep.equal([]);
    });

    it('a panel moved from one bell into another shows the other’s store', async () => {
      const first = new FakeDatabase();
      first.insertMany(2);
      const second = new FakeDatabase();
      second.insertMany(3);
      const [firstStore, secondStore] = [await storeOver(first), await storeOver(second)];
      const container = await fixture<HTMLDivElement>(html`<div>
        <wacrm-notification-bell id="a" .store=${firstStore}><wacrm-notification-panel></wacrm-notification-panel></wacrm-notification-bell>
        <wacrm-notification-bell id="b" .store=${secondStore}></wacrm-notification-bell>
      </div>`);
      const panel = container.querySelector('wacrm-notification-panel')!;
      await settle(panel);
      expect(panel.activeStore).to.equal(firstStore);
      container.querySelector('#b')!.append(panel);
      await settle(panel);
      expect(panel.activeStore).to.equal(secondStore);
      expect(parts(panel, 'item')).to.have.length(3);
    });
  });

  describe('lang changed at run time', () => {
    // The built-in languages other than English load on demand, once: after that a change of
    // `lang` is a matter of frames.
    before(async () => {
      await loadStrings('es');
      await loadStrings('pt-BR');
    });

    /** Strings and relative times follow within a couple of frames. */
    async function followed(bell: WacrmNotificationBell, heading: string, label: string, timeLang: string, timeWords: RegExp) {
      await nextFrame();
      await nextFrame();
      const panel = panelOf(bell);
      expect(text(part(panel, 'heading'))).to.equal(heading);
      expect(part(bell, 'button')!.getAttribute('aria-label')).to.equal(label);
      const time = part(panel, 'time')!;
      expect(time.getAttribute('lang')).to.equal(timeLang);
      await waitUntil(() => timeWords.test(time.shadowRoot?.textContent ?? ''), `relative time in ${timeLang}`, { timeout: 1000 });
    }

    async function openBell(wrapperLang?: string) {
      const db = new FakeDatabase();
      db.insertMany(2);
      const store = await storeOver(db);
      const wrapper = await fixture<HTMLDivElement>(
        wrapperLang
          ? html`<div lang=${wrapperLang}><wacrm-notification-bell .store=${store}></wacrm-notification-bell></div>`
          : html`<div><wacrm-notification-bell .store=${store}></wacrm-notification-bell></div>`,
      );
      const bell = wrapper.querySelector('wacrm-notification-bell')!;
      await bell.show();
      await settle(bell, panelOf(bell));
      return { wrapper, bell };
    }

    it('on the element', async () => {
      const { bell } = await openBell();
      bell.lang = 'es';
      await followed(bell, 'Notificaciones', 'Notificaciones, 2 sin leer', 'es', /hace/);
      bell.removeAttribute('lang');
      await followed(bell, 'Notifications', 'Notifications, 2 unread', 'en', /ago/);
    });

    it('on an ancestor', async () => {
      const { wrapper, bell } = await openBell('en');
      wrapper.lang = 'pt-BR';
      await followed(bell, 'Notificações', 'Notificações, não lidas: 2', 'pt-BR', /há/);
      wrapper.removeAttribute('lang');
      wrapper.parentElement!.setAttribute('lang', 'es');
      await followed(bell, 'Notificaciones', 'Notificaciones, 2 sin leer', 'es', /hace/);
      wrapper.parentElement!.removeAttribute('lang');
    });

    it('on <html>', async () => {
      const before = document.documentElement.getAttribute('lang');
      const { bell } = await openBell();
      try {
        document.documentElement.lang = 'es';
        await followed(bell, 'Notificaciones', 'Notificaciones, 2 sin leer', 'es', /hace/);
        document.documentElement.lang = 'pt-BR';
        await followed(bell, 'Notificações', 'Notificações, não lidas: 2', 'pt-BR', /há/);
      } finally {
        if (before === null) document.documentElement.removeAttribute('lang');
        else document.documentElement.setAttribute('lang', before);
      }
    });
  });
});
