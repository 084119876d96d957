// What a soak page needs installed before the package loads (import it first): a controlled clock
// and probes that count what the page leaves running. Shared by the bench's page (bench/soak/page.ts)
// and the browser test (test/browser/soak.test.ts); it imports nothing of the package, so either can
// load the package in its own form afterwards.
//
// The clock. Simulated time is real time plus an offset that only grows: `advance(ms)` is the tab
// being asleep for `ms` and waking up, as a laptop lid does. `Date` reads the simulated time, and the
// timers of the code under test (the package, supabase-js, Lit, <relative-time>) are due at simulated
// times: one due within the jump fires right after it, once — an interval that missed several beats
// fires once, as browsers do after a sleep. Between jumps everything runs at real speed, so the
// network, the socket's heartbeats and the database keep their own pace. Chosen over the DevTools
// virtual-time policy, which moves every timer of the page including the test runner's and stalls
// on open sockets, and which only Chromium has: this runs the same in Firefox and WebKit.
// `performance.now()` stays real: harnesses time their waits with it.
//
// The probes. Who set a timer or a listener is read from the stack when it is set: the code under
// test is counted (by origin), the harness's own (this folder, the test runner, mocha, the test
// file) runs on real timers and is not counted. Listeners are counted on window, document and any
// target that is not a DOM node (stores, BroadcastChannels, media queries); sockets,
// BroadcastChannels and observers are counted while open.

/** Where a timer or listener comes from, by the URL of the code that set it. */
export type Origin = 'package' | 'relative-time' | 'lit' | 'supabase-realtime' | 'supabase-auth' | 'supabase' | 'harness';

