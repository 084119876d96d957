// One store per bell, shared with the panel inside it through @lit/context: the slotted panel and
// the built-in one show the bell's state and never query on their own; `.store` overrides context.
import { expect, fixture, html, waitUntil } from '@open-wc/testing';
import 'wacrm-notifications/define';
import type { WacrmNotificationBell, WacrmNotificationPanel } from 'wacrm-notifications';
import { FakeDatabase, storeOver } from './support/fake-queries.js';
import { nextEvent, part, parts, settle, text } from './support/dom.js';

async function bellAndDb(unread = 3) {
  const db = new FakeDatabase();
  db.insertMany(unread);
  const store = await storeOver(db);
  return { db, store };
}

describe('store sharing', () => {
  it('a panel slotted into the bell shows the bell’s store and queries nothing itself', async () => {
    const { db, store } = await bellAndDb(3);
    const callsBefore = db.calls.length;
    const bell = await fixture<WacrmNotificationBell>(html`<wacrm-notification-bell .store=${store}>
      <wacrm-notification-panel></wacrm-notification-panel>
    </wacrm-notification-bell>`);
    const panel = bell.querySelector('wacrm-notification-panel')!;
    await bell.show();
    await settle(bell, panel);
    expect(panel.activeStore).to.equal(store);
    expect(panel.ownsStore).to.equal(false);
    expect(bell.shadowRoot!.querySelector('wacrm-notification-panel'), 'the slot’s fallback is not shown').to.satisfy(
      (fallback: Element | null) => !fallback || fallback.getClientRects().length === 0,
    );
    expect(parts(panel, 'item')).to.have.length(3);
    expect(part(panel, 'error'), 'it did not start a subscription of its own').to.equal(null);
    // No read of its own: only the panel, drawn in the open bell, marking what it shows as seen
    // (once the popover has its box: the frame after opening).
    await waitUntil(() => db.calls.length > callsBefore, 'the shown rows marked seen');
    await settle(bell, panel);
    expect(db.calls.slice(callsBefore)).to.deep.equal(['markSeen']);

    // One state: a click in the panel lowers the bell's badge.
    parts<HTMLButtonElement>(panel, 'item')[0]!.click();
    await settle(bell, panel);
    expect(text(part(bell, 'badge'))).to.equal('2');
    expect(db.calls.slice(callsBefore)).to.deep.equal(['markSeen', 'markRead']);
  });

  it('the built-in panel shows the bell’s store', async () => {
    const { store } = await bellAndDb(2);
    const bell = await fixture<WacrmNotificationBell>(html`<wacrm-notification-bell .store=${store}></wacrm-notification-bell>`);
    await bell.show();
    const panel = bell.shadowRoot!.querySelector('wacrm-notification-panel')!;
    await settle(bell, panel);
    expect(panel.activeStore).to.equal(store);
    expect(parts(panel, 'item')).to.have.length(2);
  });

  it('a panel added to an open bell later consumes the same store', async () => {
    const { store } = await bellAndDb(2);
    const bell = await fixture<WacrmNotificationBell>(html`<wacrm-notification-bell .store=${store}></wacrm-notification-bell>`);
    const panel = document.createElement('wacrm-notification-panel');
    bell.append(panel);
    await settle(bell, panel);
    expect(panel.activeStore).to.equal(store);
    expect(parts(panel, 'item')).to.have.length(2);
  });

  it('reports each happening once: the bell fires, the panel inside stays quiet', async () => {
    const { db, store } = await bellAndDb(1);
    const bell = await fixture<WacrmNotificationBell>(html`<wacrm-notification-bell .store=${store}>
      <wacrm-notification-panel></wacrm-notification-panel>
    </wacrm-notification-bell>`);
    await settle(bell, bell.querySelector('wacrm-notification-panel')!);
    const seen: string[] = [];
    const record = (event: Event) => seen.push(`${event.type}@${(event.target as Element).localName}`);
    for (const type of ['wacrm-receive', 'wacrm-unread-change'] as const) document.addEventListener(type, record);
    try {
      store.apply({ type: 'INSERT', row: db.insert() });
      await settle(bell);
    } finally {
      for (const type of ['wacrm-receive', 'wacrm-unread-change'] as const) document.removeEventListener(type, record);
    }
    expect(seen.sort()).to.deep.equal(['wacrm-receive@wacrm-notification-bell', 'wacrm-unread-change@wacrm-notification-bell']);
  });

  it('a panel used alone with .store shows it and reports its events', async () => {
    const { db, store } = await bellAndDb(2);
    const panel = await fixture<WacrmNotificationPanel>(html`<wacrm-notification-panel .store=${store}></wacrm-notification-panel>`);
    await settle(panel);
    expect(panel.activeStore).to.equal(store);
    expect(parts(panel, 'item')).to.have.length(2);
    const changed = nextEvent(panel, 'wacrm-unread-change');
    store.apply({ type: 'INSERT', row: db.insert() });
    expect((await changed).unreadCount).to.equal(3);
  });

  it('.store on a panel inside a bell overrides the bell’s', async () => {
    const { store } = await bellAndDb(3);
    const other = new FakeDatabase();
    other.insert({ title: 'From the other store' });
    const otherStore = await storeOver(other);
    const bell = await fixture<WacrmNotificationBell>(html`<wacrm-notification-bell .store=${store}>
      <wacrm-notification-panel .store=${otherStore}></wacrm-notification-panel>
    </wacrm-notification-bell>`);
    const panel = bell.querySelector('wacrm-notification-panel')!;
    await settle(bell, panel);
    expect(panel.activeStore).to.equal(otherStore);
    expect(parts(panel, 'item').map((item) => text(item.querySelector('[part~="title"]')))).to.deep.equal([
      'From the other store, Unread',
    ]);
    expect(text(part(bell, 'badge')), 'the bell keeps its own').to.equal('3');
  });

  it('replacing .store on the bell moves the panel to the new store', async () => {
    const { store } = await bellAndDb(3);
    const bell = await fixture<WacrmNotificationBell>(html`<wacrm-notification-bell .store=${store}>
      <wacrm-notification-panel></wacrm-notification-panel>
    </wacrm-notification-bell>`);
    const panel = bell.querySelector('wacrm-notification-panel')!;
    const next = new FakeDatabase();
    next.insert();
    const nextStore = await storeOver(next);
    bell.store = nextStore;
    await settle(bell, panel);
    expect(panel.activeStore).to.equal(nextStore);
    expect(parts(panel, 'item')).to.have.length(1);
    expect(text(part(bell, 'badge'))).to.equal('1');
  });
});
