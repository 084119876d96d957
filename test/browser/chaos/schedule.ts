// Random fault schedules for the chaos suite (issue 12, section 2): a seed gives one schedule, the
// same in the browser (test/browser/chaos.test.ts runs it) and in Node (scripts/chaos.ts prints it
// for a failing seed). Pure data and a small PRNG: no DOM, no Node, nothing imported.
//
// A schedule has tabs of one user (A) and maybe of a second (B), one transport, and 10–30 steps with
// a pause before each: writes to the database (assignments, customer messages, deal changes), the
// users' own actions in a tab (mark read, mark all, archive, open the panel, page on), and faults
// (sockets dropped, the API or PostgreSQL restarted, the browser offline or hidden, one tab hidden,
// the leading tab closed, tokens refreshed or left to expire). What it asserts never depends on
// timing: at the end, every open tab equals the database.

export type Transport = 'postgres_changes' | 'broadcast';

/** A, who always has a tab; B, a second user of the same account who may have some. */
export type User = 'A' | 'B';

/** Who writes: the teammate through the API (their claims) or an automation (no auth.uid()). */
export type Actor = 'teammate' | 'automation';

/** A tab of `user`, by its place among that user's open tabs (in the order they were opened). */
export interface TabRef {
  user: User;
  tab: number;
}

/** Writes to the database, as the rest of Wacrm makes them; each runs in the background. */
export type Write =
  /** `count` new conversations assigned to `to` by an automation, spread over `spreadMs`. */
  | { kind: 'assign'; to: User; count: number; spreadMs: number }
  /** One of the scene's conversations (re)assigned to someone. */
  | { kind: 'reassign'; conversation: number; to: User | 'teammate'; by: Actor }
  /** `count` customer messages on one of the scene's conversations, each its own transaction. */
  | { kind: 'message'; conversation: number; count: number }
  /** The scene's deal assigned, moved to its other stage, or given a status. */
  | { kind: 'deal'; change: 'assign'; to: User | 'teammate'; by: Actor }
  | { kind: 'deal'; change: 'stage'; by: Actor }
  | { kind: 'deal'; change: 'status'; status: 'open' | 'won' | 'lost'; by: Actor };

/** What a user does in a tab, through the bell's store (`bell.activeStore`) or the bell itself. */
export type Action =
  /** Marks the item at this place in the tab's list (modulo its length) read. */
  | { kind: 'mark-read'; tab: TabRef; item: number }
  | { kind: 'mark-all'; tab: TabRef }
  | { kind: 'archive'; tab: TabRef; item: number }
  | { kind: 'archive-read'; tab: TabRef }
  /** Shows the archive in the tab's panel and restores the item at this place in it. */
  | { kind: 'restore'; tab: TabRef; item: number }
  /** Opening the panel marks what it lists as seen. */
  | { kind: 'open-panel'; tab: TabRef }
  | { kind: 'close-panel'; tab: TabRef }
  | { kind: 'load-more'; tab: TabRef };

/** What the server side may do while the page is away (offline, hidden): writes and dropped sockets. */
export type ServerSide = Write | { kind: 'drop-sockets' };

export type Fault =
  | { kind: 'drop-sockets' }
  | { kind: 'restart-api'; downtimeMs: number }
  | { kind: 'restart-database' }
  /** The whole browser offline (every tab) for `ms`: `server` runs meanwhile, `page` is tried in the tabs. */
  | { kind: 'offline'; ms: number; server: ServerSide[]; page: Action[] }
  /** The browser's window minimized (every tab really hidden) for `ms`, the same way. */
  | { kind: 'window-hidden'; ms: number; server: ServerSide[]; page: Action[] }
  /** One tab hidden for `ms` (a background tab: a leader hands its connection on). */
  | { kind: 'hide-tab'; tab: TabRef; ms: number }
  /** One tab frozen by the browser (Page Lifecycle's `freeze`, then `resume` after `ms`): a leader lets go at once. */
  | { kind: 'freeze-tab'; tab: TabRef; ms: number }
  /** The tab that holds the connection closed; `reopen`: another tab opened at once. */
  | { kind: 'close-leader'; user: User; reopen: boolean }
  | { kind: 'open-tab'; user: User }
  /** The host hands the tab a new session (a refreshed token). */
  | { kind: 'refresh-token'; tab: TabRef }
  /** The host hands the tab a session that expires in `seconds`, and nothing after it. */
  | { kind: 'expire-token'; tab: TabRef; seconds: number }
  /** The host signs every expired (or expiring) tab in again. */
  | { kind: 'renew-sessions' };

