import type { ReactiveController, ReactiveElement } from 'lit';

export interface Sentinel {
  /** The scrolling container. */
  root: HTMLElement;
  /** An element at the end of its content. */
  target: HTMLElement;
}

/**
 * Calls `onReached` when the end of a scrolling list comes within 120 px of view: infinite scroll.
 * The sentinel is observed afresh after every update of the host, so each reading describes the
 * layout just rendered: a page that still leaves the end in view (a short list) asks for the next
 * one, and a reading taken before the last page landed never loads a page nobody scrolled to. The
 * observer exists only while the host is connected; a host put back on the page observes again.
 */
export class SentinelController implements ReactiveController {
  #observer: IntersectionObserver | undefined;
  #root: HTMLElement | undefined;

  constructor(
    private readonly host: ReactiveElement,
    private readonly getSentinel: () => Sentinel | null,
    private readonly onReached: () => void,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    if (this.host.hasUpdated) this.host.requestUpdate();
  }

  hostUpdated(): void {
    const sentinel = this.host.isConnected ? this.getSentinel() : null;
    if (!sentinel || sentinel.root !== this.#root) this.#disconnect();
    if (!sentinel) return;
    this.#root = sentinel.root;
    this.#observer ??= new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting)) this.onReached();
      },
      { root: sentinel.root, rootMargin: '0px 0px 120px 0px' },
    );
    this.#observer.unobserve(sentinel.target);
    this.#observer.observe(sentinel.target);
  }

  hostDisconnected(): void {
    this.#disconnect();
  }

  #disconnect(): void {
    this.#observer?.disconnect();
    this.#observer = undefined;
    this.#root = undefined;
  }
}
