// Loaded by every test page before the tests (test/browser/forms.ts, pageFor): an uncaught error or
// an unhandled promise rejection fails the test during which it happens, whether it happens in the
// test page or in an iframe a test opened. Mocha already fails the running test on the page's own
// uncaught errors (through window.onerror); this raises the rest the same way: the page's unhandled
// rejections, and both kinds from same-origin iframes, as an `error` event on the test page's window.

/** Events this module raised itself, which its own listeners let pass. */
const raised = new WeakSet<Event>();
const watched = new WeakSet<Window>();

/** An Error of this window or of an iframe's (where instanceof Error is false). */
const isError = (value: unknown): value is Error => Object.prototype.toString.call(value) === '[object Error]';

function describe(reason: unknown): string {
  if (isError(reason)) return reason.stack?.includes(reason.message) ? reason.stack : `${String(reason)}\n${reason.stack ?? ''}`;
  try {
    return typeof reason === 'string' ? reason : JSON.stringify(reason);
  } catch {
    return String(reason);
  }
}

function raise(what: string, where: string, reason: unknown, fallback?: string): void {
  const error = isError(reason) ? reason : new Error(fallback ?? describe(reason));
  const event = new ErrorEvent('error', {
    message: `${what} in ${where}: ${reason === undefined || reason === null ? (fallback ?? String(reason)) : describe(reason)}`,
    error,
    filename: location.pathname,
    cancelable: true,
  });
  raised.add(event);
  window.dispatchEvent(event);
}

window.addEventListener('unhandledrejection', (event) => raise('Unhandled promise rejection', 'the test page', event.reason));

function frameName(frame: HTMLIFrameElement): string {
  const src = frame.getAttribute('src');
  return src ? `an iframe (${src})` : frame.hasAttribute('srcdoc') ? 'an iframe (srcdoc page)' : 'an iframe';
}

function watchWindow(view: Window | null, where: string): void {
  if (!view || view === window || watched.has(view)) return;
  try {
    view.addEventListener('error', (event) => {
      if (!raised.has(event)) raise('Uncaught error', where, event.error, event.message);
    });
    view.addEventListener('unhandledrejection', (event) => raise('Unhandled promise rejection', where, event.reason));
    watched.add(view);
  } catch {
    // A cross-origin frame: nothing of it can be watched (the tests open none).
  }
}

function watchFrame(frame: HTMLIFrameElement): void {
  // Now, for a srcdoc or same-origin page, which keeps the initial window (its scripts have not run
  // yet); and on every load, for a page that got a window of its own.
  watchWindow(frame.contentWindow, frameName(frame));
  frame.addEventListener('load', () => watchWindow(frame.contentWindow, frameName(frame)));
}

new MutationObserver((records) => {
  for (const record of records) {
    for (const node of record.addedNodes) {
      if (!(node instanceof Element)) continue;
      if (node instanceof HTMLIFrameElement) watchFrame(node);
      for (const frame of node.querySelectorAll('iframe')) watchFrame(frame);
    }
  }
}).observe(document, { childList: true, subtree: true });

export {};
