// One realtime connection per browser: the tabs of one origin, user and project share it (Web
// Locks elect a leader, BroadcastChannel relays). Each "tab" here is a page of the test's origin
// (an iframe, which shares locks and BroadcastChannel with every other page of the origin) with
// the package loaded in the test's form and a Supabase client of its own, as a real tab has.
import { expect } from '@open-wc/testing';
import { createClient, type Session, type SupabaseClient } from '@supabase/supabase-js';
import type { WacrmNotificationBell } from 'wacrm-notifications';
import { badgeText, expectEqualsDatabase, isLive } from './support/live.js';
import { openPage, type Page } from './support/page.js';
import { assign, conversation, eventually, sql, standInInfo, team, unreadInDatabase, type Agent } from './support/stand-in.js';
import { CountingFetch } from './support/leaks.js';

interface Tab {
  page: Page;
  client: SupabaseClient;
  bell: WacrmNotificationBell;
  session: Session;
  /** The codes of the bell's `wacrm-error` events, from before it had a client. */
  errors: string[];
}

interface TabOptions {
  /** Attributes of the bell, e.g. `tab-sharing="off"`. */
  attributes?: string;
  /** Can take the tab's network away. */
  requests?: CountingFetch;
  /** The Supabase project URL (default the stand-in's). */
  url?: string;
  /** A classic script the tab runs before the package loads (to change its globals). */
  beforePackage?: string;
}

const tabs: Tab[] = [];

afterEach(async () => {
  for (const tab of tabs.splice(0)) {
    tab.page.remove();
    await tab.client.removeAllChannels();
  }
});

async function signIn(agent: Agent, { requests, url: projectUrl }: TabOptions): Promise<{ client: SupabaseClient; session: Session }> {
  const { url, anonKey, password } = await standInInfo();
  const client = createClient(projectUrl ?? url, anonKey, {
    auth: { storageKey: `tabs-${agent.id}-${Math.random()}`, persistSession: false, autoRefreshToken: false },
    ...(requests ? { global: { fetch: requests.fetch } } : {}),
  });
  const { data, error } = await client.auth.signInWithPassword({ email: agent.email, password });
  if (error || !data.session) throw new Error(`sign-in failed: ${error?.message}`);
  return { client, session: data.session };
}

/** A tab of the site showing `agent`'s bell. */
async function openTab(agent: Agent, options: TabOptions = {}): Promise<Tab> {
  const { client, session } = await signIn(agent, options);
  const importMap = document.querySelector('script[type="importmap"]')?.outerHTML ?? '';
  const before = options.beforePackage ? `<script>${options.beforePackage}</script>` : '';
  const page = await openPage(`<!doctype html><html lang="en"><head>${importMap}${before}</head><body>
    <wacrm-notification-bell ${options.attributes ?? ''}></wacrm-notification-bell>
    <script type="module">import 'wacrm-notifications/define'; window.loaded = true;</script>
  </body></html>`);
  await eventually(() => page.window.loaded === true, 'the package loaded in the tab');
  const bell = page.document.querySelector('wacrm-notification-bell') as WacrmNotificationBell;
  const errors: string[] = [];
  bell.addEventListener('wacrm-error', (event) => errors.push(event.error.code));
  bell.supabase = client;
  bell.session = session;
  const tab = { page, client, bell, session, errors };
  tabs.push(tab);
  return tab;
}

const connected = (tab: Tab) => tab.client.realtime.isConnected();

/**
 * The stand-in under its other loopback name: the same server, but another project URL to
 * supabase-js (and to tab sharing). Undefined against a stack that is not on the loopback.
 */
async function sameServerOtherProject(): Promise<string | undefined> {
  const url = new URL((await standInInfo()).url);
  const other = ({ '127.0.0.1': 'localhost', localhost: '127.0.0.1' } as Record<string, string>)[url.hostname];
  if (!other) return undefined;
  url.hostname = other;
  return url.origin;
}