export type Step = (Write | Action | Fault) & {
  /** Pause before the step, in ms. */
  wait: number;
};

export interface Schedule {
  seed: number;
  transport: Transport;
  /** The bells' page-size: small ones keep rows beyond the loaded window (counted, not listed). */
  pageSize: number;
  /** Notifications A has before any tab opens (automation assignments). */
  earlier: number;
  /** Tabs open at the start. */
  tabs: Record<User, number>;
  /** The first step waits for every tab to be live; else it comes while they load. */
  calmStart: boolean;
  /** The longest pause before a step, in ms: 400 for most schedules, 100 for dense ones. */
  tempo: number;
  steps: Step[];
}

export const MAX_TABS = 3;

/** mulberry32: a small, fast, well-mixed 32-bit PRNG; the same numbers in every engine and Node. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Draw {
  readonly #next: () => number;
  constructor(seed: number) {
    this.#next = prng(seed);
  }
  /** A whole number in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.#next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.#next() < p;
  }
  pick<T>(values: readonly T[]): T {
    return values[this.int(0, values.length - 1)]!;
  }
  /** A key of `weights`, with probability proportional to its weight. */
  weighted<K extends string>(weights: Partial<Record<K, number>>): K {
    const entries = Object.entries(weights) as [K, number][];
    let roll = this.#next() * entries.reduce((sum, [, weight]) => sum + weight, 0);
    for (const [key, weight] of entries) {
      roll -= weight;
      if (roll < 0) return key;
    }
    return entries.at(-1)![0];
  }
}

/** How many conversations the scene starts with: 0 and 1 are A's, 2 is B's (A's when there is no B). */
export const CONVERSATIONS = 3;

/**
 * The schedule of `seed`. The transport is drawn from the seed too, unless `transport` is given
 * (then the steps are the same as with the other transport).
 */
