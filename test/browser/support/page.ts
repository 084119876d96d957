// A fresh page for what a site without a bundler does: an iframe of the test's origin (srcdoc), so
// it has its own custom-element registry and globals but shares localStorage and BroadcastChannel
// with the test, as another tab of the same site would.
export interface Page {
  frame: HTMLIFrameElement;
  window: Window & typeof globalThis & Record<string, unknown>;
  document: Document;
  remove(): void;
}

export async function openPage(html: string): Promise<Page> {
  const frame = document.createElement('iframe');
  frame.style.cssText = 'width: 480px; height: 640px; border: 0';
  const loaded = new Promise((resolve) => frame.addEventListener('load', resolve, { once: true }));
  frame.srcdoc = html;
  document.body.append(frame);
  await loaded;
  const view = frame.contentWindow as Page['window'];
  return { frame, window: view, document: view.document, remove: () => frame.remove() };
}

/** Text for an HTML attribute or an inline script string. */
export const escapeHtml = (value: string) =>
  value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