/** A browser without Web Locks (e.g. a page that is not a secure context). */
const withoutWebLocks = `Object.defineProperty(navigator, 'locks', { value: undefined, configurable: true });`;

/** A browser without BroadcastChannel (Safari before 15.4). */
const withoutBroadcastChannel = `delete window.BroadcastChannel;`;

/**
 * A leader hands the connection over after it has been hidden for HIDDEN_HANDOVER_MS (30 s, in
 * tab-share.ts). So that a test need not wait that long, this tab's timers of 30 s up to a minute
 * run 100 times faster; shorter ones (retries, outage reports) and longer ones (the session's
 * expiry, an hour) keep their time. The package's module instance in an iframe is the iframe's own
 * (its import map loads it there), so its bare setTimeout is this window's. `acceleratedTimers`
 * counts those that ran: the test can tell that the package's wait did run here.
 */
const acceleratedLongTimers = `
  window.acceleratedTimers = 0;
  const setTimeoutAsIs = window.setTimeout;
  window.setTimeout = function (handler, delay, ...rest) {
    if (!(delay >= 30000 && delay < 60000)) return setTimeoutAsIs.call(window, handler, delay, ...rest);
    const counted = (...args) => {
      window.acceleratedTimers++;
      return handler(...args);
    };
    return setTimeoutAsIs.call(window, counted, delay / 100, ...rest);
  };`;

/**
 * The tab hidden, as the browser does when its page is in the background. An iframe's visibility
 * is its top page's, which must stay visible for the other tabs: the tab's document says so itself.
 */
function hide(tab: Tab) {
  Object.defineProperty(tab.page.document, 'visibilityState', { value: 'hidden', configurable: true });
  Object.defineProperty(tab.page.document, 'hidden', { value: true, configurable: true });
  tab.page.document.dispatchEvent(new Event('visibilitychange'));
}

async function aTeam() {
  const { accountId, agents, contactId } = await team(['Mara Lobo', 'Nuno Reis', 'Olga Sena']);
  const [teammate, me, other] = agents as [Agent, Agent, Agent];
  return { teammate, me, other, assignTo: async (agent: Agent) => assign(await conversation(accountId, contactId), agent, teammate) };
}

