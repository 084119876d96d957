// Runs one chaos schedule (schedule.ts) through the real stack in this browser: a fresh account, its
// users' tabs as iframes sharing one connection per user (as in tabs.test.ts, but each with a
// supabase-js of its own, so that a closed tab takes its socket with it), the steps at their pace,
// then every open tab compared with SQL. A failure throws one message with the seed, the schedule in
// words, what happened step by step (each tab's state as it changed, its failed and slow requests),
// and how each tab differs from the database.
import type { createClient, Session, SupabaseClient } from '@supabase/supabase-js';
import type { NotificationState, WacrmNotificationBell } from 'wacrm-notifications';
import { panelOf } from '../support/dom.js';
import { openPage, type Page } from '../support/page.js';
import { command, conversation, eventually, sql, standInInfo, team, type Agent } from '../support/stand-in.js';
import { CONVERSATIONS, describeSchedule, describeStep, type Action, type Actor, type Schedule, type ServerSide, type Step, type TabRef, type User, type Write } from './schedule.js';

export type Engine = 'chromium' | 'firefox' | 'webkit';

/** The engine this page runs in. */
export function currentEngine(): Engine {
  const agent = navigator.userAgent;
  if (/Firefox\//.test(agent)) return 'firefox';
  if (/Chrom(e|ium)\//.test(agent)) return 'chromium';
  return 'webkit';
}

/** supabase-js as the dev server serves it, for the tabs to load their own. */
const SUPABASE_JS = '/node_modules/@supabase/supabase-js/dist/index.mjs';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A leader hands its connection on after being hidden for 30 s (tab-share.ts): so that a hidden tab
 * does so within a schedule, each tab runs its timers of 30 s up to a minute 100 times faster (as
 * tabs.test.ts does). Shorter ones (retries, reconnects, outage reports) keep their time.
 */
const acceleratedLongTimers = `
  const setTimeoutAsIs = window.setTimeout;
  window.setTimeout = function (handler, delay, ...rest) {
    if (!(delay >= 30000 && delay < 60000)) return setTimeoutAsIs.call(window, handler, delay, ...rest);
    return setTimeoutAsIs.call(window, handler, delay / 100, ...rest);
  };`;

interface Tab {
  user: User;
  /** A1, A2, B1…: the user and the order tabs of that user were opened in. */
  name: string;
  page: Page;
  client: SupabaseClient;
  bell: WacrmNotificationBell;
  /** What the client sends (supabase-js's accessToken option): the session's token. */
  token: string;
  /** The token's expiry, in ms since the epoch. */
  expiresAt: number;
  closed: boolean;
  /** Its panel shows the archive (a restore step switched it): the archive's list is compared too. */
  archive: boolean;
  /** Hidden by a hide-tab step until this timer shows it again. */
  hiddenTimer?: ReturnType<typeof setTimeout>;
  /** Snapshots that broke an invariant (a duplicate id, a negative count). */
  violations: string[];
}

/** What each tab shows against what the database holds. */
interface Comparison {
  tab: string;
  equal: boolean;
  live: boolean;
  actual: unknown;
  expected: unknown;
  /** Rows listed on one side only, or with other states (ids as the comparison shows them). */
  differing: string[];
}

const settledOne = (comparison: Comparison) => comparison.equal && comparison.live;

/** Tabs of schedules still open, closed by `closeEverything` (after each test, whatever happened). */
const openTabs = new Set<Tab>();
let cancelled = false;
/** Said once per page: this browser cannot go offline. */
let warnedOnline = false;

/** Closes whatever a schedule left open, and stops a schedule that is still running (a test that timed out). */
export function closeEverything(): void {
  cancelled = true;
  for (const tab of [...openTabs]) closeTab(tab);
}

/** The tab closed: its page goes, and its supabase-js (its socket) with it. */
function closeTab(tab: Tab): void {
  openTabs.delete(tab);
  tab.closed = true;
  clearTimeout(tab.hiddenTimer);
  tab.page.remove();
}

function tokenExpiry(token: string): number {
  const payload = JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as { exp: number };
  return payload.exp * 1000;
}

const sessionOf = (tab: Tab, agent: Agent) =>
  ({ access_token: tab.token, expires_at: Math.floor(tab.expiresAt / 1000), user: { id: agent.id } }) as unknown as Session;

/** Invariants of every snapshot a store publishes. */
function violationsOf(state: NotificationState): string[] {
  const problems: string[] = [];
  if (state.unreadCount < 0) problems.push(`negative unread count ${state.unreadCount}`);
  if (state.unseenCount < 0) problems.push(`negative unseen count ${state.unseenCount}`);
  const ids = state.items.map((item) => item.id);
  if (new Set(ids).size !== ids.length) problems.push(`a duplicate among ${ids.length} items`);
  return problems;
}

const isLive = (tab: Tab) => tab.bell.activeStore.state.status === 'ready' && tab.bell.activeStore.state.realtime === 'live';

function hide(tab: Tab): void {
  // An iframe's visibility is its top page's, which must stay visible for the other tabs: the tab's
  // document says so itself (tabs.test.ts does the same).
  Object.defineProperty(tab.page.document, 'visibilityState', { value: 'hidden', configurable: true });
  Object.defineProperty(tab.page.document, 'hidden', { value: true, configurable: true });
  tab.page.document.dispatchEvent(new Event('visibilitychange'));
}

function show(tab: Tab): void {
  clearTimeout(tab.hiddenTimer);
  tab.hiddenTimer = undefined;
  const { document } = tab.page;
  if (!Object.getOwnPropertyDescriptor(document, 'visibilityState')) return;
  // Back to the document's own getters (Document.prototype's).
  Reflect.deleteProperty(document, 'visibilityState');
  Reflect.deleteProperty(document, 'hidden');
  if (!tab.closed) document.dispatchEvent(new Event('visibilitychange'));
}

export interface ChaosOutcome {
  /** Milliseconds from the scene's start to the end of the check. */
  ms: number;
  /** Milliseconds from the end of the steps (their writes done) until every tab was live and equal. */
  settleMs: number;
  log: string[];
}

/**
 * Runs `schedule` and checks the end: every open tab live, its list (ids in order, read and seen
 * states; the whole inbox when it says there is no more) and its unread and unseen counts equal to
 * the database, and no snapshot on the way with a duplicate or a negative count.
 */
export async function runSchedule(schedule: Schedule, engine: Engine = currentEngine()): Promise<ChaosOutcome> {
  cancelled = false;
  const started = performance.now();
  const log: string[] = [];
  const note = (line: string) => log.push(`+${String(Math.round(performance.now() - started)).padStart(5)} ms  ${line}`);
  const fail = (problem: string, details = ''): never => {
    throw new Error(
      [
        `chaos seed ${schedule.seed} (${schedule.transport}, ${engine}) failed: ${problem}`,
        `rerun it: npm run chaos -- --seed ${schedule.seed} --engine ${engine}`,
        '',
        'schedule:',
        describeSchedule(schedule),
        '',
        'what happened:',
        ...log,
        ...(details ? ['', details] : []),
      ].join('\n'),
    );
  };

  // ------------------------------------------------------------------ the scene
  const { accountId, agents, contactId } = await team(['Ana Chaos', 'Bea Chaos', 'Teo Teammate']);
  const [a, b, teammate] = agents as [Agent, Agent, Agent];
  const agentOf: Record<User | 'teammate', Agent> = { A: a, B: b, teammate };
  const actorId = (actor: Actor) => (actor === 'teammate' ? teammate.id : undefined);
  const conversations: string[] = [];
  for (let index = 0; index < CONVERSATIONS; index++) {
    const id = await conversation(accountId, contactId);
    conversations.push(id);
    const owner = index === 2 && schedule.tabs.B > 0 ? b : a;
    await command('assign', { conversationId: id, assigneeId: owner.id, actorId: teammate.id });
  }
  if (schedule.earlier > 0) await command('burst', { accountId, contactId, assigneeId: a.id, count: schedule.earlier, connections: 1 });
  const [pipeline] = await sql<{ id: string }>(`insert into public.pipelines (account_id, name) values ($1, 'Sales') returning id`, [accountId]);
  const stages = await sql<{ id: string }>(
    `insert into public.pipeline_stages (pipeline_id, name, position) values ($1, 'Lead', 0), ($1, 'Proposal', 1) returning id`,
    [pipeline!.id],
  );
  const [deal] = await sql<{ id: string }>(
    `insert into public.deals (account_id, pipeline_id, stage_id, contact_id, title, assigned_to)
     values ($1, $2, $3, $4, 'Fleet renewal', (select id from public.profiles where user_id = $5)) returning id`,
    [accountId, pipeline!.id, stages[0]!.id, contactId, teammate.id],
  );
  const canGoOffline = await command<string | true>('can-go-offline');

  // ------------------------------------------------------------------ tabs
  const { url, anonKey } = await standInInfo();
  const tabs: Tab[] = [];
  const opened: Record<User, number> = { A: 0, B: 0 };
  let tokenSeconds = 3600;
  const freshToken = async (tab: Tab, seconds = tokenSeconds++) => {
    // Tokens are stamped to the second: a different lifetime makes each refresh a different token.
    tab.token = await command<string>('token', { agent: agentOf[tab.user], seconds });
    tab.expiresAt = tokenExpiry(tab.token);
    tab.bell.session = sessionOf(tab, agentOf[tab.user]);
  };
  const openTab = async (user: User): Promise<Tab> => {
    const importMap = document.querySelector('script[type="importmap"]')?.outerHTML ?? '';
    // supabase-js of the tab's own (its sockets and requests the tab's), as a real tab has: closing
    // the tab closes its connection, and nothing of it runs afterwards.
    const page = await openPage(`<!doctype html><html lang="en"><head>${importMap}<script>${acceleratedLongTimers}</script></head><body>
      <wacrm-notification-bell transport="${schedule.transport}" page-size="${schedule.pageSize}"></wacrm-notification-bell>
      <script type="module">
        import { createClient } from '${SUPABASE_JS}';
        import 'wacrm-notifications/define';
        window.createClient = createClient;
        window.loaded = true;
      </script>
    </body></html>`);
    await eventually(() => page.window.loaded === true, 'the package loaded in the tab');
    const bell = page.document.querySelector('wacrm-notification-bell') as WacrmNotificationBell;
    const tab: Tab = { user, name: `${user}${++opened[user]}`, page, bell, token: '', expiresAt: 0, closed: false, archive: false, violations: [], client: null! };
    // Its requests, timed: one that fails or takes long is part of the story.
    const fetchOfTab = page.window.fetch.bind(page.window);
    let requests = 0;
    const timedFetch: typeof fetch = async (input, init) => {
      const what = `${tab.name} request ${++requests} ${init?.method ?? 'GET'} ${new URL(input instanceof Request ? input.url : String(input)).pathname.replace('/rest/v1/', '')}`;
      const sent = performance.now();
      const took = () => `${Math.round(performance.now() - sent)} ms`;
      const slow = setTimeout(() => note(`    ${what}: no answer after 2 s`), 2000);
      try {
        const response = await fetchOfTab(input, init);
        if (!response.ok || performance.now() - sent > 2000) note(`    ${what}: ${response.status} after ${took()}`);
        return response;
      } catch (error) {
        note(`    ${what}: failed after ${took()} (${error instanceof Error ? error.name : String(error)})`);
        throw error;
      } finally {
        clearTimeout(slow);
      }
    };
    tab.client = (page.window.createClient as typeof createClient)(url, anonKey, { accessToken: async () => tab.token, global: { fetch: timedFetch } });
    let seen = '';
    bell.activeStore.addEventListener('change', (event) => {
      for (const problem of violationsOf(event.state)) tab.violations.push(`${problem} at +${Math.round(performance.now() - started)} ms`);
      // The tab's state and channel as they change, for the story of a failure.
      const now = `${event.state.status}/${event.state.realtime}${event.state.error ? ` (${event.state.error.code})` : ''}`;
      if (now !== seen) note(`    ${tab.name} is ${(seen = now)}`);
    });
    tabs.push(tab);
    openTabs.add(tab);
    bell.supabase = tab.client;
    await freshToken(tab);
    return tab;
  };
  const openOf = (user: User) => tabs.filter((tab) => tab.user === user && !tab.closed);
  const resolve = (ref: TabRef): Tab | undefined => {
    const candidates = openOf(ref.user);
    return candidates.length ? candidates[ref.tab % candidates.length] : undefined;
  };

  for (const user of ['A', 'B'] as const) for (let i = 0; i < schedule.tabs[user]; i++) await openTab(user);
  if (schedule.calmStart) {
    await eventually(() => tabs.every(isLive), 'every tab live before the first step', 20000);
    note(`tabs open and live: ${tabs.map((tab) => `${tab.name}${tab.bell.channelTopic ? ' (leads)' : ''}`).join(', ')}`);
  } else {
    note(`tabs open: ${tabs.map((tab) => `${tab.name} ${tab.bell.activeStore.state.status}/${tab.bell.activeStore.state.realtime}`).join(', ')}`);
  }

  // ------------------------------------------------------------------ steps
  /** Work started and not awaited: writes, restarts, the users' actions (`tab`: in that tab). */
  const background: { done: Promise<void>; tab?: Tab }[] = [];
  /** What of it has not settled yet. */
  const pending = new Set<{ what: string }>();
  /** Restarts running: a step that takes the page away waits for them (its server steps need the database). */
  const restarts: Promise<unknown>[] = [];
  const track = <T>(what: string, work: Promise<T>, show: (value: T) => string = (value) => JSON.stringify(value), tab?: Tab) => {
    // A promise of this page's, settled from the tab's: a store's promise belongs to its tab's
    // window, and Firefox runs no reaction to it once that tab is closed, even if it had settled.
    const key = { what };
    pending.add(key);
    const done = new Promise<void>((resolve) => {
      work.then(
        (value) => {
          pending.delete(key);
          note(`  done: ${what} → ${show(value)}`);
          resolve();
        },
        (error: unknown) => {
          pending.delete(key);
          note(`  failed: ${what} → ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
          resolve();
        },
      );
    });
    background.push({ done, tab });
    return done;
  };

  /** A write or dropped sockets as a server command (run by the page, or by the server while the page is away). */
  const commandsFor = (step: ServerSide): { command: string; payload?: Record<string, unknown> }[] => {
    switch (step.kind) {
      case 'drop-sockets':
        return [{ command: 'drop-sockets' }];
      case 'assign':
        return [
          {
            command: 'burst',
            payload: { accountId, contactId, assigneeId: agentOf[step.to].id, count: step.count, spreadMs: step.spreadMs, connections: 1 },
          },
        ];
      case 'reassign':
        return [
          {
            command: 'query-as',
            payload: {
              actorId: actorId(step.by),
              sql: 'update public.conversations set assigned_agent_id = $2 where id = $1',
              params: [conversations[step.conversation], agentOf[step.to].id],
            },
          },
        ];
      case 'message':
        return Array.from({ length: step.count }, (_, index) => ({
          command: 'query',
          payload: {
            sql: `insert into public.messages (conversation_id, sender_type, content_type, content_text) values ($1, 'customer', 'text', $2)`,
            params: [conversations[step.conversation], `Chaos message ${index + 1}`],
          },
        }));
      case 'deal': {
        const update =
          step.change === 'assign'
            ? { sql: 'update public.deals set assigned_to = (select id from public.profiles where user_id = $2) where id = $1', params: [deal!.id, agentOf[step.to].id] }
            : step.change === 'stage'
              ? { sql: 'update public.deals set stage_id = case when stage_id = $2 then $3 else $2 end where id = $1', params: [deal!.id, stages[0]!.id, stages[1]!.id] }
              : { sql: 'update public.deals set status = $2 where id = $1', params: [deal!.id, step.status] };
        return [{ command: 'query-as', payload: { actorId: actorId(step.by), ...update } }];
      }
    }
  };

  const write = (step: Write) => {
    const what = describeStep(step);
    void track(
      what,
      (async () => {
        const results: unknown[] = [];
        for (const { command: name, payload } of commandsFor(step)) results.push(await command(name, payload));
        return results;
      })(),
      (results) => (step.kind === 'assign' ? JSON.stringify(results[0]) : 'committed'),
    );
  };

  const act = (step: Action) => {
    const tab = resolve(step.tab);
    const what = describeStep(step);
    if (!tab) return note(`  skipped: ${what} (no tab of ${step.tab.user} open)`);
    const store = tab.bell.activeStore;
    const label = `${tab.name}: ${what.split(': ')[1]}`;
    const item = 'item' in step ? store.state.items[step.item % Math.max(1, store.state.items.length)] : undefined;
    switch (step.kind) {
      case 'mark-read':
      case 'archive':
        if (!item) return note(`  skipped: ${label} (its list is empty)`);
        void track(`${label} (${item.id.slice(0, 8)})`, step.kind === 'mark-read' ? store.markRead(item.id) : store.archive(item.id), undefined, tab);
        return;
      case 'mark-all':
        void track(label, store.markAllRead(), undefined, tab);
        return;
      case 'archive-read':
        void track(label, store.archiveRead(), undefined, tab);
        return;
      case 'load-more':
        void track(label, store.loadMore(), () => `${store.state.items.length} items`, tab);
        return;
      case 'restore': {
        // Through the panel, as a user does: shown, it loads the archive (and keeps it loaded).
        tab.archive = true;
        panelOf(tab.bell).filter = 'archived';
        const restore = async () => {
          const archive = store.archived;
          const deadline = performance.now() + 5000;
          while (archive.state.status !== 'ready' && performance.now() < deadline) await sleep(50);
          const archived = archive.state.items[step.item % Math.max(1, archive.state.items.length)];
          if (!archived) return `nothing to restore (the archive is ${archive.state.status})`;
          return `${archived.id.slice(0, 8)}: ${await store.unarchive(archived.id)}`;
        };
        void track(label, restore(), String, tab);
        return;
      }
      case 'open-panel':
        void track(label, tab.bell.show(), () => 'open', tab);
        return;
      case 'close-panel':
        void track(label, tab.bell.hide(), () => 'closed', tab);
        return;
      default:
        throw new Error(`an action of an unknown kind: ${JSON.stringify(step satisfies never)}`);
    }
  };

  /** The page offline or hidden while the server runs `server`, and the tabs try `page`. */
  const away = async (step: Extract<Step, { kind: 'offline' | 'window-hidden' }>) => {
    await Promise.allSettled(restarts);
    const during = step.server.flatMap(commandsFor);
    const offline = step.kind === 'offline';
    if (offline && canGoOffline !== true) {
      // WebKit: its WebDriver has no network emulation. The same writes, online.
      note(`  the browser stays online (${canGoOffline}): the steps run online`);
      if (!warnedOnline) console.warn(`chaos: offline steps run online in this browser: ${canGoOffline}`);
      warnedOnline = true;
      for (const server of step.server) {
        if (server.kind === 'drop-sockets') await command('drop-sockets');
        else write(server);
      }
      for (const action of step.page) act(action);
      await sleep(step.ms);
      return;
    }
    const going = command<unknown[]>(offline ? 'offline' : 'hidden', { ms: step.ms, during });
    const gone = () => (offline ? !navigator.onLine : document.visibilityState === 'hidden');
    try {
      await eventually(gone, offline ? 'the browser offline' : 'the window hidden', 5000);
      note(`  ${offline ? 'offline' : 'hidden'}`);
      for (const action of step.page) act(action);
    } catch {
      note(`  the page never saw itself ${offline ? 'offline' : 'hidden'}; its actions run anyway`);
      for (const action of step.page) act(action);
    }
    try {
      const results = await going;
      note(`  back (server steps: ${JSON.stringify(results)})`);
    } catch (error) {
      note(`  back, a server step failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    }
    if (!offline) await eventually(() => document.visibilityState === 'visible', 'the window visible again', 5000).catch(() => undefined);
  };

  for (const [index, step] of schedule.steps.entries()) {
    if (cancelled) return fail('cancelled (the test timed out or failed meanwhile)');
    await sleep(step.wait);
    note(`#${index + 1} ${describeStep(step)}`);
    switch (step.kind) {
      case 'assign':
      case 'reassign':
      case 'message':
      case 'deal':
        write(step);
        break;
      case 'mark-read':
      case 'mark-all':
      case 'archive':
      case 'archive-read':
      case 'restore':
      case 'open-panel':
      case 'close-panel':
      case 'load-more':
        act(step);
        break;
      case 'drop-sockets':
        await command('drop-sockets');
        break;
      case 'restart-api':
        restarts.push(track(describeStep(step), command('restart-api', { downtimeMs: step.downtimeMs })));
        break;
      case 'restart-database':
        restarts.push(track(describeStep(step), command('restart-database')));
        break;
      case 'offline':
      case 'window-hidden':
        await away(step);
        break;
      case 'hide-tab': {
        const tab = resolve(step.tab);
        if (!tab) break;
        note(`  ${tab.name} hidden${tab.bell.channelTopic ? ' (it leads)' : ''}`);
        hide(tab);
        clearTimeout(tab.hiddenTimer);
        tab.hiddenTimer = setTimeout(() => {
          note(`  ${tab.name} visible again`);
          show(tab);
        }, step.ms);
        break;
      }
      case 'freeze-tab': {
        // What Chromium's Page Lifecycle sends a background tab before it stops running it (tabs.test.ts).
        const tab = resolve(step.tab);
        if (!tab) break;
        note(`  ${tab.name} frozen${tab.bell.channelTopic ? ' (it leads)' : ''}`);
        tab.page.document.dispatchEvent(new Event('freeze'));
        setTimeout(() => {
          if (tab.closed) return;
          note(`  ${tab.name} resumed`);
          tab.page.document.dispatchEvent(new Event('resume'));
        }, step.ms);
        break;
      }
      case 'close-leader': {
        const candidates = openOf(step.user);
        const leader = candidates.find((tab) => tab.bell.channelTopic);
        const closing = leader ?? candidates[0];
        if (!closing) break;
        note(`  closing ${closing.name}${leader ? '' : ' (no tab of the user led at this moment)'}`);
        closeTab(closing);
        if (step.reopen) note(`  opened ${(await openTab(step.user)).name}`);
        break;
      }
      case 'open-tab':
        note(`  opened ${(await openTab(step.user)).name}`);
        break;
      case 'refresh-token': {
        const tab = resolve(step.tab);
        if (!tab) break;
        await freshToken(tab);
        note(`  ${tab.name} has a new token`);
        break;
      }
      case 'expire-token': {
        const tab = resolve(step.tab);
        if (!tab) break;
        await freshToken(tab, step.seconds);
        note(`  ${tab.name}'s token expires at +${Math.round(tab.expiresAt - Date.now() + performance.now() - started)} ms`);
        break;
      }
      case 'renew-sessions':
        for (const tab of openOf('A').concat(openOf('B'))) {
          if (tab.expiresAt - Date.now() > 60_000) continue;
          await freshToken(tab);
          note(`  ${tab.name} signed in again`);
        }
        break;
      default:
        return fail(`a step of an unknown kind: ${JSON.stringify(step satisfies never)}`);
    }
  }

  // ------------------------------------------------------------------ the end
  note('the schedule is over: waiting for its writes');
  // Not what closed tabs were doing: that never settles (the database has what it has).
  const settled = Promise.all(background.filter((work) => !work.tab?.closed).map((work) => work.done));
  await Promise.race([settled, sleep(20000)]);
  if (pending.size) note(`unsettled after 20 s: ${[...pending].map((work) => work.what).join('; ')}`);
  for (const tab of tabs) if (!tab.closed) show(tab);
  for (const tab of tabs) {
    if (tab.closed || tab.expiresAt - Date.now() > 60_000) continue;
    await freshToken(tab);
    note(`${tab.name} signed in again (its session had expired or was about to)`);
  }
  const remaining = tabs.filter((tab) => !tab.closed);
  const compareAll = async (): Promise<Comparison[]> => Promise.all(remaining.map((tab) => compare(tab, agentOf[tab.user])));
  const end = performance.now();
  let comparisons: Comparison[];
  const deadline = end + 30000;
  for (;;) {
    if (cancelled) return fail('cancelled (the test timed out or failed meanwhile)');
    comparisons = await compareAll();
    if (comparisons.every(settledOne) || performance.now() > deadline) break;
    await sleep(100);
  }
  const settleMs = Math.round(performance.now() - end);
  note(`settled after ${settleMs} ms: ${remaining.map((tab) => `${tab.name}${tab.bell.channelTopic ? ' (leads)' : ''}`).join(', ')}`);
  await sleep(300); // a late duplicate or a stale recount would show here
  // Equal again, allowing 2 s for a write on its way (an open panel marks new rows seen).
  const recheck = performance.now() + 2000;
  for (;;) {
    comparisons = await compareAll();
    if (comparisons.every(settledOne) || performance.now() > recheck) break;
    await sleep(100);
  }
  const differing = comparisons.filter((comparison) => !settledOne(comparison));
  const violations = remaining.flatMap((tab) => tab.violations.map((violation) => `${tab.name}: ${violation}`));
  if (differing.length) {
    const startedAt = Date.now() - (performance.now() - started);
    const stories = await Promise.all(differing.map((comparison) => rowStories(comparison.differing, startedAt)));
    fail(
      `${differing.map((comparison) => comparison.tab).join(', ')} ${differing.length > 1 ? 'differ' : 'differs'} from the database`,
      differing
        .map(
          (comparison, index) =>
            `${comparison.tab}${comparison.live ? '' : ' (not live)'}:\n  shows    ${JSON.stringify(comparison.actual)}\n  database ${JSON.stringify(comparison.expected)}${stories[index]}`,
        )
        .join('\n'),
    );
  }
  if (violations.length) fail('a snapshot broke an invariant', violations.join('\n'));
  const ms = Math.round(performance.now() - started);
  closeEverything();
  return { ms, settleMs, log };
}

/**
 * One tab against SQL: the inbox's ids in order with read and seen states (the first as many rows
 * as the tab holds, or every row when it says there are no more), and the unread and unseen counts.
 */
async function compare(tab: Tab, agent: Agent): Promise<Comparison> {
  const { state } = tab.bell.activeStore;
  const limit = state.hasMore ? state.items.length : 1_000_000;
  const rows = await sql<{ id: string; unread: boolean; unseen: boolean }>(
    `select id, read_at is null as unread, seen_at is null as unseen from public.notifications
     where user_id = $1 and archived_at is null order by created_at desc, id desc limit $2`,
    [agent.id, limit],
  );
  const [counts] = await sql<{ unread: string; unseen: string }>(
    `select count(*) filter (where read_at is null) as unread, count(*) filter (where seen_at is null) as unseen
     from public.notifications where user_id = $1 and archived_at is null`,
    [agent.id],
  );
  const archive = tab.archive ? await compareArchive(tab, agent) : undefined;
  const now = tab.bell.activeStore.state; // the reads took time: the latest snapshot
  const actual = {
    items: now.items.map((item) => `${short(item.id)} ${flags(item.read_at === null, item.seen_at === null)}`),
    unread: now.unreadCount,
    unseen: now.unseenCount,
    ...(archive ? { archive: archive.actual } : {}),
  };
  const expected = {
    items: rows.map((row) => `${short(row.id)} ${flags(row.unread, row.unseen)}`),
    unread: Number(counts!.unread),
    unseen: Number(counts!.unseen),
    ...(archive ? { archive: archive.expected } : {}),
  };
  const shown = new Set(actual.items);
  const stored = new Set(expected.items);
  const differing = [...new Set([...actual.items.filter((item) => !stored.has(item)), ...expected.items.filter((item) => !shown.has(item))])];
  return {
    tab: tab.name,
    differing: [...new Set(differing.map((item) => item.split(' ')[0]!))],
    equal: now === state && (!archive || archive.same) && JSON.stringify(actual) === JSON.stringify(expected),
    live: isLive(tab) && (!archive || archive.ready),
    actual: { ...actual, hasMore: now.hasMore, status: now.status, realtime: now.realtime, error: now.error?.code ?? null },
    expected,
  };
}

const short = (id: string) => id.slice(0, 8);

/**
 * For a failure's story: each differing row (by its short id) as the database has it, with when it
 * was made or last moved up, and every Broadcast message the database wrote about it
 * (realtime.messages; none on the postgres_changes transport), in ms from the schedule's start.
 */
async function rowStories(ids: string[], startedAt: number): Promise<string> {
  if (ids.length === 0) return '';
  const at = (epochMs: number) => `+${Math.round(epochMs - startedAt)} ms`;
  const rows = await sql<{ id: string; created: number; read: number | null; seen: number | null; archived: number | null }>(
    `select id, extract(epoch from created_at) * 1000 as created, extract(epoch from read_at) * 1000 as read,
       extract(epoch from seen_at) * 1000 as seen, extract(epoch from archived_at) * 1000 as archived
     from public.notifications where left(id::text, 8) = any($1::text[])`,
    [ids],
  );
  const messages = await sql<{ id: string; inserted: number; operation: string; record: string }>(
    `select payload->'record'->>'id' as id, extract(epoch from inserted_at) * 1000 as inserted,
       payload->>'operation' as operation, payload->>'record' as record
     from realtime.messages where left(coalesce(payload->'record'->>'id', payload->'old_record'->>'id'), 8) = any($1::text[])
     order by inserted_at`,
    [ids],
  ).catch((error: unknown) => [{ id: '', inserted: 0, operation: `(realtime.messages not read: ${String(error)})`, record: '' }]);
  return ids
    .map((id) => {
      const row = rows.find((candidate) => candidate.id.startsWith(id));
      const stamps = row
        ? `made or moved up ${at(Number(row.created))}${row.read ? `, read ${at(Number(row.read))}` : ''}${row.seen ? `, seen ${at(Number(row.seen))}` : ''}${row.archived ? `, archived ${at(Number(row.archived))}` : ''}`
        : 'not in the database';
      const sent = messages.filter((message) => message.id?.startsWith(id) || message.id === '');
      return `\n  row ${id}: ${stamps}; broadcast messages: ${sent.length ? sent.map((message) => `${message.operation} ${at(Number(message.inserted))}`).join(', ') : 'none'}`;
    })
    .join('');
}
const flags = (unread: boolean, unseen: boolean) => `${unread ? 'unread' : 'read'}${unseen ? ',unseen' : ''}`;

/** The tab's archive against SQL, the same way: its ids in order with read states. */
async function compareArchive(tab: Tab, agent: Agent) {
  const store = tab.bell.activeStore.archived;
  const { state } = store;
  const rows = await sql<{ id: string; unread: boolean; unseen: boolean }>(
    `select id, read_at is null as unread, seen_at is null as unseen from public.notifications
     where user_id = $1 and archived_at is not null order by created_at desc, id desc limit $2`,
    [agent.id, state.hasMore ? state.items.length : 1_000_000],
  );
  const now = store.state;
  return {
    same: now === state,
    ready: now.status === 'ready',
    actual: now.items.map((item) => `${short(item.id)} ${flags(item.read_at === null, item.seen_at === null)}`),
    expected: rows.map((row) => `${short(row.id)} ${flags(row.unread, row.unseen)}`),
  };
}
