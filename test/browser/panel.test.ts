// The panel as a user meets it: the list, choosing an item by mouse or keyboard, moving between
// items, filtering, marking everything read, its states, and loading more while scrolling.
import { aTimeout, expect, fixture, html, waitUntil } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import 'wacrm-notifications/define';
import { expandHref, type NotificationReadEvent, type NotificationStore, type WacrmNotificationPanel } from 'wacrm-notifications';
import { FakeDatabase, gate, permissionDenied, storeOver } from './support/fake-queries.js';
import { deepActiveElement, describeElement, focused, nextEvent, part, parts, settle, text } from './support/dom.js';

async function panelOver(store: NotificationStore, hrefTemplate = '') {
  const el = await fixture<WacrmNotificationPanel>(
    html`<wacrm-notification-panel .store=${store} href-template=${hrefTemplate}></wacrm-notification-panel>`,
  );
  await settle(el);
  return el;
}

async function loadedPanel(unread = 3, read = 0, hrefTemplate = '') {
  const db = new FakeDatabase();
  db.insertMany(read, { read_at: '2026-01-01T00:00:00Z' });
  db.insertMany(unread);
  const store = await storeOver(db);
  const el = await panelOver(store, hrefTemplate);
  return { el, db, store };
}

const items = (el: WacrmNotificationPanel) => parts<HTMLButtonElement>(el, 'item');

