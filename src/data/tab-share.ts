// One realtime connection for all the tabs of one origin, user and project. The elements of every
// tab ask for the same Web Lock; the one that holds it leads: it opens the channel and relays what
// arrives (changes, its status, "live again") on a BroadcastChannel of the same name; the others
// follow from it and open no socket. A leader that closes, is frozen or discarded releases the lock
// by itself (the browser sees to that); one hidden for a while hands it on when another element is
// waiting. Whoever takes over opens its own channel and catches up, as after any reconnect. Writes
// (mark read) stay each tab's own REST calls: their realtime echo reaches every tab through the
// leader. Loaded on demand: pages that turn sharing off never fetch it.
import type { NotificationChange } from '../store/notification-source.js';
import { NotificationSourceError } from '../store/notification-source.js';
import type { RealtimeStatus } from '../store/notification-store.js';
import type { LiveHandlers, LiveSubscription } from './realtime-channel.js';

/** A leader hidden this long hands the connection on, if another tab wants it (timers there are throttled). */
const HIDDEN_HANDOVER_MS = 30_000;

type Message =
  | { kind: 'change'; change: NotificationChange }
  | { kind: 'status'; status: RealtimeStatus }
  | { kind: 'live' }
  | { kind: 'problem'; code: NotificationSourceError['code']; message: string }
  /** A follower that just started asks the leader where things stand. */
  | { kind: 'hello' };

/**
 * Joins the tabs sharing `name` (project, user and transport: tabs of different users or projects
 * never share). `open` opens the real channel when this element leads; `handlers` receive what the
 * channel brings, here or relayed from the leading tab.
 */
export class TabShare implements LiveSubscription {
  readonly #channel: BroadcastChannel;
  #subscription: LiveSubscription | null = null;
  #status: RealtimeStatus = 'connecting';
  #waiting: AbortController | undefined;
  #release: (() => void) | undefined;
  #hiddenTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(
    private readonly name: string,
    private readonly open: (handlers: LiveHandlers) => LiveSubscription,
    private readonly handlers: LiveHandlers,
  ) {
    this.#channel = new BroadcastChannel(name);
    this.#channel.onmessage = (event: MessageEvent<Message>) => this.#receive(event.data);
    document.addEventListener('visibilitychange', this.#onVisibility);
    // Page Lifecycle (Chromium): a frozen tab cannot relay; the back/forward cache keeps no lock.
    document.addEventListener('freeze', this.#handOver);
    window.addEventListener('pagehide', this.#handOver);
    document.addEventListener('resume', this.#rejoin);
    window.addEventListener('pageshow', this.#rejoin);
    handlers.status('connecting');
    this.#post({ kind: 'hello' });
    this.#request();
  }

  /** The channel's topic while this element leads; null while it follows. */
  get topic(): string {
    return this.#subscription?.topic ?? '';
  }

  /** Whether this element holds the connection for every tab. */
  get leading(): boolean {
    return this.#subscription !== null;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    document.removeEventListener('visibilitychange', this.#onVisibility);
    document.removeEventListener('freeze', this.#handOver);
    window.removeEventListener('pagehide', this.#handOver);
    document.removeEventListener('resume', this.#rejoin);
    window.removeEventListener('pageshow', this.#rejoin);
    clearTimeout(this.#hiddenTimer);
    this.#waiting?.abort();
    this.#channel.close();
    await this.#stopLeading();
  }

  #request(): void {
    if (this.#closed || this.#waiting) return;
    const waiting = new AbortController();
    this.#waiting = waiting;
    navigator.locks
      .request(this.name, { signal: waiting.signal }, () => {
        this.#waiting = undefined;
        if (this.#closed) return undefined;
        return new Promise<void>((release) => {
          this.#release = release;
          this.#lead();
        });
      })
      .catch(() => {
        // Aborted while waiting (the element went away, or the tab handed over): nothing to undo.
        if (this.#waiting === waiting) this.#waiting = undefined;
      });
  }

  #lead(): void {
    const relay = (message: Message) => this.#post(message);
    this.#subscription = this.open({
      change: (change) => {
        this.handlers.change(change);
        relay({ kind: 'change', change });
      },
      live: () => {
        this.handlers.live();
        relay({ kind: 'live' });
      },
      status: (status) => {
        this.#status = status;
        this.handlers.status(status);
        relay({ kind: 'status', status });
      },
      problem: (error) => {
        this.handlers.problem(error);
        relay({ kind: 'problem', code: error.code, message: error.message });
      },
    });
    if (document.visibilityState === 'hidden') this.#onVisibility();
  }

  async #stopLeading(): Promise<void> {
    const subscription = this.#subscription;
    const release = this.#release;
    this.#subscription = null;
    this.#release = undefined;
    if (subscription) await subscription.close();
    // After the channel is gone: the next leader's channel never overlaps ours for long.
    release?.();
  }

  #receive(message: Message): void {
    if (this.#closed) return;
    if (message.kind === 'hello') {
      if (this.leading) this.#post({ kind: 'status', status: this.#status });
      return;
    }
    // A leader hears only other leaders' echoes of what it relayed itself: none, by the lock.
    if (this.leading) return;
    switch (message.kind) {
      case 'change':
        this.handlers.change(message.change);
        break;
      case 'live':
        this.handlers.live();
        break;
      case 'status':
        this.handlers.status(message.status);
        // A new leader is live: whatever the previous one missed, this tab catches up on too.
        if (message.status === 'live') this.handlers.live();
        break;
      case 'problem':
        this.handlers.problem(new NotificationSourceError(message.code, message.message));
        break;
    }
  }

  #post(message: Message): void {
    if (!this.#closed) this.#channel.postMessage(message);
  }

  /** Hidden for a while and another tab is waiting: hand the connection to it. */
  #onVisibility = () => {
    clearTimeout(this.#hiddenTimer);
    if (document.visibilityState !== 'hidden' || !this.leading) return;
    this.#hiddenTimer = setTimeout(() => {
      void navigator.locks.query().then(({ pending }) => {
        if (!this.leading || document.visibilityState !== 'hidden') return;
        if (pending?.some((lock) => lock.name === this.name)) this.#handOver();
        // Nobody waits yet: look again, for a tab opened while this one stays hidden.
        else this.#onVisibility();
      });
    }, HIDDEN_HANDOVER_MS);
  };

  /**
   * Gives the connection up and queues for it again, behind the tabs already waiting. A listener
   * (freeze, pagehide): nobody awaits it, so a failure to close is logged here.
   */
  #handOver = (): void => {
    if (!this.leading) {
      this.#waiting?.abort();
      return;
    }
    this.handlers.status('connecting');
    this.#stopLeading().then(
      () => this.#request(),
      (error: unknown) => console.error('wacrm-notifications: the realtime channel could not be closed to hand it to another tab:', error),
    );
  };

  #rejoin = () => {
    if (!this.leading) this.#request();
  };
}