describe('one connection per browser', () => {
  it('tabs of one user share one socket; every tab shows each arrival and equals the database', async () => {
    const { me, assignTo } = await aTeam();
    await assignTo(me);
    const first = await openTab(me);
    const second = await openTab(me);
    const third = await openTab(me);
    const all = [first, second, third];
    await eventually(() => all.every((tab) => isLive(tab.bell) && badgeText(tab.bell) === '1'), 'every tab live with 1');
    await eventually(() => all.filter(connected).length === 1, 'one socket among them');

    await assignTo(me);
    await assignTo(me);
    await eventually(() => all.every((tab) => badgeText(tab.bell) === '3'), 'every tab shows 3');
    for (const tab of all) await expectEqualsDatabase(tab.bell, me);
  });

  it('a follower’s mark-read reaches every tab through the leader', async () => {
    const { me, assignTo } = await aTeam();
    await assignTo(me);
    await assignTo(me);
    const leader = await openTab(me);
    await eventually(() => connected(leader) && isLive(leader.bell), 'the first tab leads');
    const follower = await openTab(me);
    await eventually(() => isLive(follower.bell) && badgeText(follower.bell) === '2', 'the follower live with 2');
    expect(connected(follower), 'the follower has no socket').to.equal(false);
    const [newest] = follower.bell.activeStore.state.items;
    expect(await follower.bell.activeStore.markRead(newest!.id)).to.equal(true);
    await eventually(() => badgeText(leader.bell) === '1' && badgeText(follower.bell) === '1', 'both show 1');
    await expectEqualsDatabase(leader.bell, me);
    await expectEqualsDatabase(follower.bell, me);
  });

  it('when the leading tab closes, another takes over and catches up on what arrived meanwhile', async () => {
    const { me, assignTo } = await aTeam();
    const leader = await openTab(me);
    await eventually(() => connected(leader) && isLive(leader.bell), 'the first tab leads');
    const follower = await openTab(me);
    await eventually(() => isLive(follower.bell), 'the second follows');
    expect(connected(follower)).to.equal(false);

    // Closed in the middle of a burst: some arrivals before, some after, none lost.
    const burst = Array.from({ length: 6 }, () => assignTo(me));
    tabs.splice(tabs.indexOf(leader), 1);
    leader.page.remove();
    await leader.client.removeAllChannels();
    await Promise.all(burst);
    await eventually(() => connected(follower) && isLive(follower.bell), 'the follower took over', 15000);
    await assignTo(me);
    const unread = await unreadInDatabase(me);
    expect(unread).to.equal(7);
    await eventually(() => badgeText(follower.bell) === '7', 'the new leader shows all 7');
    await expectEqualsDatabase(follower.bell, me);
  });

  it('a leading tab that the browser freezes hands the connection over; resumed, it follows', async () => {
    const { me, assignTo } = await aTeam();
    const leader = await openTab(me);
    await eventually(() => connected(leader) && isLive(leader.bell), 'the first tab leads');
    const follower = await openTab(me);
    await eventually(() => isLive(follower.bell), 'the second follows');
    // What Chromium's Page Lifecycle sends a background tab before it stops running it.
    leader.page.document.dispatchEvent(new Event('freeze'));
    await eventually(() => connected(follower) && isLive(follower.bell), 'the other tab took over');
    await eventually(() => !connected(leader), 'the frozen tab let its socket go');
    leader.page.document.dispatchEvent(new Event('resume'));
    await assignTo(me);
    await eventually(() => badgeText(follower.bell) === '1' && badgeText(leader.bell) === '1', 'both receive');
    expect(connected(leader), 'resumed, it follows').to.equal(false);
    await expectEqualsDatabase(leader.bell, me);
  });

  it('tabs of different users never share', async () => {
    const { me, other, assignTo } = await aTeam();
    const mine = await openTab(me);
    const theirs = await openTab(other);
    await eventually(() => connected(mine) && connected(theirs) && isLive(mine.bell) && isLive(theirs.bell), 'each has its own socket');
    await assignTo(other);
    await eventually(() => badgeText(theirs.bell) === '1', 'theirs shows 1');
    expect(badgeText(mine.bell)).to.equal('');
    const [row] = await sql<{ count: string }>('select count(*) from public.notifications where user_id = $1', [me.id]);
    expect(Number(row!.count)).to.equal(0);
  });

  it('tabs of one user in different Supabase projects never share', async function () {
    const otherProject = await sameServerOtherProject();
    if (!otherProject) {
      console.warn(`skipped "${this.test?.title}": the stack under test is not on the loopback, so it has no second URL`);
      this.skip();
    }
    const { me, assignTo } = await aTeam();
    const here = await openTab(me);
    const there = await openTab(me, { url: otherProject });
    expect(there.client.realtime.endpointURL()).not.to.equal(here.client.realtime.endpointURL());
    await eventually(() => connected(here) && connected(there) && isLive(here.bell) && isLive(there.bell), 'each has its own socket');
    await assignTo(me);
    await eventually(() => badgeText(here.bell) === '1' && badgeText(there.bell) === '1', 'both show 1');
    expect(connected(here) && connected(there), 'still a socket each').to.equal(true);
    await expectEqualsDatabase(here.bell, me);
    await expectEqualsDatabase(there.bell, me);
    expect([...here.errors, ...there.errors]).to.deep.equal([]);
  });

  it('tab-sharing="off" keeps a connection per tab', async () => {
    const { me, assignTo } = await aTeam();
    const first = await openTab(me, { attributes: 'tab-sharing="off"' });
    const second = await openTab(me, { attributes: 'tab-sharing="off"' });
    await eventually(() => connected(first) && connected(second), 'two sockets');
    await assignTo(me);
    await eventually(() => badgeText(first.bell) === '1' && badgeText(second.bell) === '1', 'both show 1');
  });
});

