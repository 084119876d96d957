// What an element leaves behind on the page once removed: listeners on targets that outlive it
// (window, document, stores), timers of the package's code still pending, queries it still makes.
// A LeakWatch records from its creation until stop(); create it before the elements it judges.

/** URLs of the package's own code, in every form the suite loads it (test/browser/forms.ts). */
const PACKAGE_CODE = [/\/\/[^/]+\/src\//, /\/cdn\/wacrm-notifications/, /\/__forms__\/npm\//];

/** The frame that called setTimeout: the first one below this module's wrapper. */
function callerOf(stack: string): string {
  const frames = stack.split('\n').filter((line) => /https?:\/\//.test(line) && !line.includes('/support/leaks.'));
  return frames[0]?.trim() ?? '';
}

interface Registration {
  target: EventTarget;
  type: string;
  listener: EventListenerOrEventListenerObject;
  capture: boolean;
}

interface PendingTimer {
  stack: string;
  delay: number;
}

/**
 * EventTarget's own methods, taken off its prototype to be put back by stop() and meanwhile called
 * with `.call` on whichever target the page used.
 */
interface ListenerMethods {
  addEventListener: (this: EventTarget, ...args: Parameters<EventTarget['addEventListener']>) => void;
  removeEventListener: (this: EventTarget, ...args: Parameters<EventTarget['removeEventListener']>) => void;
}

/** A window's timer functions: they need no `this` (each acts on the window it belongs to). */
interface TimerFunctions {
  setTimeout: (Window & typeof globalThis)['setTimeout'];
  clearTimeout: (Window & typeof globalThis)['clearTimeout'];
}

const captureOf = (options?: boolean | EventListenerOptions) =>
  typeof options === 'boolean' ? options : Boolean(options?.capture);

export class LeakWatch {
  readonly #registrations: Registration[] = [];
  readonly #timers = new Map<number, PendingTimer>();
  readonly #restore: (() => void)[] = [];

  constructor(private readonly view: Window & typeof globalThis = window) {
    this.#watchListeners();
    this.#watchTimers();
  }

  /** Listeners still registered on `targets` (window and document by default) since the watch began. */
  listenersOn(targets: EventTarget[] = [this.view, this.view.document]): string[] {
    return this.#registrations
      .filter((registration) => targets.includes(registration.target))
      .map(({ target, type }) => `${target === this.view ? 'window' : target === this.view.document ? 'document' : target.constructor.name} ${type}`);
  }

  /** Timers the package's code set that have neither run nor been cleared, with where they were set. */
  pendingTimers(): string[] {
    return [...this.#timers.values()]
      .map(({ stack, delay }) => ({ caller: callerOf(stack), delay }))
      .filter(({ caller }) => PACKAGE_CODE.some((pattern) => pattern.test(caller)))
      .map(({ caller, delay }) => `${delay} ms timer set at ${caller}`);
  }

  stop(): void {
    for (const restore of this.#restore.splice(0)) restore();
  }

  #watchListeners(): void {
    const prototype = this.view.EventTarget.prototype;
    const { addEventListener: add, removeEventListener: remove } = prototype as ListenerMethods;
    const registrations = this.#registrations;
    prototype.addEventListener = function (this: EventTarget, type, listener, options) {
      const capture = captureOf(options);
      const known = registrations.some((r) => r.target === this && r.type === type && r.listener === listener && r.capture === capture);
      if (listener && !known && !(typeof options === 'object' && options?.once)) {
        registrations.push({ target: this, type, listener, capture });
      }
      return add.call(this, type, listener, options);
    };
    prototype.removeEventListener = function (this: EventTarget, type, listener, options) {
      const capture = captureOf(options);
      const index = registrations.findIndex((r) => r.target === this && r.type === type && r.listener === listener && r.capture === capture);
      if (index >= 0) registrations.splice(index, 1);
      return remove.call(this, type, listener, options);
    };
    this.#restore.push(() => {
      prototype.addEventListener = add;
      prototype.removeEventListener = remove;
    });
  }

  #watchTimers(): void {
    const view = this.view;
    const { setTimeout: set, clearTimeout: clear } = view as TimerFunctions;
    const timers = this.#timers;
    view.setTimeout = ((handler: TimerHandler, delay?: number, ...args: unknown[]) => {
      const id: number = set(
        (...callArgs: unknown[]) => {
          timers.delete(id);
          if (typeof handler === 'function') (handler as (...a: unknown[]) => void)(...callArgs);
        },
        delay,
        ...args,
      );
      timers.set(id, { stack: new Error().stack ?? '', delay: delay ?? 0 });
      return id;
    }) as typeof view.setTimeout;
    view.clearTimeout = ((id?: number) => {
      if (id !== undefined) timers.delete(id);
      clear(id);
    }) as typeof view.clearTimeout;
    this.#restore.push(() => {
      view.setTimeout = set;
      view.clearTimeout = clear;
    });
  }
}

/** A fetch for supabase-js (`global.fetch`) that counts requests and can be told to fail like a dropped network. */
export class CountingFetch {
  requests: string[] = [];
  failing = false;

  readonly fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    // An aborted request never leaves the browser.
    if (!init?.signal?.aborted) this.requests.push(new URL(url).pathname);
    if (this.failing) throw new TypeError('Failed to fetch');
    return fetch(input, init);
  };
}
