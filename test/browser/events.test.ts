// The public events as a host page sees them when the store changes many times in a row: one
// `wacrm-unread-change` per frame, saying what the badge shows.
import { expect, fixture, html, nextFrame } from '@open-wc/testing';
import 'wacrm-notifications/define';
import type { UnreadChangeEvent, WacrmNotificationBell } from 'wacrm-notifications';
import { FakeDatabase, storeOver } from './support/fake-queries.js';
import { part, settle, text } from './support/dom.js';

/** The next task, through a message channel: what a WebSocket message is. */
const nextTask = () =>
  new Promise<void>((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });

describe('events', () => {
  it('a burst of realtime updates (mark all read in another tab) is one wacrm-unread-change', async () => {
    const db = new FakeDatabase();
    const rows = db.insertMany(8);
    const store = await storeOver(db);
    const bell = await fixture<WacrmNotificationBell>(html`<wacrm-notification-bell .store=${store}></wacrm-notification-bell>`);
    await settle(bell);
    const seen: [number, number][] = [];
    bell.addEventListener('wacrm-unread-change', (event: UnreadChangeEvent) => seen.push([event.unreadCount, event.previousCount]));
    // One realtime message per row, each its own task, as a socket delivers them (a message task,
    // not a timer: timers are clamped to 4 ms when nested).
    // Frames that begin during the burst: each may report the count reached so far.
    let frames = 0;
    let counting = true;
    const countFrames = () => {
      frames++;
      if (counting) requestAnimationFrame(countFrames);
    };
    requestAnimationFrame(countFrames);
    for (const row of rows) {
      await nextTask();
      store.apply({ type: 'UPDATE', row: { ...row, read_at: new Date().toISOString() }, previous: { read_at: null, seen_at: null, archived_at: null } });
    }
    counting = false;
    const framesDuringBurst = frames;
    await nextFrame();
    await nextFrame();
    // Not one per row: one per frame at most (usually one in all; a busy machine fits frames inside the burst).
    expect(seen.length, `${JSON.stringify(seen)} over ${framesDuringBurst} frames`).to.be.within(1, Math.min(rows.length - 1, framesDuringBurst + 1));
    expect(seen[0]![1], 'from the count before').to.equal(8);
    expect(seen.at(-1)![0], 'to the count after').to.equal(0);
    for (let i = 1; i < seen.length; i++) expect(seen[i]![1], 'each from the last one reported').to.equal(seen[i - 1]![0]);
    await settle(bell);
    expect(part(bell, 'badge'), 'no badge at 0').to.equal(null);

    // A single change later is reported on its own.
    store.apply({ type: 'INSERT', row: db.insert() });
    await nextFrame();
    await nextFrame();
    expect(seen.at(-1)).to.deep.equal([1, 0]);
    await settle(bell);
    expect(text(part(bell, 'badge'))).to.equal('1');
  });
});
