// The bell as a user meets it: the badge, its label, opening and closing by mouse and keyboard,
// where the popover lands, and what it announces. Stores come from an in-memory fake.
import { aTimeout, expect, fixture, html, nextFrame, waitUntil } from '@open-wc/testing';
import { resetMouse, sendKeys, sendMouse, setViewport } from '@web/test-runner-commands';
import 'wacrm-notifications/define';
import type { WacrmNotificationBell } from 'wacrm-notifications';
import { FakeDatabase, gate, storeOver } from './support/fake-queries.js';
import { describeElement, focused, nextEvent, panelOf, part, settle, text } from './support/dom.js';

async function bellWith(unread: number, read = 0, attributes = '') {
  const db = new FakeDatabase();
  db.insertMany(read, { read_at: '2026-01-01T00:00:00Z' });
  db.insertMany(unread);
  const store = await storeOver(db);
  const el = await fixture<WacrmNotificationBell>(
    attributes.includes('max-count')
      ? html`<wacrm-notification-bell .store=${store} max-count="9"></wacrm-notification-bell>`
      : html`<wacrm-notification-bell .store=${store}></wacrm-notification-bell>`,
  );
  await settle(el, panelOf(el));
  return { el, db, store };
}

const button = (el: WacrmNotificationBell) => part<HTMLButtonElement>(el, 'button')!;

/**
 * A fixed bell (`position`: its CSS offsets) opened while its first page of `rows` still loads,
 * then loaded: the popover's size when it opened (`small`), and the bell once the list has grown.
 */
async function openedWhileLoading(rows: number, position: string) {
  const db = new FakeDatabase();
  db.insertMany(rows);
  const hold = gate();
  db.gate = hold.promise;
  const store = await storeOver(db, { load: false });
  const loading = store.sync();
  const el = await fixture<WacrmNotificationBell>(
    html`<wacrm-notification-bell .store=${store} style="position: fixed; ${position}"></wacrm-notification-bell>`,
  );
  await el.show();
  const small = part(el, 'popover')!.getBoundingClientRect();
  hold.open();
  await loading;
  await settle(el, panelOf(el));
  await nextFrame();
  return { el, small };
}

