import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { loadStrings } from '../strings.js';

type Host = ReactiveControllerHost & HTMLElement;

/** The parent element, or the shadow host when `node` is at the top of a shadow root. */
function parentAcrossShadow(node: Element): Element | null {
  if (node.parentElement) return node.parentElement;
  const root = node.getRootNode();
  return root instanceof ShadowRoot ? root.host : null;
}

/**
 * The language that applies to `element`, as the `lang` attribute works in HTML: its own, else
 * the nearest ancestor's — crossing shadow roots, so a panel inside a bell, or either inside
 * another component, inherits it — else `<html lang>`, else English.
 */
export function languageOf(element: HTMLElement): string {
  // The property, not the attribute: a Lit element reflects `lang` only after its hooks have run.
  if (element.lang) return element.lang;
  for (let node = parentAcrossShadow(element); node; node = parentAcrossShadow(node)) {
    const lang = node.getAttribute('lang');
    if (lang) return lang;
  }
  return 'en';
}

/**
 * The host's language (see languageOf), kept current: an update whenever `lang` changes on the
 * host, on any ancestor (across shadow roots) or on `<html>`, at run time, so strings and relative
 * times switch within a frame (or once the language's strings have loaded). Ancestors are observed
 * while the host is connected and observed afresh when it moves.
 */
export class LanguageController implements ReactiveController {
  #language = 'en';
  #observer: MutationObserver | undefined;

  constructor(private readonly host: Host) {
    host.addController(this);
  }

  /** The language as of the host's last update (BCP 47, e.g. `pt-BR`). */
  get value(): string {
    return this.#language;
  }

  /**
   * Starts loading the built-in strings of the host's present language when they are not loaded;
   * the promise settles once they are. For the host's `scheduleUpdate`, so it renders in them.
   */
  load(): Promise<void> | undefined {
    return loadStrings(languageOf(this.host));
  }

  hostConnected(): void {
    this.#language = languageOf(this.host);
    this.#observer ??= new MutationObserver(() => {
      if (languageOf(this.host) !== this.#language) this.host.requestUpdate();
    });
    // Every ancestor, including those without `lang` yet: adding one there changes the language too.
    for (let node = parentAcrossShadow(this.host); node; node = parentAcrossShadow(node)) {
      this.#observer.observe(node, { attributes: true, attributeFilter: ['lang'] });
    }
  }

  hostUpdate(): void {
    this.#language = languageOf(this.host);
  }

  hostDisconnected(): void {
    this.#observer?.disconnect();
  }
}
