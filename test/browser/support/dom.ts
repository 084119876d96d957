// Small helpers to reach into the elements' shadow roots the way a stylesheet would: by part.
import { nextFrame, oneEvent } from '@open-wc/testing';
import type { WacrmNotificationBell, WacrmNotificationPanel } from 'wacrm-notifications';

export function part<T extends Element = HTMLElement>(host: Element, name: string): T | null {
  return host.shadowRoot!.querySelector<T>(`[part~="${name}"]`);
}

export function parts<T extends Element = HTMLElement>(host: Element, name: string): T[] {
  return [...host.shadowRoot!.querySelectorAll<T>(`[part~="${name}"]`)];
}

/** The panel a bell shows: the one slotted in, else its built-in one. */
export function panelOf(bell: WacrmNotificationBell): WacrmNotificationPanel {
  return (bell.querySelector('wacrm-notification-panel') ??
    bell.shadowRoot!.querySelector('wacrm-notification-panel'))!;
}

/** Lets store promises settle and every element re-render. */
export async function settle(...elements: { updateComplete: Promise<unknown> }[]): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  for (const el of elements) await el.updateComplete;
  await nextFrame();
  for (const el of elements) await el.updateComplete;
}

/** The deepest focused element, through shadow roots. */
export function deepActiveElement(): Element | null {
  let active: Element | null = document.activeElement;
  while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
  return active;
}

/** Visible text, whitespace collapsed. */
export const text = (el: Element | null | undefined) => (el?.textContent ?? '').replace(/\s+/g, ' ').trim();

/** oneEvent, typed from GlobalEventHandlersEventMap (set it up before acting). */
export function nextEvent<K extends keyof GlobalEventHandlersEventMap>(
  target: EventTarget,
  type: K,
): Promise<GlobalEventHandlersEventMap[K]> {
  return oneEvent(target, type) as unknown as Promise<GlobalEventHandlersEventMap[K]>;
}

/**
 * A short, readable name for an element, for assertions about focus: comparing elements
 * themselves makes a failure print (and diff) whole DOM objects, which can stall the browser.
 */
export function describeElement(el: Element | null | undefined): string {
  if (!el) return 'nothing';
  const attributes = ['part', 'data-id', 'id']
    .map((name) => (el.hasAttribute(name) ? `[${name}="${el.getAttribute(name)}"]` : ''))
    .join('');
  const root = el.getRootNode();
  const host = root instanceof ShadowRoot ? ` in <${root.host.localName}>` : '';
  return `<${el.localName}>${attributes}${host}`;
}

/** The element that has focus, through shadow roots, described (see describeElement). */
export const focused = () => describeElement(deepActiveElement());
