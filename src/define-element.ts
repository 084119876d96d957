/**
 * Registers a custom element once. A second registration of the same class (two copies of the
 * script on a page, hot reload) is a no-op; a different class under a taken name is left alone
 * with a warning rather than a thrown error that would break the host page.
 */
export function defineElement(name: string, constructor: CustomElementConstructor): void {
  if (typeof customElements === 'undefined') return; // server-side rendering: nothing to register
  const existing = customElements.get(name);
  if (existing === constructor) return;
  if (existing) {
    console.warn(
      `<${name}> is already defined by another script (two builds of wacrm-notifications on one page?); keeping that definition. Load one build only.`,
    );
    return;
  }
  customElements.define(name, constructor);
}
