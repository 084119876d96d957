// axe (chai-a11y-axe) over the bell in every state a user can meet, closed and open: zero violations.
import { expect, fixture, html, waitUntil } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import 'wacrm-notifications/define';
import { NotificationStore, type WacrmNotificationBell, type WacrmNotificationPanel } from 'wacrm-notifications';
import { FakeDatabase, gate, permissionDenied, storeOver } from './support/fake-queries.js';
import { deepActiveElement, focused, nextEvent, panelOf, part, settle } from './support/dom.js';

async function bell(store: NotificationStore, open = true) {
  const el = await fixture<WacrmNotificationBell>(html`<wacrm-notification-bell .store=${store}></wacrm-notification-bell>`);
  if (open) await el.show();
  await settle(el, panelOf(el));
  return el;
}

function databaseWithItems(): FakeDatabase {
  const db = new FakeDatabase();
  db.insertMany(3, { read_at: '2026-01-01T00:00:00Z' });
  db.insertMany(4);
  db.insert({ body: null });
  return db;
}

const withItems = (pageSize = 20) => storeOver(databaseWithItems(), { pageSize });

describe('accessibility (axe)', () => {
  it('closed, with an unread badge', async () => {
    const el = await bell(await withItems(), false);
    await expect(el).to.be.accessible();
  });

  it('closed, nothing unread', async () => {
    const el = await bell(await storeOver(new FakeDatabase()), false);
    await expect(el).to.be.accessible();
  });

  it('open, with read and unread items', async () => {
    const el = await bell(await withItems());
    expect(part(panelOf(el), 'item')).to.exist;
    await expect(el).to.be.accessible();
  });

  it('open, with more pages to load while scrolling', async () => {
    const el = await bell(await withItems(3));
    expect(panelOf(el).activeStore.state.hasMore).to.equal(true);
    await expect(el).to.be.accessible();
  });

  it('open, while the next page loads', async () => {
    const db = databaseWithItems();
    const store = await storeOver(db, { pageSize: 3 });
    const el = await bell(store);
    const hold = gate();
    db.gate = hold.promise;
    const loading = store.loadMore();
    await settle(el, panelOf(el));
    expect(part(panelOf(el), 'loading'), 'a "loading more" status').to.exist;
    await expect(el).to.be.accessible();
    hold.open();
    await loading;
  });

  it('open, filtered to unread', async () => {
    const el = await bell(await withItems());
    panelOf(el).filter = 'unread';
    await settle(el, panelOf(el));
    await expect(el).to.be.accessible();
  });

  it('open, the archive listed', async () => {
    const db = databaseWithItems();
    db.insertMany(2, { archived_at: '2026-01-02T00:00:00Z', read_at: '2026-01-01T00:00:00Z' });
    const el = await bell(await storeOver(db));
    panelOf(el).filter = 'archived';
    await settle(el, panelOf(el));
    await waitUntil(() => part(panelOf(el), 'restore'), 'the archive listed');
    await expect(el).to.be.accessible();
  });

  it('open, the settings view with its switches, reachable and operable by keyboard', async () => {
    const db = databaseWithItems();
    db.preferences = { deal_updated: false };
    const el = await bell(await storeOver(db));
    const panel = panelOf(el);
    part(panel, 'settings-button')!.click();
    await waitUntil(() => part(panel, 'preference'), 'the settings view');
    await settle(el, panel);
    const switches = [...panel.shadowRoot!.querySelectorAll<HTMLInputElement>('[part="preference"] input')];
    expect(switches.map((input) => [input.getAttribute('role'), input.checked])).to.deep.equal([
      ['switch', true],
      ['switch', true],
      ['switch', false],
    ]);
    expect(part(panel, 'settings-button')!.getAttribute('aria-expanded')).to.equal('true');
    await expect(el).to.be.accessible();
    // A keyboard user toggles with Space: a native checkbox, labelled by its type's name.
    switches[2]!.focus();
    await sendKeys({ press: 'Space' });
    await waitUntil(() => db.preferences.deal_updated === true, 'saved on');
    expect(switches[2]!.labels?.[0]?.textContent?.trim()).to.equal('Changes to my deals');
    // Back to the list: focus returns to the button that opened the view.
    part(panel, 'back')!.click();
    await waitUntil(() => focused() === '<button>[part="settings-button"] in <wacrm-notification-panel>', `focus back on the settings button, not ${focused()}`);
  });

  it('opening the settings view moves focus to its first switch', async () => {
    const el = await bell(await withItems());
    const panel = panelOf(el);
    part(panel, 'settings-button')!.click();
    await waitUntil(
      () => (deepActiveElement() as HTMLElement | null)?.dataset?.type === 'conversation_assigned',
      `focus on the first switch, not ${focused()}`,
    );
  });

  it('open and empty', async () => {
    const el = await bell(await storeOver(new FakeDatabase()));
    expect(part(panelOf(el), 'empty')).to.exist;
    await expect(el).to.be.accessible();
  });

  it('open and loading', async () => {
    const store = new NotificationStore();
    store.reset(new FakeDatabase(), 'user-me');
    const el = await bell(store);
    expect(part(panelOf(el), 'loading')).to.exist;
    await expect(el).to.be.accessible();
  });

  it('open with an error', async () => {
    const db = new FakeDatabase();
    db.failReads = permissionDenied();
    const el = await bell(await storeOver(db));
    expect(part(panelOf(el), 'error')).to.exist;
    await expect(el).to.be.accessible();
  });

  it('open with an error over a list (a failed write)', async () => {
    const db = new FakeDatabase();
    db.insertMany(2);
    const store = await storeOver(db);
    db.failWrites = permissionDenied();
    await store.markRead(store.state.items[0]!.id);
    const el = await bell(store);
    expect(part(panelOf(el), 'error')).to.exist;
    expect(part(panelOf(el), 'item')).to.exist;
    await expect(el).to.be.accessible();
  });

  it('open and signed out', async () => {
    const signedOut = new NotificationStore();
    signedOut.reset(null, null);
    const el = await bell(signedOut);
    expect(part(panelOf(el), 'signed-out')).to.exist;
    await expect(el).to.be.accessible();
  });

  it('open without a client', async () => {
    const el = await fixture<WacrmNotificationBell>(html`<wacrm-notification-bell></wacrm-notification-bell>`);
    await el.show();
    await settle(el, panelOf(el));
    await expect(el, 'waiting for the client').to.be.accessible();
    await nextEvent(el, 'wacrm-error');
    await settle(el, panelOf(el));
    expect(part(panelOf(el), 'error')).to.exist;
    await expect(el).to.be.accessible();
  });

  it('a panel used alone, with items', async () => {
    const panel = await fixture<WacrmNotificationPanel>(
      html`<wacrm-notification-panel .store=${await withItems(3)}></wacrm-notification-panel>`,
    );
    await settle(panel);
    await expect(panel).to.be.accessible();
  });
});