describe('<wacrm-notification-panel>', () => {
  describe('the list', () => {
    it('lists notifications newest first with their title, body and time', async () => {
      const db = new FakeDatabase();
      const older = db.insert({ title: 'Older', body: 'First body' });
      const newer = db.insert({ title: 'Newer', body: null });
      const el = await panelOver(await storeOver(db));
      const [first, second] = items(el);
      expect(items(el)).to.have.length(2);
      expect(first!.dataset.id).to.equal(newer.id);
      expect(second!.dataset.id).to.equal(older.id);
      expect(text(first!.querySelector('[part~="title"]'))).to.match(/^Newer/);
      expect(first!.querySelector('[part~="body"]'), 'no body part without a body').to.equal(null);
      expect(text(second!.querySelector('[part~="body"]'))).to.equal('First body');
      const time = second!.querySelector('[part~="time"]')!;
      expect(time.localName).to.equal('relative-time');
      expect(new Date(time.getAttribute('datetime')!).getTime()).to.equal(Date.parse(older.created_at.replace('123+00:00', 'Z')));
    });

    it('renders relative times in the element’s language, and they tick', async () => {
      const db = new FakeDatabase();
      db.insert();
      const store = await storeOver(db);
      const el = await fixture<WacrmNotificationPanel>(
        html`<wacrm-notification-panel .store=${store} lang="es"></wacrm-notification-panel>`,
      );
      await settle(el);
      const time = part(el, 'time')!;
      expect(time.getAttribute('lang')).to.equal('es');
      await waitUntil(() => /hace/.test(time.shadowRoot?.textContent ?? ''), 'a Spanish relative time');
      el.lang = 'en';
      await el.updateComplete;
      await waitUntil(() => /ago/.test(time.shadowRoot?.textContent ?? ''), 'an English relative time');
    });

    it('marks unread items with the item--unread part and says so to screen readers', async () => {
      const { el } = await loadedPanel(1, 1);
      const [unread, read] = items(el);
      expect(unread!.getAttribute('part')).to.equal('item item--unread');
      expect(read!.getAttribute('part')).to.equal('item');
      expect(text(unread)).to.contain('Unread');
      expect(text(read)).not.to.contain('Unread');
    });
  });

  describe('choosing a notification', () => {
    for (const how of ['click', 'Enter', 'Space'] as const) {
      it(`${how} marks it read at once, fires select and then read`, async () => {
        const { el, store, db } = await loadedPanel(2);
        const target = items(el)[1]!;
        const id = target.dataset.id!;
        const selected = nextEvent(el, 'wacrm-notification-select');
        const read = nextEvent(el, 'wacrm-read');
        if (how === 'click') target.click();
        else {
          target.focus();
          await sendKeys({ press: how });
        }
        const selectEvent = await selected;
        expect(selectEvent.notification.id).to.equal(id);
        expect(selectEvent.cancelable).to.equal(true);
        expect(store.state.items.find((item) => item.id === id)!.read_at, 'read on screen at once').not.to.equal(null);
        expect((await read).ids).to.deep.equal([id]);
        expect(db.find(id)!.read_at, 'written through').not.to.equal(null);
        await el.updateComplete;
        expect(items(el)[1]!.getAttribute('part')).to.equal('item');
        expect(store.state.unreadCount).to.equal(1);
      });
    }

    it('fires select but no read event for an item already read', async () => {
      const { el, db } = await loadedPanel(0, 1);
      const events: string[] = [];
      el.addEventListener('wacrm-notification-select', () => events.push('select'));
      el.addEventListener('wacrm-read', () => events.push('read'));
      items(el)[0]!.click();
      await settle(el);
      expect(events).to.deep.equal(['select']);
      expect(db.calls).not.to.include('markRead');
    });

    it('expands href-template with the notification’s URL-encoded fields', () => {
      const row = new FakeDatabase().insert({ conversation_id: 'a b&c', contact_id: null });
      expect(expandHref('/inbox?c={conversation_id}&k={contact_id}&x={unknown}', row)).to.equal('/inbox?c=a%20b%26c&k=&x=');
    });

    // Navigation is tested for real, without leaving the test page: a template that is a fragment
    // (`#…`) makes location.assign a same-document navigation, so the page stays and location.hash
    // shows exactly where the panel went.
    it('navigates to href-template when select is not prevented', async () => {
      history.replaceState(null, '', location.pathname + location.search);
      const { el } = await loadedPanel(1, 0, '#open-{conversation_id}');
      const selected = nextEvent(el, 'wacrm-notification-select');
      items(el)[0]!.click();
      const { notification } = await selected;
      expect(location.hash).to.equal(`#open-${notification.conversation_id}`);
      history.replaceState(null, '', location.pathname + location.search);
    });

    it('does not navigate when select is prevented, and still marks read', async () => {
      history.replaceState(null, '', location.pathname + location.search);
      const { el, store } = await loadedPanel(1, 0, '#open-{conversation_id}');
      el.addEventListener('wacrm-notification-select', (event) => event.preventDefault(), { once: true });
      const read = nextEvent(el, 'wacrm-read');
      items(el)[0]!.click();
      await read;
      expect(location.hash).to.equal('');
      expect(store.state.unreadCount).to.equal(0);
    });

    it('rolls back, shows the error and fires wacrm-error when the write fails', async () => {
      const { el, store, db } = await loadedPanel(2);
      db.failWrites = permissionDenied();
      const failed = nextEvent(el, 'wacrm-error');
      const reads: NotificationReadEvent[] = [];
      el.addEventListener('wacrm-read', (event) => reads.push(event));
      items(el)[0]!.click();
      const { error } = await failed;
      expect(error.code).to.equal('write-failed');
      await el.updateComplete;
      expect(store.state.unreadCount).to.equal(2);
      expect(items(el)[0]!.getAttribute('part')).to.equal('item item--unread');
      expect(text(part(el, 'error'))).to.contain('Your change could not be saved');
      expect(items(el), 'the list stays').to.have.length(2);
      expect(reads).to.have.length(0);
    });
  });

  describe('keyboard', () => {
    it('moves between items with arrows, Home and End (roving tabindex)', async () => {
      const { el } = await loadedPanel(4);
      const tabbable = () => items(el).filter((item) => item.tabIndex === 0).map(describeElement);
      expect(tabbable()).to.deep.equal([describeElement(items(el)[0])]);
      items(el)[0]!.focus();
      const focusedIndex = () => items(el).indexOf(deepActiveElement() as HTMLButtonElement);
      await sendKeys({ press: 'ArrowDown' });
      expect(focusedIndex()).to.equal(1);
      await sendKeys({ press: 'ArrowDown' });
      expect(focusedIndex()).to.equal(2);
      await sendKeys({ press: 'ArrowUp' });
      expect(focusedIndex()).to.equal(1);
      await sendKeys({ press: 'End' });
      expect(focusedIndex()).to.equal(3);
      await sendKeys({ press: 'ArrowDown' });
      expect(focusedIndex(), 'stops at the last').to.equal(3);
      await sendKeys({ press: 'Home' });
      expect(focusedIndex()).to.equal(0);
      await sendKeys({ press: 'End' });
      await el.updateComplete;
      expect(tabbable()).to.deep.equal([describeElement(items(el)[3])]);
    });

    it('keeps the tab stop on the same notification when a new one arrives above it', async () => {
      const { el, db, store } = await loadedPanel(3);
      items(el)[1]!.focus();
      const chosen = items(el)[1]!.dataset.id;
      store.apply({ type: 'INSERT', row: db.insert() });
      await el.updateComplete;
      const tabbable = items(el).filter((item) => item.tabIndex === 0);
      expect(tabbable.map((item) => item.dataset.id)).to.deep.equal([chosen]);
      expect(items(el).indexOf(tabbable[0]!)).to.equal(2);
    });

    it('keeps focus in the list when the chosen item leaves the unread filter', async () => {
      const { el } = await loadedPanel(3);
      el.filter = 'unread';
      await el.updateComplete;
      items(el)[0]!.focus();
      await sendKeys({ press: 'ArrowDown' });
      const read = nextEvent(el, 'wacrm-read');
      await sendKeys({ press: 'Enter' });
      await read;
      await settle(el);
      expect(items(el)).to.have.length(2);
      expect(focused(), 'the item that took its place').to.equal(describeElement(items(el)[1]));
      await sendKeys({ press: 'Enter' });
      await settle(el);
      expect(items(el)).to.have.length(1);
      expect(focused(), 'the last one left').to.equal(describeElement(items(el)[0]));
    });

    it('keeps focus in the panel after "mark all as read" disables its button', async () => {
      const { el } = await loadedPanel(2);
      const markAll = part<HTMLButtonElement>(el, 'mark-all')!;
      markAll.focus();
      const read = nextEvent(el, 'wacrm-read');
      await sendKeys({ press: 'Enter' });
      await read;
      await settle(el);
      expect(markAll.disabled).to.equal(true);
      const active = deepActiveElement();
      expect(focused(), 'focus stays in the panel').to.match(/in <wacrm-notification-panel>$/);
      expect((active as HTMLButtonElement).disabled).not.to.equal(true);
    });

    it('Tab leaves the list from the current item instead of visiting every item', async () => {
      const { el } = await loadedPanel(3);
      // Something to Tab to on the page: from the last stop, Firefox moves focus out of the page to
      // its own toolbar, where it stays for the next test files the browser runs.
      const next = document.createElement('button');
      next.textContent = 'After the panel';
      el.after(next);
      items(el)[0]!.focus();
      await sendKeys({ press: 'ArrowDown' });
      await sendKeys({ press: 'Tab' });
      expect(items(el).includes(deepActiveElement() as HTMLButtonElement)).to.equal(false);
    });
  });

  describe('filter and mark all', () => {
    it('filters to unread and back', async () => {
      const { el } = await loadedPanel(2, 3);
      expect(items(el)).to.have.length(5);
      const [all, unread] = parts<HTMLButtonElement>(el, 'filter-option');
      expect(all!.getAttribute('aria-pressed')).to.equal('true');
      unread!.click();
      await el.updateComplete;
      expect(el.filter).to.equal('unread');
      expect(el.getAttribute('filter')).to.equal('unread');
      expect(unread!.getAttribute('aria-pressed')).to.equal('true');
      expect(items(el)).to.have.length(2);
      expect(items(el).every((item) => item.part.contains('item--unread'))).to.equal(true);
      all!.click();
      await el.updateComplete;
      expect(items(el)).to.have.length(5);
    });

    it('shows "all caught up" under the unread filter when nothing is unread', async () => {
      const { el } = await loadedPanel(0, 2);
      el.filter = 'unread';
      await el.updateComplete;
      expect(text(part(el, 'empty'))).to.equal('You are all caught up');
    });

    it('marks all as read, including rows not loaded, and fires wacrm-read with null', async () => {
      const db = new FakeDatabase();
      db.insertMany(7);
      const store = await storeOver(db, { pageSize: 3 });
      const el = await panelOver(store);
      el.style.cssText = 'max-height: 150px';
      expect(store.state.unreadCount).to.equal(7);
      const markAll = part<HTMLButtonElement>(el, 'mark-all')!;
      expect(markAll.disabled).to.equal(false);
      const read = nextEvent(el, 'wacrm-read');
      markAll.click();
      expect((await read).ids).to.equal(null);
      await settle(el);
      expect(db.unread()).to.equal(0);
      expect(store.state.unreadCount).to.equal(0);
      expect(parts(el, 'item--unread')).to.have.length(0);
      expect(markAll.disabled).to.equal(true);
    });
  });

  describe('states', () => {
    it('shows loading while the first page loads', async () => {
      const db = new FakeDatabase();
      db.insertMany(2);
      const hold = gate();
      db.gate = hold.promise;
      const store = await storeOver(db, { load: false });
      const loading = store.sync();
      const el = await panelOver(store);
      expect(text(part(el, 'loading'))).to.equal('Loading notifications…');
      expect(items(el)).to.have.length(0);
      hold.open();
      await loading;
      await el.updateComplete;
      expect(part(el, 'loading')).to.equal(null);
      expect(items(el)).to.have.length(2);
    });

    it('shows the empty state when there is nothing', async () => {
      const { el } = await loadedPanel(0);
      expect(text(part(el, 'empty'))).to.equal('No notifications yet');
      expect(part<HTMLButtonElement>(el, 'mark-all')!.disabled).to.equal(true);
    });

    it('shows signed-out without a user', async () => {
      const db = new FakeDatabase();
      const store = await storeOver(db, { load: false });
      store.reset(null, null);
      const el = await panelOver(store);
      expect(text(part(el, 'signed-out'))).to.equal('Sign in to see your notifications.');
      expect(db.calls).to.deep.equal([]);
    });

    it('shows a failed first load with a retry that works', async () => {
      const db = new FakeDatabase();
      db.insertMany(2);
      db.failReads = permissionDenied();
      const store = await storeOver(db);
      const el = await panelOver(store);
      const error = part(el, 'error')!;
      expect(error.getAttribute('role')).to.equal('alert');
      expect(text(error)).to.contain('The database refused access');
      db.failReads = null;
      part<HTMLButtonElement>(el, 'retry')!.click();
      await waitUntil(() => items(el).length === 2, 'loaded after retry');
      expect(part(el, 'error')).to.equal(null);
    });
  });

  describe('infinite scroll', () => {
    it('loads the next page when the list is scrolled to its end', async () => {
      const db = new FakeDatabase();
      db.insertMany(12);
      const store = await storeOver(db, { pageSize: 5 });
      const el = await fixture<WacrmNotificationPanel>(
        html`<wacrm-notification-panel .store=${store} style="max-height: 220px"></wacrm-notification-panel>`,
      );
      await settle(el);
      expect(items(el), 'only the first page before scrolling').to.have.length(5);
      expect(db.calls.filter((call) => call === 'fetchPage')).to.have.length(1);
      const list = part(el, 'list')!;
      expect(list.scrollHeight).to.be.greaterThan(list.clientHeight);
      list.scrollTop = list.scrollHeight;
      await waitUntil(() => items(el).length === 10, 'the second page');
      await aTimeout(200);
      await settle(el);
      expect(items(el), 'one page per scroll to the end, no more').to.have.length(10);
      list.scrollTop = list.scrollHeight;
      await waitUntil(() => items(el).length === 12, 'the last page');
      await settle(el);
      expect(store.state.hasMore).to.equal(false);
      expect(new Set(items(el).map((item) => item.dataset.id)).size).to.equal(12);
      expect(items(el).map((item) => item.dataset.id)).to.deep.equal(
        [...db.rows].reverse().map((row) => row.id),
      );
    });

    it('keeps loading while the end of a short list is still in view', async () => {
      const db = new FakeDatabase();
      db.insertMany(7);
      const store = await storeOver(db, { pageSize: 2 });
      const el = await panelOver(store);
      await waitUntil(() => items(el).length === 7, 'every page, with nothing to scroll');
      expect(store.state.hasMore).to.equal(false);
    });
  });
});