export function scheduleFor(seed: number, { transport }: { transport?: Transport } = {}): Schedule {
  const draw = new Draw(seed);
  const drawnTransport: Transport = draw.chance(0.5) ? 'broadcast' : 'postgres_changes';
  const withB = draw.chance(0.5);
  const tabs: Record<User, number> = { A: draw.int(1, MAX_TABS), B: withB ? draw.int(1, 2) : 0 };
  const pageSize = draw.pick([3, 5, 20]);
  const earlier = draw.int(0, 8);
  const calmStart = draw.chance(0.7);
  const tempo = draw.chance(0.7) ? 400 : 100;
  const users: User[] = withB ? ['A', 'B'] : ['A'];
  const open = { ...tabs };
  const used = { 'restart-database': 0, 'restart-api': 0, offline: 0, 'window-hidden': 0, 'close-leader': 0, 'expire-token': 0 };
  let expiring = false;

  const user = (): User => (withB && draw.chance(0.3) ? 'B' : 'A');
  const tabOf = (): TabRef => {
    const who = open.B > 0 ? user() : 'A';
    return { user: who, tab: draw.int(0, open[who] - 1) };
  };
  const actor = (): Actor => (draw.chance(0.6) ? 'teammate' : 'automation');

  const write = (): Write => {
    switch (draw.weighted({ assign: 4, reassign: 2, message: 4, deal: 3 })) {
      case 'assign':
        return { kind: 'assign', to: user(), count: draw.int(1, 6), spreadMs: draw.pick([0, 0, 300, 1000]) };
      case 'reassign':
        return { kind: 'reassign', conversation: draw.int(0, CONVERSATIONS - 1), to: draw.chance(0.2) ? 'teammate' : user(), by: actor() };
      case 'message':
        return { kind: 'message', conversation: draw.int(0, CONVERSATIONS - 1), count: draw.int(1, 4) };
      default: {
        const change = draw.pick(['assign', 'stage', 'status'] as const);
        if (change === 'assign') return { kind: 'deal', change, to: draw.chance(0.2) ? 'teammate' : user(), by: actor() };
        if (change === 'stage') return { kind: 'deal', change, by: actor() };
        return { kind: 'deal', change, status: draw.pick(['open', 'won', 'lost'] as const), by: actor() };
      }
    }
  };

  const action = (): Action => {
    const tab = tabOf();
    switch (draw.weighted({ 'mark-read': 4, 'mark-all': 2, archive: 3, 'archive-read': 1, restore: 1, 'open-panel': 2, 'close-panel': 1, 'load-more': 1 })) {
      case 'mark-read':
        return { kind: 'mark-read', tab, item: draw.int(0, 9) };
      case 'mark-all':
        return { kind: 'mark-all', tab };
      case 'archive':
        return { kind: 'archive', tab, item: draw.int(0, 9) };
      case 'archive-read':
        return { kind: 'archive-read', tab };
      case 'restore':
        return { kind: 'restore', tab, item: draw.int(0, 4) };
      case 'open-panel':
        return { kind: 'open-panel', tab };
      case 'close-panel':
        return { kind: 'close-panel', tab };
      default:
        return { kind: 'load-more', tab };
    }
  };

  const serverSide = (): ServerSide[] =>
    Array.from({ length: draw.int(1, 3) }, () => (draw.chance(0.25) ? { kind: 'drop-sockets' as const } : write()));
  const pageSide = (): Action[] => Array.from({ length: draw.int(0, 2) }, action);

  const fault = (): Fault | null => {
    const kind = draw.weighted({
      'drop-sockets': 3,
      'restart-api': 2,
      'restart-database': 1,
      offline: 2,
      'window-hidden': 1,
      'hide-tab': 2,
      'freeze-tab': 1,
      'close-leader': 2,
      'open-tab': 1,
      'refresh-token': 2,
      'expire-token': 1,
      'renew-sessions': expiring ? 2 : 0,
    });
    switch (kind) {
      case 'drop-sockets':
        return { kind };
      case 'restart-api':
        if (used[kind]++ >= 2) return null;
        return { kind, downtimeMs: draw.pick([0, 300, 1000]) };
      case 'restart-database':
        if (used[kind]++ >= 1) return null;
        return { kind };
      case 'offline':
      case 'window-hidden':
        if (used[kind]++ >= 1) return null;
        return { kind, ms: draw.int(5, 25) * 100, server: serverSide(), page: pageSide() };
      case 'hide-tab':
      case 'freeze-tab':
        return { kind, tab: tabOf(), ms: draw.int(2, 20) * 100 };
      case 'close-leader': {
        if (used[kind]++ >= 2) return null;
        const who = open.B > 0 ? user() : 'A';
        // The last tab of a user closed: another opened at once, so every user keeps one to compare.
        const reopen = open[who] === 1 || draw.chance(0.4);
        if (!reopen) open[who]--;
        return { kind, user: who, reopen };
      }
      case 'open-tab': {
        const who = users.find((candidate) => open[candidate] < MAX_TABS && (candidate === 'A' || open.B > 0));
        if (!who) return null;
        open[who]++;
        return { kind, user: who };
      }
      case 'refresh-token':
        return { kind, tab: tabOf() };
      case 'expire-token':
        if (used[kind]++ >= 2) return null;
        expiring = true;
        return { kind, tab: tabOf(), seconds: draw.int(1, 3) };
      case 'renew-sessions':
        expiring = false;
        return { kind };
    }
  };

  const steps: Step[] = [];
  const length = draw.int(10, 30);
  while (steps.length < length) {
    const wait = draw.chance(0.3) ? 0 : draw.int(1, tempo / 10) * 10;
    const family = draw.weighted({ write: 4, action: 3, fault: 3 });
    const step = family === 'write' ? write() : family === 'action' ? action() : fault();
    if (step) steps.push({ ...step, wait });
  }
  return { seed, transport: transport ?? drawnTransport, pageSize, earlier, tabs, calmStart, tempo, steps };
}

// ---------------------------------------------------------------- in words

const tabName = ({ user, tab }: TabRef) => `${user}'s tab #${tab + 1}`;
const by = (actor: Actor) => (actor === 'teammate' ? 'by the teammate' : 'by an automation');
const whom = (to: User | 'teammate') => (to === 'teammate' ? 'the teammate' : to);