/** The code under test, in every form the test runner and the bench page load it. */
const ORIGINS: [RegExp, Origin][] = [
  [/\/@github\/relative-time-element\//, 'relative-time'],
  [/\/node_modules\/(?:lit|lit-html|lit-element|@lit\/[^/]+)\//, 'lit'],
  [/\/@supabase\/(?:realtime-js|phoenix)\//, 'supabase-realtime'],
  [/\/@supabase\/auth-js\//, 'supabase-auth'],
  [/\/@supabase\//, 'supabase'],
  [/\/\/[^/]+\/src\/|\/cdn\/wacrm-notifications|\/__forms__\/npm\/|\/wacrm-notifications\/dist\//, 'package'],
];

const THIS_MODULE = /\/bench\/soak\/instrument\./;

/** The origin of the first frame below this module, or `harness` when it is not the code under test. */
function originOf(stack: string | undefined): Origin {
  for (const line of (stack ?? '').split('\n')) {
    if (!/https?:\/\//.test(line) || THIS_MODULE.test(line)) continue;
    for (const [pattern, origin] of ORIGINS) if (pattern.test(line)) return origin;
    return 'harness';
  }
  return 'harness';
}

const callerOrigin = () => originOf(new Error().stack);

/** Orders every timer and listener the probes see: `mark()` now, and later ask for what came after. */
let sequence = 0;
export const mark = () => sequence;

export type ByOrigin = Partial<Record<Origin, number>>;

function countBy<T>(items: Iterable<T>, originOfItem: (item: T) => Origin): ByOrigin {
  const counts: ByOrigin = {};
  for (const item of items) {
    const origin = originOfItem(item);
    counts[origin] = (counts[origin] ?? 0) + 1;
  }
  return counts;
}

export const total = (counts: ByOrigin, except: Origin[] = []) =>
  Object.entries(counts).reduce((sum, [origin, n]) => (except.includes(origin as Origin) ? sum : sum + n), 0);

// ---------------------------------------------------------------- the clock

interface SimulatedTimer {
  id: number;
  /** Simulated epoch ms at which it is due. */
  due: number;
  /** The repeat of an interval; undefined for a timeout. */
  every: number | undefined;
  run: () => void;
  origin: Origin;
  /** The real timer standing for it now. */
  real: number;
  sequence: number;
}

type Handler = (...args: unknown[]) => void;

const realDate = Date;
/** EventTarget's own addEventListener, for the probes' own listeners (called with `.call`). */
const { addEventListener: realAddEventListener } = EventTarget.prototype as {
  addEventListener: (this: EventTarget, ...args: Parameters<EventTarget['addEventListener']>) => void;
};
const realSetTimeout = window.setTimeout.bind(window);
const realClearTimeout = window.clearTimeout.bind(window);
const realSetInterval = window.setInterval.bind(window);
const realClearInterval = window.clearInterval.bind(window);

export class SoakClock {
  /** Simulated minus real, in ms. */
  #ahead = 0;
  readonly #timers = new Map<number, SimulatedTimer>();
  /** Ids of our own, far above the browser's, so that a clearTimeout of either is never confused. */
  #nextId = 2 ** 30;
  #highWater = 0;
  #highWaterByOrigin: ByOrigin = {};
  /** Timers of the code under test that fired, by origin (to tell that nothing runs any more). */
  readonly fired: ByOrigin = {};

  now(): number {
    return realDate.now() + this.#ahead;
  }

  /** Simulated ms since the clock was installed. */
  get elapsed(): number {
    return this.#ahead;
  }

  /**
   * Moves simulated time `ms` ahead and resolves once every timer that fell due has run (each once,
   * in the order they were due) and the microtasks they queued have settled.
   */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new RangeError(`advance(${ms}): time only moves forward`);
    this.#ahead += ms;
    const now = this.now();
    const pending = [...this.#timers.values()].sort((a, b) => a.due - b.due || a.id - b.id);
    for (const timer of pending) this.#arm(timer, now);
    // Due ones were armed at 0 ms in due order; a real 0 ms timer set after them runs after them.
    await new Promise<void>((resolve) => realSetTimeout(resolve, 0));
  }

  /**
   * Timers of the code under test that are pending now (intervals count while they repeat), by
   * origin; with `since`, only those set after that mark().
   */
  pending(since = -1): ByOrigin {
    return countBy(
      [...this.#timers.values()].filter((timer) => timer.sequence > since),
      (timer) => timer.origin,
    );
  }

  /** The most timers of the code under test pending at once since the last reset, and by origin then. */
  highWater(): { total: number; byOrigin: ByOrigin } {
    return { total: this.#highWater, byOrigin: { ...this.#highWaterByOrigin } };
  }

  resetHighWater(): void {
    this.#highWater = this.#timers.size;
    this.#highWaterByOrigin = this.pending();
  }

  install(): void {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the replacements are plain functions, as the globals are
    const clock = this;
    const SimulatedDate = function (this: unknown, ...args: unknown[]) {
      // Called without `new`, Date returns the present as a string.
      if (!new.target) return new realDate(clock.now()).toString();
      const value = args.length === 0 ? [clock.now()] : args;
      return Reflect.construct(realDate, value, new.target) as Date;
    } as unknown as DateConstructor;
    // One prototype: `instanceof Date` holds for dates made before, after and by structured clone.
    Object.defineProperties(SimulatedDate, {
      prototype: { value: realDate.prototype },
      now: { value: () => clock.now(), writable: true, configurable: true },
      parse: { value: realDate.parse.bind(realDate), writable: true, configurable: true },
      UTC: { value: realDate.UTC.bind(realDate), writable: true, configurable: true },
    });
    window.Date = SimulatedDate;

    window.setTimeout = ((handler: TimerHandler, delay?: number, ...args: unknown[]) =>
      clock.#set(handler, delay, args, false)) as typeof window.setTimeout;
    window.setInterval = ((handler: TimerHandler, delay?: number, ...args: unknown[]) =>
      clock.#set(handler, delay, args, true)) as typeof window.setInterval;
    window.clearTimeout = ((id?: number) => clock.#clear(id, realClearTimeout)) as typeof window.clearTimeout;
    window.clearInterval = ((id?: number) => clock.#clear(id, realClearInterval)) as typeof window.clearInterval;
  }

  #set(handler: TimerHandler, delay: number | undefined, args: unknown[], repeat: boolean): number {
    const origin = callerOrigin();
    if (origin === 'harness' || typeof handler !== 'function') {
      return repeat ? realSetInterval(handler, delay, ...args) : realSetTimeout(handler, delay, ...args);
    }
    const ms = Math.max(0, Number(delay) || 0);
    const timer: SimulatedTimer = {
      id: this.#nextId++,
      due: this.now() + ms,
      every: repeat ? Math.max(1, ms) : undefined,
      run: () => (handler as Handler)(...args),
      origin,
      real: 0,
      sequence: ++sequence,
    };
    this.#timers.set(timer.id, timer);
    this.#arm(timer, this.now());
    if (this.#timers.size > this.#highWater) {
      this.#highWater = this.#timers.size;
      this.#highWaterByOrigin = this.pending();
    }
    return timer.id;
  }

  #clear(id: number | undefined, realClear: (id?: number) => void): void {
    const timer = id === undefined ? undefined : this.#timers.get(id);
    if (!timer) return realClear(id);
    realClearTimeout(timer.real);
    this.#timers.delete(timer.id);
  }

  /** (Re)sets the real timer that stands for `timer`, for when it is due in simulated time. */
  #arm(timer: SimulatedTimer, now: number): void {
    realClearTimeout(timer.real);
    timer.real = realSetTimeout(() => this.#fire(timer), Math.max(0, timer.due - now));
  }

  #fire(timer: SimulatedTimer): void {
    if (this.#timers.get(timer.id) !== timer) return;
    this.fired[timer.origin] = (this.fired[timer.origin] ?? 0) + 1;
    if (timer.every === undefined) this.#timers.delete(timer.id);
    else {
      // After a jump it fires once, then keeps its period from now.
      timer.due = this.now() + timer.every;
      this.#arm(timer, this.now());
    }
    timer.run();
  }
}

// ---------------------------------------------------------------- the probes

interface Registration {
  type: string;
  listener: EventListenerOrEventListenerObject;
  capture: boolean;
  origin: Origin;
  sequence: number;
}

/** A listener still registered: on what, for what, by whom. */
export interface ListenerEntry {
  target: string;
  type: string;
  origin: Origin;
}

interface TrackedObserver {
  /** Observed targets, weakly: a target collected stops counting. */
  targets: Set<WeakRef<object>>;
  origin: Origin;
}

const captureOf = (options?: boolean | EventListenerOptions) => (typeof options === 'boolean' ? options : Boolean(options?.capture));

export interface ProbeCounts {
  /** Listeners on window and document, by origin. */
  windowDocumentListeners: ByOrigin;
  /** Listeners on targets that are not DOM nodes (the stores, BroadcastChannels, media queries…), by origin. */
  otherTargetListeners: ByOrigin;
  /** By kind of target, for the report: e.g. { NotificationStore: 6, BroadcastChannel: 0 }. */
  listenersByTarget: Record<string, number>;
  /** WebSockets not closed, by who opened them. */
  webSockets: ByOrigin;
  /** BroadcastChannels not closed, by who opened them. */
  broadcastChannels: ByOrigin;
  /** Mutation, intersection and resize observers of the code under test still observing something. */
  observers: ByOrigin;
}

export class SoakProbe {
  /** Registrations by target, weakly: a collected store or signal takes its listeners with it. */
  readonly #registrations = new WeakMap<EventTarget, Registration[]>();
  readonly #targets = new Set<WeakRef<EventTarget>>();
  readonly #sockets = new Set<{ ref: WeakRef<WebSocket>; origin: Origin }>();
  readonly #channels = new Set<{ ref: WeakRef<BroadcastChannel>; origin: Origin }>();
  readonly #closedChannels = new WeakSet<BroadcastChannel>();
  readonly #observers = new Set<WeakRef<object>>();
  readonly #observed = new WeakMap<object, TrackedObserver>();

  install(): void {
    this.#watchListeners();
    this.#watchSockets();
    this.#watchBroadcastChannels();
    for (const name of ['MutationObserver', 'IntersectionObserver', 'ResizeObserver'] as const) this.#watchObserver(window[name]);
  }

  counts(): ProbeCounts {
    const windowDocument: Registration[] = [];
    const others: Registration[] = [];
    const listenersByTarget: Record<string, number> = {};
    for (const ref of this.#targets) {
      const target = ref.deref();
      const registrations = target && this.#registrations.get(target);
      if (!target || !registrations?.length) {
        this.#targets.delete(ref);
        continue;
      }
      const counted = registrations.filter((registration) => registration.origin !== 'harness');
      if (target === window || target === document) windowDocument.push(...counted);
      else others.push(...counted);
      const kind = target === window ? 'window' : target === document ? 'document' : target.constructor.name;
      if (counted.length) listenersByTarget[kind] = (listenersByTarget[kind] ?? 0) + counted.length;
    }
    for (const entry of this.#sockets) {
      const socket = entry.ref.deref();
      if (!socket || socket.readyState === WebSocket.CLOSED) this.#sockets.delete(entry);
    }
    for (const entry of this.#channels) {
      const channel = entry.ref.deref();
      if (!channel || this.#closedChannels.has(channel)) this.#channels.delete(entry);
    }
    const observing: TrackedObserver[] = [];
    for (const ref of this.#observers) {
      const observer = ref.deref();
      const tracked = observer && this.#observed.get(observer);
      if (!tracked) {
        this.#observers.delete(ref);
        continue;
      }
      for (const target of tracked.targets) if (!target.deref()) tracked.targets.delete(target);
      if (tracked.targets.size > 0 && tracked.origin !== 'harness') observing.push(tracked);
    }
    return {
      windowDocumentListeners: countBy(windowDocument, (registration) => registration.origin),
      otherTargetListeners: countBy(others, (registration) => registration.origin),
      listenersByTarget,
      webSockets: countBy(this.#sockets, (entry) => entry.origin),
      broadcastChannels: countBy(this.#channels, (entry) => entry.origin),
      observers: countBy(observing, (tracked) => tracked.origin),
    };
  }

  /** Listeners of the code under test registered after `since` (a mark()) and still registered. */
  listenersSince(since: number): ListenerEntry[] {
    const entries: ListenerEntry[] = [];
    for (const ref of this.#targets) {
      const target = ref.deref();
      for (const registration of (target && this.#registrations.get(target)) ?? []) {
        if (registration.sequence <= since || registration.origin === 'harness') continue;
        const kind = target === window ? 'window' : target === document ? 'document' : target!.constructor.name;
        entries.push({ target: kind, type: registration.type, origin: registration.origin });
      }
    }
    return entries;
  }

  #watchListeners(): void {
    const prototype = EventTarget.prototype;
    // EventTarget's own methods, called with `.call` on whichever target the page used.
    const { addEventListener: add, removeEventListener: remove } = prototype as {
      addEventListener: (this: EventTarget, ...args: Parameters<EventTarget['addEventListener']>) => void;
      removeEventListener: (this: EventTarget, ...args: Parameters<EventTarget['removeEventListener']>) => void;
    };
    const registrations = this.#registrations;
    const targets = this.#targets;
    // DOM nodes other than document are left alone: the elements' own @click handlers go with them,
    // and the DOM node count says whether they do.
    const watched = (target: EventTarget) => target === window || target === document || !(target instanceof Node);
    prototype.addEventListener = function (this: EventTarget, type, listener, options) {
      if (listener && watched(this) && !(typeof options === 'object' && options?.once)) {
        const capture = captureOf(options);
        let list = registrations.get(this);
        if (!list) {
          list = [];
          registrations.set(this, list);
          targets.add(new WeakRef(this));
        }
        if (!list.some((r) => r.type === type && r.listener === listener && r.capture === capture)) {
          list.push({ type, listener, capture, origin: callerOrigin(), sequence: ++sequence });
        }
      }
      return add.call(this, type, listener, options);
    };
    prototype.removeEventListener = function (this: EventTarget, type, listener, options) {
      const list = registrations.get(this);
      if (list) {
        const capture = captureOf(options);
        const index = list.findIndex((r) => r.type === type && r.listener === listener && r.capture === capture);
        if (index >= 0) list.splice(index, 1);
      }
      return remove.call(this, type, listener, options);
    };
  }

  #watchSockets(): void {
    const sockets = this.#sockets;
    const RealWebSocket = window.WebSocket;
    window.WebSocket = class extends RealWebSocket {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols);
        sockets.add({ ref: new WeakRef(this), origin: callerOrigin() });
        // A tap for tracing what arrives (bench/soak.ts --trace), read only when one is set; the
        // probes' own, so not counted.
        realAddEventListener.call(this, 'message', (event) => window.wacrmSoakTap?.((event as MessageEvent).data));
      }
    };
  }

  #watchBroadcastChannels(): void {
    const channels = this.#channels;
    const closed = this.#closedChannels;
    const RealBroadcastChannel = window.BroadcastChannel;
    if (typeof RealBroadcastChannel !== 'function') return;
    window.BroadcastChannel = class extends RealBroadcastChannel {
      constructor(name: string) {
        super(name);
        channels.add({ ref: new WeakRef(this), origin: callerOrigin() });
      }

      override close(): void {
        closed.add(this);
        super.close();
      }
    };
  }

  #watchObserver(constructor: { prototype: object } | undefined): void {
    if (!constructor) return;
    const prototype = constructor.prototype as {
      observe: (this: object, target: object, options?: unknown) => void;
      unobserve?: (this: object, target: object) => void;
      disconnect: (this: object) => void;
    };
    const { observe, unobserve, disconnect } = prototype;
    const observers = this.#observers;
    const observed = this.#observed;
    const tracked = (observer: object) => {
      let entry = observed.get(observer);
      if (!entry) {
        entry = { targets: new Set(), origin: callerOrigin() };
        observed.set(observer, entry);
        observers.add(new WeakRef(observer));
      }
      return entry;
    };
    prototype.observe = function (this: object, target: object, options?: unknown) {
      const entry = tracked(this);
      if (![...entry.targets].some((ref) => ref.deref() === target)) entry.targets.add(new WeakRef(target));
      return observe.call(this, target, options);
    };
    if (unobserve) {
      prototype.unobserve = function (this: object, target: object) {
        const entry = observed.get(this);
        for (const ref of entry?.targets ?? []) if (ref.deref() === target) entry!.targets.delete(ref);
        return unobserve.call(this, target);
      };
    }
    prototype.disconnect = function (this: object) {
      observed.get(this)?.targets.clear();
      return disconnect.call(this);
    };
  }
}

declare global {
  interface Window {
    wacrmSoakTap?: (data: unknown) => void;
    wacrmSoakClock?: SoakClock;
    wacrmSoakProbe?: SoakProbe;
  }
}

/** Installed once per page, at import: the first module the page imports. */
export const clock: SoakClock = window.wacrmSoakClock ?? new SoakClock();
export const probe: SoakProbe = window.wacrmSoakProbe ?? new SoakProbe();
if (!window.wacrmSoakClock) {
  clock.install();
  probe.install();
  window.wacrmSoakClock = clock;
  window.wacrmSoakProbe = probe;
}