for (const transport of ['postgres_changes', 'broadcast'] as const) {
  describe(`tabs sharing a connection over ${transport}, when things go wrong`, () => {
    const shared = { attributes: `transport="${transport}"` };

    it('two tabs marking everything read at the same moment: both end at 0, as the database', async () => {
      const { me, assignTo } = await aTeam();
      for (let i = 0; i < 5; i++) await assignTo(me);
      const leader = await openTab(me, shared);
      await eventually(() => connected(leader) && isLive(leader.bell), 'the first tab leads');
      const follower = await openTab(me, shared);
      await eventually(() => isLive(follower.bell) && badgeText(follower.bell) === '5', 'the follower with 5');
      const results = await Promise.all([leader.bell.activeStore.markAllRead(), follower.bell.activeStore.markAllRead()]);
      expect(results).to.deep.equal([true, true]);
      await assignTo(me);
      await eventually(() => badgeText(leader.bell) === '1' && badgeText(follower.bell) === '1', 'both at 1 after a new one');
      await expectEqualsDatabase(leader.bell, me);
      await expectEqualsDatabase(follower.bell, me);
    });

    it('a follower offline: its write is rolled back, the leader still relays, and back online it equals the database', async () => {
      const { me, assignTo } = await aTeam();
      await assignTo(me);
      const leader = await openTab(me, shared);
      await eventually(() => connected(leader) && isLive(leader.bell), 'the first tab leads');
      const network = new CountingFetch();
      const follower = await openTab(me, { ...shared, requests: network });
      await eventually(() => isLive(follower.bell) && badgeText(follower.bell) === '1', 'the follower with 1');
      const errors: string[] = [];
      follower.bell.addEventListener('wacrm-error', (event) => errors.push(event.error.code));

      network.failing = true;
      follower.page.window.dispatchEvent(new Event('offline'));
      const [first] = follower.bell.activeStore.state.items;
      expect(await follower.bell.activeStore.markRead(first!.id)).to.equal(false);
      expect(errors).to.include('write-failed');
      await assignTo(me);
      await eventually(() => badgeText(follower.bell) === '2', 'the arrival relayed to the offline tab');

      network.failing = false;
      follower.page.window.dispatchEvent(new Event('online'));
      expect(await follower.bell.activeStore.markRead(first!.id)).to.equal(true);
      await eventually(() => badgeText(leader.bell) === '1' && badgeText(follower.bell) === '1', 'both at 1');
      await expectEqualsDatabase(follower.bell, me);
      await expectEqualsDatabase(leader.bell, me);
    });

    it('the leader’s token refreshed: every tab keeps receiving', async () => {
      const { me, assignTo } = await aTeam();
      const leader = await openTab(me, shared);
      await eventually(() => connected(leader) && isLive(leader.bell), 'the first tab leads');
      const follower = await openTab(me, shared);
      await eventually(() => isLive(follower.bell), 'the second follows');
      // A token is stamped to the second: refreshed within the same one, it would be the same token.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const { data, error } = await leader.client.auth.refreshSession({ refresh_token: leader.session.refresh_token });
      expect(error).to.equal(null);
      expect(data.session!.access_token).not.to.equal(leader.session.access_token);
      leader.bell.session = data.session;
      await assignTo(me);
      await assignTo(me);
      await eventually(() => badgeText(leader.bell) === '2' && badgeText(follower.bell) === '2', 'both receive after the refresh');
      expect(connected(follower)).to.equal(false);
      await expectEqualsDatabase(follower.bell, me);
    });
  });
}

