// Styling through the public surface only: ::part() on every region (exported through the bell),
// --wacrm-* custom properties set on any ancestor, and nothing crossing the shadow boundary.
import { expect, fixture, html } from '@open-wc/testing';
import 'wacrm-notifications/define';
import { NotificationStore, type WacrmNotificationBell } from 'wacrm-notifications';
import { FakeDatabase, permissionDenied, storeOver } from './support/fake-queries.js';
import { panelOf, part, settle } from './support/dom.js';

/** A page stylesheet for the duration of a test. */
function pageStyle(css: string): () => void {
  const style = document.createElement('style');
  style.textContent = css;
  document.head.append(style);
  return () => style.remove();
}

async function openBell(store: NotificationStore) {
  const bell = await fixture<WacrmNotificationBell>(html`<wacrm-notification-bell .store=${store}></wacrm-notification-bell>`);
  await bell.show();
  await settle(bell, panelOf(bell));
  return bell;
}

/** Each part gets a distinct, harmless style from the page; we read it back where it landed. */
const marker = (index: number) => `${index + 1}px`;

describe('styling', () => {
  it('has a part on every region, reachable with ::part() from the page (through the bell)', async () => {
    const db = new FakeDatabase();
    db.insert({ read_at: '2026-01-01T00:00:00Z' });
    db.insert();
    const bell = await openBell(await storeOver(db));
    const panel = panelOf(bell);
    const names = ['button', 'badge', 'popover', 'panel', 'header', 'heading', 'filter', 'mark-all', 'list', 'item', 'item--unread', 'title', 'body', 'time'];
    const remove = pageStyle(
      names.map((name, index) => `wacrm-notification-bell::part(${name}) { scroll-margin-top: ${marker(index)}; }`).join('\n'),
    );
    try {
      names.forEach((name, index) => {
        const element = part(bell, name) ?? part(panel, name);
        expect(element, `a [part~=${name}]`).to.exist;
        // An unread item carries both `item` and `item--unread`; the later rule wins there.
        const target = name === 'item' ? panel.shadowRoot!.querySelector('[part="item"]') : element;
        expect(getComputedStyle(target!).scrollMarginTop, `::part(${name}) applies`).to.equal(marker(index));
      });
    } finally {
      remove();
    }
  });

  it('exports the empty, loading, error and signed-out parts too', async () => {
    const remove = pageStyle(
      ['empty', 'loading', 'error', 'signed-out']
        .map((name, index) => `wacrm-notification-bell::part(${name}) { scroll-margin-top: ${marker(index)}; }`)
        .join('\n'),
    );
    try {
      const empty = await openBell(await storeOver(new FakeDatabase()));
      expect(getComputedStyle(part(panelOf(empty), 'empty')!).scrollMarginTop).to.equal(marker(0));

      const pending = new NotificationStore();
      pending.reset(new FakeDatabase(), 'user-me');
      const loading = await openBell(pending);
      expect(getComputedStyle(part(panelOf(loading), 'loading')!).scrollMarginTop).to.equal(marker(1));

      const failing = new FakeDatabase();
      failing.failReads = permissionDenied();
      const error = await openBell(await storeOver(failing));
      expect(getComputedStyle(part(panelOf(error), 'error')!).scrollMarginTop).to.equal(marker(2));

      const signedOut = new NotificationStore();
      signedOut.reset(null, null);
      const out = await openBell(signedOut);
      expect(getComputedStyle(part(panelOf(out), 'signed-out')!).scrollMarginTop).to.equal(marker(3));
    } finally {
      remove();
    }
  });

  it('applies --wacrm-* custom properties set on an ancestor', async () => {
    const db = new FakeDatabase();
    db.insert();
    const store = await storeOver(db);
    const wrapper = await fixture<HTMLDivElement>(html`<div
      style="--wacrm-badge-background: rgb(0, 128, 0); --wacrm-badge-color: rgb(1, 2, 3); --wacrm-background: rgb(10, 20, 30);
             --wacrm-color: rgb(200, 201, 202); --wacrm-unread-background: rgb(40, 50, 60); --wacrm-panel-width: 300px;
             --wacrm-font-family: monospace"
    >
      <wacrm-notification-bell .store=${store}></wacrm-notification-bell>
    </div>`);
    const bell = wrapper.querySelector('wacrm-notification-bell')!;
    await bell.show();
    const panel = panelOf(bell);
    await settle(bell, panel);
    const badge = getComputedStyle(part(bell, 'badge')!);
    expect(badge.backgroundColor).to.equal('rgb(0, 128, 0)');
    expect(badge.color).to.equal('rgb(1, 2, 3)');
    expect(getComputedStyle(part(bell, 'popover')!).backgroundColor).to.equal('rgb(10, 20, 30)');
    expect(getComputedStyle(part(bell, 'popover')!).width).to.equal('300px');
    expect(getComputedStyle(part(panel, 'heading')!).color).to.equal('rgb(200, 201, 202)');
    expect(getComputedStyle(part(panel, 'item--unread')!).backgroundColor).to.equal('rgb(40, 50, 60)');
    expect(getComputedStyle(part(panel, 'title')!).fontFamily).to.equal('monospace');
  });

  it('is not styled by the page’s element rules', async () => {
    const remove = pageStyle('button, li, span, h2, ul { color: rgb(255, 0, 0) !important; background: rgb(255, 0, 0) !important; }');
    try {
      const db = new FakeDatabase();
      db.insert();
      const bell = await openBell(await storeOver(db));
      const panel = panelOf(bell);
      for (const element of [part(bell, 'button'), part(bell, 'badge'), part(panel, 'item'), part(panel, 'heading'), part(panel, 'list')]) {
        const style = getComputedStyle(element!);
        expect(style.color, element!.getAttribute('part')!).not.to.equal('rgb(255, 0, 0)');
        expect(style.backgroundColor, element!.getAttribute('part')!).not.to.equal('rgb(255, 0, 0)');
      }
    } finally {
      remove();
    }
  });

  it('does not style the page: its rules stay inside its shadow roots', async () => {
    const db = new FakeDatabase();
    db.insert();
    const store = await storeOver(db);
    const wrapper = await fixture<HTMLDivElement>(html`<div>
      <button part="button" class="probe">Page button</button>
      <span part="badge" class="probe">3</span>
      <div part="popover" class="probe visually-hidden">Page popover</div>
      <ul part="list" class="probe"><li><button part="item item--unread">Page item</button></li></ul>
      <wacrm-notification-bell .store=${store}></wacrm-notification-bell>
      <wacrm-notification-panel .store=${store}></wacrm-notification-panel>
    </div>`);
    const reference = await fixture<HTMLDivElement>(html`<div>
      <button part="button" class="probe">Page button</button>
      <span part="badge" class="probe">3</span>
      <div part="popover" class="probe visually-hidden">Page popover</div>
      <ul part="list" class="probe"><li><button part="item item--unread">Page item</button></li></ul>
    </div>`);
    await settle(wrapper.querySelector('wacrm-notification-bell')!, wrapper.querySelector('wacrm-notification-panel')!);
    const properties = ['position', 'display', 'width', 'height', 'background-color', 'color', 'border-radius', 'padding-top', 'font-family', 'clip'];
    const probes = (root: Element) => [...root.querySelectorAll('.probe, [part~="item"]')];
    const withElements = probes(wrapper);
    const without = probes(reference);
    expect(withElements).to.have.length(without.length);
    withElements.forEach((element, index) => {
      const actual = getComputedStyle(element);
      const expected = getComputedStyle(without[index]!);
      for (const property of properties) {
        expect(actual.getPropertyValue(property), `${element.getAttribute('part')} ${property}`).to.equal(
          expected.getPropertyValue(property),
        );
      }
    });
  });
});