describe('<wacrm-notification-bell>', () => {
  afterEach(async () => {
    await resetMouse();
    await setViewport({ width: 800, height: 600 });
  });

  describe('badge and label', () => {
    it('shows the unread count and says it in the label', async () => {
      const { el } = await bellWith(3, 2);
      expect(text(part(el, 'badge'))).to.equal('3');
      expect(button(el).getAttribute('aria-label')).to.equal('Notifications, 3 unread');
    });

    it('hides the badge and says just "Notifications" when nothing is unread', async () => {
      const { el } = await bellWith(0, 2);
      expect(part(el, 'badge')).to.equal(null);
      expect(button(el).getAttribute('aria-label')).to.equal('Notifications');
    });

    it('caps the count at max-count (default 99) with a "+"', async () => {
      const { el } = await bellWith(120);
      expect(text(part(el, 'badge'))).to.equal('99+');
      expect(button(el).getAttribute('aria-label')).to.equal('Notifications, 99+ unread');
      const { el: small } = await bellWith(10, 0, 'max-count');
      expect(text(part(small, 'badge'))).to.equal('9+');
    });

    it('is a button announcing a dialog, collapsed until opened', async () => {
      const { el } = await bellWith(1);
      expect(button(el).localName).to.equal('button');
      expect(button(el).getAttribute('aria-haspopup')).to.equal('dialog');
      expect(button(el).getAttribute('aria-expanded')).to.equal('false');
      await el.show();
      expect(button(el).getAttribute('aria-expanded')).to.equal('true');
    });

    it('fires wacrm-unread-change with the new and previous counts', async () => {
      const { el, store, db } = await bellWith(2);
      const changed = nextEvent(el, 'wacrm-unread-change');
      store.apply({ type: 'INSERT', row: db.insert() });
      const event = await changed;
      expect(event.unreadCount).to.equal(3);
      expect(event.previousCount).to.equal(2);
      await el.updateComplete;
      expect(text(part(el, 'badge'))).to.equal('3');
    });
  });

  describe('opening and closing', () => {
    it('opens on click and reflects the open attribute', async () => {
      const { el } = await bellWith(1);
      const shown = nextEvent(el, 'wacrm-after-show');
      button(el).click();
      await shown;
      expect(el.open).to.equal(true);
      expect(el.hasAttribute('open')).to.equal(true);
      expect(part(el, 'popover')!.matches(':popover-open')).to.equal(true);
      button(el).click();
      await el.updateComplete;
      expect(el.hasAttribute('open')).to.equal(false);
      expect(part(el, 'popover')!.matches(':popover-open')).to.equal(false);
    });

    it('show() and hide() fire show, after-show, hide, after-hide in order and resolve after them', async () => {
      const { el } = await bellWith(1);
      const seen: string[] = [];
      for (const type of ['wacrm-show', 'wacrm-after-show', 'wacrm-hide', 'wacrm-after-hide'] as const) {
        el.addEventListener(type, () => seen.push(type));
      }
      await el.show();
      expect(seen).to.deep.equal(['wacrm-show', 'wacrm-after-show']);
      await el.show(); // already open: nothing more
      await el.hide();
      expect(seen).to.deep.equal(['wacrm-show', 'wacrm-after-show', 'wacrm-hide', 'wacrm-after-hide']);
    });

    it('a bell open in its markup fires show then after-show, and nothing for an initially closed one', async () => {
      const seen: string[] = [];
      const record = (event: Event) => seen.push(`${(event.target as Element).id} ${event.type}`);
      for (const type of ['wacrm-show', 'wacrm-after-show', 'wacrm-hide', 'wacrm-after-hide']) document.addEventListener(type, record);
      try {
        const container = await fixture<HTMLDivElement>(html`<div>
          <wacrm-notification-bell id="opened" open></wacrm-notification-bell>
          <wacrm-notification-bell id="closed"></wacrm-notification-bell>
        </div>`);
        await Promise.all([...container.querySelectorAll('wacrm-notification-bell')].map((bell) => bell.updateComplete));
        expect(seen).to.deep.equal(['opened wacrm-show', 'opened wacrm-after-show']);
      } finally {
        for (const type of ['wacrm-show', 'wacrm-after-show', 'wacrm-hide', 'wacrm-after-hide']) document.removeEventListener(type, record);
      }
    });

    it('moves focus into the panel on open', async () => {
      const { el } = await bellWith(2);
      await el.show();
      expect(focused()).to.equal(describeElement(part(panelOf(el), 'item')));
    });

    it('closes on Escape and returns focus to the bell', async () => {
      const { el } = await bellWith(2);
      button(el).focus();
      await sendKeys({ press: 'Enter' });
      await waitUntil(() => el.open, 'opened by Enter');
      await el.updateComplete;
      const hidden = nextEvent(el, 'wacrm-after-hide');
      await sendKeys({ press: 'Escape' });
      await hidden;
      expect(el.open).to.equal(false);
      expect(focused()).to.equal(describeElement(button(el)));
    });

    it('closes on Escape while focus is back on the bell button', async () => {
      const { el } = await bellWith(2);
      await el.show();
      button(el).focus();
      await sendKeys({ press: 'Escape' });
      await el.updateComplete;
      expect(el.open).to.equal(false);
      expect(focused()).to.equal(describeElement(button(el)));
    });

    it('closes on a click outside, not on a click inside', async () => {
      const { el } = await bellWith(2);
      await el.show();
      const popover = part(el, 'popover')!.getBoundingClientRect();
      await sendMouse({ type: 'click', position: [Math.round(popover.left + 20), Math.round(popover.top + 20)] });
      await el.updateComplete;
      expect(el.open, 'a click in the panel keeps it open').to.equal(true);
      await sendMouse({ type: 'click', position: [Math.round(window.innerWidth / 2), window.innerHeight - 5] });
      await el.updateComplete;
      expect(el.open).to.equal(false);
    });

    it('keeps the popover inside a narrow viewport when the bell sits at the right edge', async () => {
      await setViewport({ width: 360, height: 640 });
      const db = new FakeDatabase();
      db.insertMany(5);
      const store = await storeOver(db);
      const el = await fixture<WacrmNotificationBell>(
        html`<wacrm-notification-bell .store=${store} style="position: fixed; top: 4px; right: 2px"></wacrm-notification-bell>`,
      );
      await el.show();
      const rect = part(el, 'popover')!.getBoundingClientRect();
      expect(rect.width).to.be.greaterThan(200);
      expect(rect.left).to.be.at.least(0);
      expect(rect.right).to.be.at.most(window.innerWidth);
      expect(rect.top).to.be.at.least(button(el).getBoundingClientRect().bottom);
      expect(rect.bottom).to.be.at.most(window.innerHeight);
    });

    it('stays inside the viewport when it grows after opening (opened while loading, at the bottom)', async () => {
      await setViewport({ width: 360, height: 640 });
      // Let the viewport's own resize event pass first: only the growth may move the popover.
      await aTimeout(100);
      const { el, small } = await openedWhileLoading(8, 'bottom: 4px; right: 2px');
      const rect = part(el, 'popover')!.getBoundingClientRect();
      expect(rect.height, 'it grew').to.be.greaterThan(small.height);
      expect(rect.top).to.be.at.least(0);
      expect(rect.bottom).to.be.at.most(button(el).getBoundingClientRect().top);
      expect(rect.right).to.be.at.most(window.innerWidth);
    });

    it('follows the bell when the page scrolls', async () => {
      const db = new FakeDatabase();
      db.insertMany(2);
      const store = await storeOver(db);
      const page = await fixture<HTMLDivElement>(
        html`<div style="height: 3000px; padding-top: 100px"><wacrm-notification-bell .store=${store}></wacrm-notification-bell></div>`,
      );
      const el = page.querySelector('wacrm-notification-bell')!;
      await el.show();
      const gap = () => part(el, 'popover')!.getBoundingClientRect().top - button(el).getBoundingClientRect().bottom;
      const before = gap();
      window.scrollBy(0, 60);
      await nextFrame();
      await nextFrame();
      expect(gap()).to.be.closeTo(before, 1);
      window.scrollTo(0, 0);
    });

    it('keeps the popover inside the viewport when the bell sits at the left edge', async () => {
      await setViewport({ width: 360, height: 640 });
      const { el } = await bellWith(3);
      el.style.cssText = 'position: fixed; top: 4px; left: 2px';
      await el.show();
      const rect = part(el, 'popover')!.getBoundingClientRect();
      expect(rect.left).to.be.at.least(0);
      expect(rect.right).to.be.at.most(window.innerWidth);
    });
  });

  describe('a day of rows coming and going', () => {
    it('rows taken out while the panel is open leave nothing behind in its DOM once the bell closes', async () => {
      const { el, db, store } = await bellWith(3);
      db.onChange = (change) => store.apply(change);
      await el.show();
      const list = part(panelOf(el), 'list')!;
      // Archived elsewhere as they come (each its own render): lit-html leaves comments behind for
      // every row repeat() removes (lit/lit#5298), which the panel drops once no one sees it.
      for (let i = 0; i < 150; i++) {
        const row = db.insert();
        await settle(el);
        db.remove(row.id);
        await el.updateComplete;
      }
      const rows = () => list.querySelectorAll(':scope > [part="row"]').length;
      const nodes = () => list.querySelectorAll('*').length + [...list.childNodes].filter((node) => node.nodeType === Node.COMMENT_NODE).length;
      expect(rows()).to.equal(3);
      await el.hide();
      await waitUntil(() => nodes() < 40 * rows(), `the closed list back to its rows' own nodes (${nodes()} for ${rows()} rows)`, { timeout: 2000 });
      await el.show();
      expect(rows(), 'the rows shown again').to.equal(3);
    });

    it('a burst of arrivals into the open panel is marked seen in a few requests, not one each', async () => {
      const { el, db, store } = await bellWith(2);
      db.onChange = (change) => store.apply(change);
      await el.show();
      await waitUntil(() => db.unseen() === 0, 'the first rows seen as the panel opens');
      const before = db.calls.filter((call) => call === 'markSeen').length;
      // One arrival per task, as realtime messages come.
      for (let i = 0; i < 100; i++) {
        db.insert();
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
      await waitUntil(() => db.unseen() === 0 && store.state.unseenCount === 0, 'every arrival seen', { timeout: 5000 });
      const requests = db.calls.filter((call) => call === 'markSeen').length - before;
      expect(requests, `${requests} mark_notifications_seen requests for 100 arrivals`).to.be.within(1, 20);
    });
  });

  describe('on a small screen', () => {
    /** Whether two rectangles share any area. */
    const overlap = (a: DOMRect, b: DOMRect) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
    const box = (rect: DOMRect) => `${Math.round(rect.left)},${Math.round(rect.top)} ${Math.round(rect.width)}×${Math.round(rect.height)}`;

    /** A bell fixed where `position` says, with 20 notifications: more than any room here holds. */
    async function bellAt(position: string) {
      const db = new FakeDatabase();
      db.insertMany(20);
      const store = await storeOver(db);
      const el = await fixture<WacrmNotificationBell>(
        html`<wacrm-notification-bell .store=${store} style="position: fixed; ${position}"></wacrm-notification-bell>`,
      );
      return { el };
    }

    /**
     * Beside the bell, never over it, inside the viewport, on the side with more room and using it
     * (its 20 items are taller than any room here), its header shown and its list scrolling within.
     */
    function expectBesideTheBell(el: WacrmNotificationBell): void {
      const popover = part(el, 'popover')!.getBoundingClientRect();
      const bell = button(el).getBoundingClientRect();
      const where = `popover ${box(popover)}, bell ${box(bell)}, viewport ${window.innerWidth}×${window.innerHeight}`;
      expect(overlap(popover, bell), `the popover covers the bell: ${where}`).to.equal(false);
      expect(popover.top, where).to.be.at.least(0);
      expect(popover.left, where).to.be.at.least(0);
      expect(popover.bottom, where).to.be.at.most(window.innerHeight);
      expect(popover.right, where).to.be.at.most(window.innerWidth);
      const largerRoom = Math.max(bell.top, window.innerHeight - bell.bottom);
      // Less a few pixels of margin from the bell and the viewport's edge.
      expect(popover.height, `it uses the larger room: ${where}`).to.be.at.least(Math.min(512, largerRoom - 16));
      const header = part(panelOf(el), 'header')!.getBoundingClientRect();
      expect(header.height, 'the header is shown').to.be.greaterThan(0);
      expect(header.top, `the header is inside the popover: ${box(header)}, ${where}`).to.be.at.least(popover.top);
      expect(header.bottom, `the header is inside the popover: ${box(header)}, ${where}`).to.be.at.most(popover.bottom);
      const list = part(panelOf(el), 'list')!;
      expect(list.clientHeight, 'some of the list is shown').to.be.greaterThan(0);
      expect(list.scrollHeight, 'the list scrolls').to.be.greaterThan(list.clientHeight);
      expect(list.getBoundingClientRect().bottom, `the list ends inside the popover: ${where}`).to.be.at.most(popover.bottom + 0.5);
    }

    const places = {
      'at the top-left': 'top: 4px; left: 2px',
      'under a page header': 'top: 150px; left: 2px',
      'at the bottom-right': 'bottom: 4px; right: 2px',
    };
    for (const [width, height] of [
      [360, 640],
      [360, 300],
    ] as const) {
      for (const [name, position] of Object.entries(places)) {
        it(`never covers a bell ${name} of a ${width}×${height} viewport, and its list scrolls inside`, async () => {
          await setViewport({ width, height });
          await aTimeout(100);
          const { el } = await bellAt(position);
          await el.show();
          await nextFrame();
          expectBesideTheBell(el);
        });
      }
    }

    for (const [width, height, name, position] of [
      [360, 300, 'at the top-left', 'top: 4px; left: 2px'],
      [360, 300, 'under a page header', 'top: 150px; left: 2px'],
      [360, 640, 'halfway down', 'top: 350px; left: 2px'],
    ] as const) {
      it(`stays beside a bell ${name} of a ${width}×${height} viewport when its content grows after opening`, async () => {
        await setViewport({ width, height });
        await aTimeout(100);
        const { el, small } = await openedWhileLoading(20, position);
        await nextFrame();
        expect(part(el, 'popover')!.getBoundingClientRect().height, 'it grew, or was held to the room it has').to.be.at.least(small.height);
        expectBesideTheBell(el);
      });
    }

    it('keeps where its list was scrolled to when it is placed again', async () => {
      await setViewport({ width: 360, height: 640 });
      await aTimeout(100);
      const { el } = await bellAt('top: 150px; left: 2px');
      await el.show();
      await nextFrame();
      const list = part(panelOf(el), 'list')!;
      list.scrollTop = list.scrollHeight;
      const scrolled = list.scrollTop;
      expect(scrolled).to.be.greaterThan(0);
      window.dispatchEvent(new Event('resize'));
      await nextFrame();
      expect(list.scrollTop).to.equal(scrolled);
    });

    it('follows the viewport: limited while short, its full height once there is room again', async () => {
      await setViewport({ width: 800, height: 900 });
      await aTimeout(100);
      const { el } = await bellAt('top: 150px; left: 2px');
      await el.show();
      await nextFrame();
      const full = part(el, 'popover')!.getBoundingClientRect().height;
      expect(full, 'the default limit, 32rem').to.be.closeTo(512, 1);
      await setViewport({ width: 360, height: 640 });
      await waitUntil(() => part(el, 'popover')!.getBoundingClientRect().height < full, 'limited on a phone');
      await nextFrame();
      expectBesideTheBell(el);
      await setViewport({ width: 800, height: 900 });
      await waitUntil(() => part(el, 'popover')!.getBoundingClientRect().height === full, 'full height again');
      await nextFrame();
      expectBesideTheBell(el);
      expect(part(el, 'popover')!.getBoundingClientRect().top).to.be.at.least(button(el).getBoundingClientRect().bottom);
    });
  });

  describe('announcements', () => {
    it('announces a new notification in a polite live region', async () => {
      const { el, store, db } = await bellWith(1);
      const region = el.shadowRoot!.querySelector('[aria-live="polite"]')!;
      expect(region).to.exist;
      expect(text(region)).to.equal('');
      const received = nextEvent(el, 'wacrm-receive');
      const row = db.insert({ title: 'Maria assigned you Ana' });
      store.apply({ type: 'INSERT', row });
      expect((await received).notification.id).to.equal(row.id);
      await waitUntil(() => text(region) === 'New notification: Maria assigned you Ana', 'announced');
    });

    it('announces the same words again when a second notification brings them', async () => {
      const { el, store, db } = await bellWith(0);
      const region = el.shadowRoot!.querySelector('[aria-live="polite"]')!;
      const seen: string[] = [];
      new MutationObserver(() => seen.push(text(region))).observe(region, { childList: true, subtree: true, characterData: true });
      store.apply({ type: 'INSERT', row: db.insert({ title: 'Same words' }) });
      await waitUntil(() => text(region) === 'New notification: Same words', 'first announcement');
      store.apply({ type: 'INSERT', row: db.insert({ title: 'Same words' }) });
      await waitUntil(() => seen.filter((words) => words === 'New notification: Same words').length >= 2, 'second announcement');
      expect(seen).to.include('');
    });

    it('does not announce what was already there on load', async () => {
      const { el } = await bellWith(3);
      await aTimeout(20);
      expect(text(el.shadowRoot!.querySelector('[aria-live="polite"]'))).to.equal('');
    });
  });
});