export function describeStep(step: Write | Action | Fault | ServerSide): string {
  switch (step.kind) {
    case 'assign':
      return `${step.count} new conversation${step.count > 1 ? 's' : ''} assigned to ${step.to} by an automation${step.spreadMs ? `, over ${step.spreadMs} ms` : ''}`;
    case 'reassign':
      return `conversation ${step.conversation} assigned to ${whom(step.to)} ${by(step.by)}`;
    case 'message':
      return `${step.count} customer message${step.count > 1 ? 's' : ''} on conversation ${step.conversation}`;
    case 'deal':
      if (step.change === 'assign') return `the deal assigned to ${whom(step.to)} ${by(step.by)}`;
      if (step.change === 'stage') return `the deal moved to its other stage ${by(step.by)}`;
      return `the deal marked ${step.status} ${by(step.by)}`;
    case 'mark-read':
      return `${tabName(step.tab)}: mark read its item #${step.item + 1}`;
    case 'mark-all':
      return `${tabName(step.tab)}: mark all read`;
    case 'archive':
      return `${tabName(step.tab)}: archive its item #${step.item + 1}`;
    case 'archive-read':
      return `${tabName(step.tab)}: archive every read one`;
    case 'restore':
      return `${tabName(step.tab)}: show the archive in the panel, restore its item #${step.item + 1}`;
    case 'open-panel':
      return `${tabName(step.tab)}: open the panel (marks what it shows seen)`;
    case 'close-panel':
      return `${tabName(step.tab)}: close the panel`;
    case 'load-more':
      return `${tabName(step.tab)}: load more`;
    case 'drop-sockets':
      return 'every realtime socket dropped by the server';
    case 'restart-api':
      return `the stand-in (API and Realtime) restarted, down ${step.downtimeMs} ms`;
    case 'restart-database':
      return 'PostgreSQL restarted';
    case 'offline':
    case 'window-hidden': {
      const what = step.kind === 'offline' ? 'the browser offline' : 'the browser window minimized (every tab hidden)';
      const meanwhile = [...step.server.map((s) => `server: ${describeStep(s)}`), ...step.page.map((s) => `page: ${describeStep(s)}`)];
      return `${what} for ${step.ms} ms${meanwhile.length ? `; meanwhile ${meanwhile.join('; ')}` : ''}`;
    }
    case 'hide-tab':
      return `${tabName(step.tab)} hidden for ${step.ms} ms`;
    case 'freeze-tab':
      return `${tabName(step.tab)} frozen for ${step.ms} ms (freeze, then resume)`;
    case 'close-leader':
      return `${step.user}'s leading tab closed${step.reopen ? ', another opened' : ''}`;
    case 'open-tab':
      return `a new tab of ${step.user} opened`;
    case 'refresh-token':
      return `${tabName(step.tab)}: the host hands over a refreshed session`;
    case 'expire-token':
      return `${tabName(step.tab)}: the host hands over a session expiring in ${step.seconds} s, and nothing after it`;
    case 'renew-sessions':
      return 'the host signs every expired tab in again';
  }
}

/** The schedule in words, one step a line, for a failure message. */
export function describeSchedule(schedule: Schedule): string {
  const { seed, transport, pageSize, earlier, tabs, calmStart, tempo, steps } = schedule;
  const header = [
    `seed ${seed}: transport="${transport}", page-size=${pageSize}; A has ${earlier} notification${earlier === 1 ? '' : 's'} before, ` +
      `plus one for each of conversations 0 and 1 (A's) and 2 (${tabs.B ? "B's" : "A's"}); ` +
      `tabs at the start: A ${tabs.A}${tabs.B ? `, B ${tabs.B}` : ''}; a teammate acts; one deal, the teammate's; ` +
      `${calmStart ? 'the first step once every tab is live' : 'the steps begin while the tabs load'}; pauses up to ${tempo} ms`,
  ];
  const width = String(steps.length).length;
  return [
    ...header,
    ...steps.map((step, index) => `${String(index + 1).padStart(width)}. after ${String(step.wait).padStart(3)} ms  ${describeStep(step)}`),
  ].join('\n');
}