for (const { missing, beforePackage, inTab } of [
  { missing: 'Web Locks', beforePackage: withoutWebLocks, inTab: (page: Page) => page.window.navigator.locks },
  { missing: 'BroadcastChannel', beforePackage: withoutBroadcastChannel, inTab: (page: Page) => page.window.BroadcastChannel },
]) {
  describe(`a browser without ${missing}`, () => {
    it('each tab works alone: a socket of its own, every arrival, equal to the database, no error', async () => {
      const { me, assignTo } = await aTeam();
      await assignTo(me);
      const first = await openTab(me, { beforePackage });
      const second = await openTab(me, { beforePackage });
      expect(inTab(first.page), `${missing} gone in the tab`).to.equal(undefined);
      await eventually(() => [first, second].every((tab) => isLive(tab.bell) && badgeText(tab.bell) === '1'), 'both live with 1');
      await eventually(() => connected(first) && connected(second), 'a socket each');
      await assignTo(me);
      await assignTo(me);
      await eventually(() => badgeText(first.bell) === '3' && badgeText(second.bell) === '3', 'both show 3');
      await expectEqualsDatabase(first.bell, me);
      await expectEqualsDatabase(second.bell, me);
      expect([...first.errors, ...second.errors]).to.deep.equal([]);
    });
  });
}

describe('a leading tab hidden for long', () => {
  it('hands the connection to a tab that waits, which catches up; the hidden one follows', async () => {
    const { me, assignTo } = await aTeam();
    const hidden = await openTab(me, { beforePackage: acceleratedLongTimers });
    await eventually(() => connected(hidden) && isLive(hidden.bell), 'the first tab leads');
    const visible = await openTab(me);
    await eventually(() => isLive(visible.bell), 'the second follows');
    expect(connected(visible)).to.equal(false);

    hide(hidden);
    // Committed while the connection changes hands: the new leader catches up on it.
    await assignTo(me);
    await eventually(() => connected(visible) && isLive(visible.bell), 'the visible tab took over');
    await eventually(() => !connected(hidden), 'the hidden tab let its socket go');
    expect(hidden.page.window.acceleratedTimers, 'the hidden tab waited (its own timer)').to.be.greaterThan(0);
    await assignTo(me);
    await eventually(() => badgeText(visible.bell) === '2' && badgeText(hidden.bell) === '2', 'both show 2');
    expect(connected(hidden), 'the hidden tab follows').to.equal(false);
    await expectEqualsDatabase(visible.bell, me);
    await expectEqualsDatabase(hidden.bell, me);
    expect([...hidden.errors, ...visible.errors]).to.deep.equal([]);
  });

  it('keeps the connection while no other tab waits, and hands it to one opened later', async () => {
    const { me, assignTo } = await aTeam();
    const hidden = await openTab(me, { beforePackage: acceleratedLongTimers });
    await eventually(() => connected(hidden) && isLive(hidden.bell), 'the tab leads');
    hide(hidden);
    // Its wait ran out twice: the first look at the lock queue was answered (nobody) before the second.
    await eventually(() => (hidden.page.window.acceleratedTimers as number) >= 2, 'the hidden tab looked for a waiting tab twice');
    expect(connected(hidden) && isLive(hidden.bell), 'alone, the hidden tab keeps leading').to.equal(true);
    await assignTo(me);
    await eventually(() => badgeText(hidden.bell) === '1', 'it still receives');

    const opened = await openTab(me);
    await eventually(() => connected(opened) && isLive(opened.bell), 'the tab opened later took over');
    await eventually(() => !connected(hidden), 'the hidden tab let its socket go');
    await assignTo(me);
    await eventually(() => badgeText(opened.bell) === '2' && badgeText(hidden.bell) === '2', 'both show 2');
    await expectEqualsDatabase(opened.bell, me);
    await expectEqualsDatabase(hidden.bell, me);
    expect([...hidden.errors, ...opened.errors]).to.deep.equal([]);
  });
});
