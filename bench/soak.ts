// A working day in one tab (issue 12, section 3): one Chromium tab with a signed-in bell, open
// through 10,000 notifications and eight hours of simulated time, then closed.
//
//   - The clock: the page's Date and the timers of the code under test run on a controlled clock
//     (bench/soak/instrument.ts, installed before the package loads) moved forward in 20-second
//     jumps between the writes, always once the network is idle; the stand-in's PostgreSQL stamps
//     created_at with a matching offset (bench/soak/sql.ts), so relative times mean simulated
//     time. Auth and Realtime keep real time (their tokens are checked against it; supabase-js
//     dates the expiry on the page's clock and refreshes the token itself, hourly).
//   - The day: notifications spread over it, each its own committed transaction through the real
//     triggers — a teammate assigning a conversation, or a customer writing on one (a new row, or
//     folded into the unread one of that conversation) — delivered over Realtime to the bell. The
//     agent opens the panel every 10 minutes for a minute (what arrives meanwhile is marked seen),
//     reads the newest few and archives a couple; every 15 minutes marks all read and archives
//     what is read, keeping the day's first notification (the witness) to watch its time tick.
//   - Samples every 30 simulated minutes, before the clear-out (the peak) and after it (settled):
//     JS heap after a forced collection (HeapProfiler.collectGarbage, Runtime.getHeapUsage), DOM
//     nodes and listeners (Memory.getDOMCounters, and the page's own count), timers pending and the
//     most pending at once, listeners on window, document and the stores, channels, sockets,
//     BroadcastChannels, Web Locks, observers; the rendered relative times against fresh ones.
//     The first hour is the warm-up: heapGrowthBytes is the last settled sample minus the one at
//     the end of the first hour.
//   - The close: the bell removed (the host stops handing it sessions and forgets it), then one
//     more simulated hour: what is still pending, firing, listening, open or requesting, and
//     whether the bell and its store were collected at all.
//
//   npx tsx bench/soak.ts [--notifications=10000] [--hours=8] [--transport=broadcast]
//                         [--trace] [--heap-snapshot=path]
//   npm run bench -- --only=soak
// --trace follows every notification in the page and prints what happened to any the bell never
// reported; --heap-snapshot writes the page's heap at the end of the day and after the close.
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, CDPSession, Page } from 'puppeteer-core';
import type pg from 'pg';
import { Fixtures, PASSWORD, type Agent } from '../test/support/fixtures.js';
import { startTarget, type Target } from '../test/support/target.js';
import puppeteer from 'puppeteer-core';
import { chromiumArgs, chromiumPath } from '../scripts/chromium.mjs';
import { stopEverything, stopOnSignals, whileRunning } from './cleanup.js';
import { megabytes, milliseconds, now, percentile, round, sleep } from './report.js';
import { startSoakPageServer, type SoakPageServer } from './soak/server.js';
// mulberry32, seeded: the same day every run (the chaos schedules' generator).
import { prng as random } from '../test/browser/chaos/schedule.js';
import { INSTALL_SOAK_CLOCK, REMOVE_SOAK_CLOCK, SET_SOAK_CLOCK } from './soak/sql.js';
import type { ByOrigin, ListenerEntry, Origin } from './soak/instrument.js';
import type { CloseReport, SoakSnapshot } from './soak/session.js';

export interface SoakOptions {
  /** Default 10,000. */
  notifications?: number;
  /** Simulated hours. Default 8. */
  hours?: number;
  transport?: 'postgres_changes' | 'broadcast';
  log?: (line: string) => void;
  errors: string[];
  /**
   * Where to write the page's heap snapshots (to see what keeps a leak alive): `<path>.day.heapsnapshot`
   * at the end of the day, `<path>.closed.heapsnapshot` after the close.
   */
  heapSnapshotPath?: string;
  /** Trace every notification in the page, and print what happened to those never reported. */
  trace?: boolean;
}

export interface SoakSample {
  kind: 'peak' | 'settled';
  simulatedHours: number;
  heapBytes: number;
  /** Chromium's count of live DOM nodes (Memory.getDOMCounters), after the collection. */
  domNodes: number;
  /** Chromium's count of JS event listeners on the page, nodes included. */
  jsEventListeners: number;
  snapshot: SoakSnapshot;
}

export interface SoakFigures {
  notifications: number;
  simulatedHours: number;
  assignments: number;
  messages: number;
  received: number;
  /** Notifications (or messages folded into one) never reported by the bell's wacrm-receive (should be 0). */
  missing: number;
  /** Messages reported by a later arrival of their notification (a catch-up read both): not lost. */
  coalescedArrivals: number;
  /** The same notification reported twice (should be 0). */
  repeatedArrivals: number;
  /** How long after the last write the list and counts took to equal SQL (Realtime in flight). */
  endConvergedMs: number;
  /** The same after each sampled clear-out (mark all read, archive read): median and most. */
  clearConvergedP50Ms: number;
  clearConvergedMaxMs: number;
  /** Requests answered with an error during the day. */
  writeFailures: number;
  tokenRefreshes: number;
  heartbeatTimeouts: number;
  pageErrors: number;
  /** Settled samples (after the clear-out): last minus the first after the warm-up hour. */
  heapGrowthBytes: number;
  heapAfterWarmUpBytes: number;
  heapLastBytes: number;
  heapMaxBytes: number;
  heapBeforeMountBytes: number;
  heapAfterCloseBytes: number;
  domNodesGrowth: number;
  maxDomNodes: number;
  maxItems: number;
  /** Most timers of the code under test pending at once (the host's supabase-js included). */
  maxTimers: number;
  maxTimersFirstHour: number;
  maxTimersLastHour: number;
  /** Listeners on window, document and non-node targets (stores, channels…), most at once. */
  maxListeners: number;
  maxStoreListeners: number;
  maxChannels: number;
  maxSockets: number;
  /** Rendered relative times that differed from a fresh <relative-time> at a sample (should be 0). */
  staleTimes: number;
  timesChecked: number;
  /** List or counts not equal to SQL at the end of the day (0 or more differences). */
  wrongAtEnd: number;
  /** Right after the removal: timers set since the bell was created still pending (one-shots that fire once more), the host's excepted. */
  timersAtClose: number;
  packageTimersAtClose: number;
  /** After one more simulated hour: timers set since the bell was created still pending (re-armed: still running), the host's excepted. */
  timersAfterClose: number;
  timerFiringsAfterClose: number;
  listenersAfterClose: number;
  channelsAfterClose: number;
  socketsAfterClose: number;
  standInSocketsAfterClose: number;
  broadcastChannelsAfterClose: number;
  locksAfterClose: number;
  observersAfterClose: number;
  requestsAfterClose: number;
  domNodesAfterCloseGrowth: number;
  jsEventListenersAfterCloseGrowth: number;
  /** 1 when the removed bell and its store were garbage-collected. */
  bellCollected: number;
  storeCollected: number;
  arrivalP50Ms: number;
  arrivalP95Ms: number;
  arrivalP99Ms: number;
  arrivalMaxMs: number;
  arrivalFirstHourP50Ms: number;
  arrivalLastHourP50Ms: number;
  stepP50Ms: number;
  stepP99Ms: number;
  realSeconds: number;
}

export interface SoakResult {
  figures: SoakFigures;
  samples: SoakSample[];
  /** The witness's relative time at each settled sample. */
  witnessTimes: string[];
  /** What was pending, listening or open after the close, by origin, for the report. */
  afterClose: { atClose: SoakSnapshot; afterHour: SoakSnapshot; firedAfterClose: ByOrigin; requests: string[] };
  findings: string[];
  /** The Chromium the soak ran in. */
  chromium: string;
}

/**
 * Registered once per page when @github/relative-time-element's modules load (its caches follow the
 * browser's language), whichever element loaded them: the page's, not an element's.
 */
const MODULE_LISTENERS: ListenerEntry[] = [{ origin: 'relative-time', target: 'window', type: 'languagechange' }];
const leftListeners = (snapshot: SoakSnapshot) =>
  snapshot.listenersSinceMount.filter(
    (entry) =>
      !NOT_THE_ELEMENTS.includes(entry.origin) &&
      !MODULE_LISTENERS.some((known) => known.origin === entry.origin && known.target === entry.target && known.type === entry.type),
  );

/** The host app's own supabase-js work (its auth client), and the harness: not the elements'. */
const NOT_THE_ELEMENTS: Origin[] = ['supabase-auth', 'harness'];
const counted = (counts: ByOrigin) =>
  Object.entries(counts).reduce((sum, [origin, n]) => (NOT_THE_ELEMENTS.includes(origin as Origin) ? sum : sum + n), 0);
const all = (counts: ByOrigin) => Object.values(counts).reduce((sum, n) => sum + n, 0);
const listeners = (snapshot: SoakSnapshot, count = all) =>
  count(snapshot.probe.windowDocumentListeners) + count(snapshot.probe.otherTargetListeners);
export const describeCounts = (counts: ByOrigin) =>
  Object.entries(counts)
    .map(([origin, n]) => `${origin} ${n}`)
    .join(', ') || 'none';


const MINUTE = 60_000;
/** "Mark all as read" and "archive read" this often (the inbox holds at most this many minutes of arrivals). */
const CLEAR_EVERY_MINUTES = 15;
/** Samples (before and after a clear-out) this often: a multiple of CLEAR_EVERY_MINUTES. */
const SAMPLE_EVERY_MINUTES = 30;
const JUMP_MS = 20_000;
const JUMPS_PER_MINUTE = MINUTE / JUMP_MS;

export async function benchSoak(options: SoakOptions): Promise<SoakResult> {
  const notifications = options.notifications ?? 10_000;
  const hours = options.hours ?? 8;
  const minutes = Math.round(hours * 60);
  const log = options.log ?? (() => undefined);
  const started = now();
  let target: Target | undefined;
  let fixtures: Fixtures | undefined;
  let server: SoakPageServer | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;
  let writer: pg.PoolClient | undefined;
  const unregister = whileRunning(async () => {
    await page?.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
    await target?.stop();
  });
  try {
    log('starting the stand-in (fresh database) and the page server');
    target = await startTarget();
    fixtures = new Fixtures(target);
    server = await startSoakPageServer();
    // Its own Chromium, with puppeteer's network monitoring off: DevTools would otherwise keep
    // every request of the day in the page's process, and the heap would grow by it.
    browser = await puppeteer.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs, networkEnabled: false });

    const accountId = await fixtures.account('Soak');
    const me = await fixtures.agent(accountId, 'Soak Agent');
    const teammate = await fixtures.agent(accountId, 'Rita Teammate');
    const next = random(12);
    const plan = Array.from({ length: notifications }, (_, index) => (index === 0 || next() < 0.55 ? 'assign' : 'message'));
    const conversationIds = await fixtures.conversations(accountId, plan.filter((kind) => kind === 'assign').length);
    await fixtures.db.query(INSTALL_SOAK_CLOCK);
    await fixtures.db.query(SET_SOAK_CLOCK, [me.id, 0]);

    page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(`page error: ${error instanceof Error ? error.message : String(error)}`));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(`console error: ${message.text()}`);
    });
    await page.setViewport({ width: 1280, height: 800 });
    await page.goto(server.url, { waitUntil: 'load' });
    await page.waitForFunction(() => window.wacrmSoak !== undefined, { timeout: 60_000 });
    const cdp = await page.createCDPSession();
    await cdp.send('HeapProfiler.collectGarbage');
    const before = await collected(cdp);

    await page.evaluate((start) => window.wacrmSoak!.start(start), {
      url: target.url,
      anonKey: target.anonKey,
      email: me.email,
      password: PASSWORD,
      transport: options.transport ?? 'postgres_changes',
      trace: options.trace ?? false,
    });
    log(`signed in and live; ${notifications.toLocaleString('en')} notifications over ${hours} simulated hours`);

    writer = await fixtures.db.connect();
    const write = writerFor(writer, me, teammate);
    /** When each notification (arrivalKey) was committed, and when the bell first reported it. */
    const commits = new Map<string, number>();
    const arrivals = new Map<string, number>();
    let repeatedArrivals = 0;
    const drain = async () => {
      for (const { key, at } of await page!.evaluate(() => window.wacrmSoak!.session().drainArrivals())) {
        if (arrivals.has(key)) repeatedArrivals++;
        else arrivals.set(key, at);
      }
    };
    const samples: SoakSample[] = [];
    const stepMs: number[] = [];
    let assigned = 0;
    let messages = 0;
    let aheadMs = 0;
    let written = 0;
    let missing = 0;

    /**
     * Polls until the bell's list (ids in order) and counts equal SQL's, or `limitMs` passed: Realtime
     * delivers the echoes of a write after the write's own answer, by as much as it lags.
     */
    const converge = async (limitMs: number) => {
      const started = now();
      for (;;) {
        const shown = await page!.evaluate(() => {
          const { state } = window.wacrmSoak!.session().bell.activeStore;
          return { ids: state.items.map((item) => item.id), unread: state.unreadCount, unseen: state.unseenCount };
        });
        const { rows: inbox } = await fixtures!.db.query<{ id: string }>(
          `select id from public.notifications where user_id = $1 and archived_at is null order by created_at desc, id desc limit $2`,
          [me.id, Math.max(1, shown.ids.length)],
        );
        const { rows: counts } = await fixtures!.db.query<{ unread: number; unseen: number }>(
          `select count(*) filter (where read_at is null)::int as unread, count(*) filter (where seen_at is null)::int as unseen
           from public.notifications where user_id = $1 and archived_at is null`,
          [me.id],
        );
        const expected = { ids: inbox.map((row) => row.id), ...counts[0]! };
        const ms = now() - started;
        if (JSON.stringify(shown) === JSON.stringify(expected) || ms > limitMs) return { shown, expected, ms, equal: JSON.stringify(shown) === JSON.stringify(expected) };
        await sleep(100);
      }
    };
    const clearConvergedMs: number[] = [];

    const measure = async (kind: SoakSample['kind']): Promise<SoakSample> => {
      await page!.evaluate(() => window.wacrmSoak!.session().settle());
      // Collected first, so that the probes' weak references to what is gone are cleared when they count.
      await cdp.send('HeapProfiler.collectGarbage');
      const snapshot = await page!.evaluate(() => window.wacrmSoak!.session().snapshot());
      const heap = await collected(cdp);
      const sample = { kind, simulatedHours: round(aheadMs / 3_600_000, 2), ...heap, snapshot };
      samples.push(sample);
      return sample;
    };

    for (let minute = 1; minute <= minutes; minute++) {
      const stepStarted = now();
      for (let jump = 0; jump < JUMPS_PER_MINUTE; jump++) {
        aheadMs += JUMP_MS;
        await page.evaluate((ms) => window.wacrmSoak!.session().advance(ms), JUMP_MS);
        await writer.query(SET_SOAK_CLOCK, [me.id, aheadMs]);
        const upTo = Math.round((((minute - 1) * JUMPS_PER_MINUTE + jump + 1) * notifications) / (minutes * JUMPS_PER_MINUTE));
        for (; written < upTo; written++) {
          let key: string;
          if (plan[written] === 'assign' || assigned === 0) {
            key = await write.assign(conversationIds[assigned]!);
            assigned++;
          } else {
            // Customers write on the conversations assigned lately (active chats): some fold.
            const recent = Math.max(0, assigned - 40);
            key = await write.message(conversationIds[recent + Math.floor(next() * (assigned - recent))]!, written);
            messages++;
          }
          commits.set(key, now());
        }
      }
      // One that never comes is counted missing at the end, and not waited for again.
      const arrived = await page.evaluate((count) => window.wacrmSoak!.session().waitForReceived(count), written - missing);
      if (!arrived) {
        missing = written - (await page.evaluate(() => window.wacrmSoak!.session().received));
        log(`${missing} notification(s) did not arrive within 10 s`);
      }
      await drain();

      const sampling = minute % SAMPLE_EVERY_MINUTES === 0;
      if (minute % CLEAR_EVERY_MINUTES === 0) {
        const peak = sampling ? await measure('peak') : undefined;
        if (peak && options.heapSnapshotPath && (minute === 120 || minute === minutes)) {
          await writeHeapSnapshot(cdp, `${options.heapSnapshotPath}.peak-${minute / 60}h.heapsnapshot`);
        }
        await page.evaluate(async () => {
          const session = window.wacrmSoak!.session();
          await session.open();
          await session.clearInbox();
        });
        if (peak) {
          // Settled: the echoes of the clear-out delivered (rows it archived may show again meanwhile).
          clearConvergedMs.push((await converge(10_000)).ms);
          const settled = await measure('settled');
          log(
            `${settled.simulatedHours.toFixed(1)} h: ${written.toLocaleString('en')} written, ${settled.snapshot.received.toLocaleString('en')} received; ` +
              `heap ${megabytes(settled.heapBytes)} (peak ${megabytes(peak.heapBytes)}), ${settled.domNodes.toLocaleString('en')} nodes, ${settled.snapshot.items} items ` +
              `(peak ${peak.domNodes.toLocaleString('en')}, ${peak.snapshot.items} items); timers ${all(settled.snapshot.timers)} ` +
              `(most ${peak.snapshot.timersHighWater}); listeners ${listeners(settled.snapshot)}; ` +
              `witness "${settled.snapshot.witness?.text ?? '?'}"; token refreshes ${settled.snapshot.tokenRefreshes}`,
          );
        }
      }
      // The panel open for a minute every 10: what arrives is marked seen; then a few read, a couple archived.
      if (minute % 10 === 0) await page.evaluate(() => window.wacrmSoak!.session().open());
      if (minute % 10 === 1 && minute > 1) {
        await page.evaluate(async () => {
          const session = window.wacrmSoak!.session();
          await session.readNewest(3);
          await session.archiveOldestRead(2);
          await session.close();
        });
      }
      stepMs.push(now() - stepStarted);
    }

    if (options.heapSnapshotPath) await writeHeapSnapshot(cdp, `${options.heapSnapshotPath}.day.heapsnapshot`);
    // The end of the day: the list and counts against SQL, then the close.
    await page.evaluate(async () => {
      const session = window.wacrmSoak!.session();
      await session.close();
      await session.settle();
    });
    // The list and counts against SQL once Realtime has delivered what is in flight.
    const { shown, expected, ms: convergedMs } = await converge(20_000);
    await drain();
    const wrong: string[] = [];
    if (JSON.stringify(shown.ids) !== JSON.stringify(expected.ids)) {
      const missingIds = expected.ids.filter((id) => !shown.ids.includes(id));
      const extraIds = shown.ids.filter((id) => !expected.ids.includes(id));
      wrong.push(`list: ${shown.ids.length} shown, ${expected.ids.length} in SQL; missing ${missingIds.join(', ') || 'none'}; extra ${extraIds.join(', ') || 'none'}`);
    }
    if (shown.unread !== expected.unread) wrong.push(`unread ${shown.unread}, SQL ${expected.unread}`);
    if (shown.unseen !== expected.unseen) wrong.push(`unseen ${shown.unseen}, SQL ${expected.unseen}`);
    const wrongAtEnd = wrong.length;
    const dayEnd = samples.at(-1)!;

    log('removing the bell; then one more simulated hour');
    const firedBefore = await page.evaluate(() => ({ ...window.wacrmSoakClock!.fired }));
    const close: CloseReport = await page.evaluate(() => window.wacrmSoak!.session().remove());
    for (let minute = 0; minute < 60; minute++) await page.evaluate((ms) => window.wacrmSoak!.session().advance(ms), MINUTE);
    await page.evaluate(() => window.wacrmSoak!.session().settle());
    await cdp.send('HeapProfiler.collectGarbage');
    const afterHour = await page.evaluate(() => window.wacrmSoak!.session().snapshot({ checkTimes: false }));
    const firedAfter = await page.evaluate(() => ({ ...window.wacrmSoakClock!.fired }));
    const firedAfterClose: ByOrigin = {};
    for (const [origin, n] of Object.entries(firedAfter)) {
      const difference = n - (firedBefore[origin as Origin] ?? 0);
      if (difference > 0) firedAfterClose[origin as Origin] = difference;
    }
    await cdp.send('HeapProfiler.collectGarbage');
    const final = await collected(cdp);
    const collectedElements = await page.evaluate(() => window.wacrmSoak!.session().collected());
    if (options.heapSnapshotPath) await writeHeapSnapshot(cdp, `${options.heapSnapshotPath}.closed.heapsnapshot`);
    const requests = await page.evaluate(() => window.wacrmSoak!.session().requestsAfterClose);
    const standInSockets = target.local?.realtimeConnections() ?? Number.NaN;
    options.errors.push(...pageErrors);

    const settled = samples.filter((sample) => sample.kind === 'settled');
    const afterWarmUp = settled.find((sample) => sample.simulatedHours >= 1) ?? settled[0]!;
    const last = settled.at(-1)!;
    // A message folded into a notification is reported by its own arrival, or by a later one of
    // the same notification that holds it (a catch-up that read both shows only the latest): the
    // first arrival holding as many messages or more. In the order written; none when it never came.
    const arrivalsById = new Map<string, { count: number; at: number }[]>();
    for (const [key, at] of arrivals) {
      const [id, count] = key.split('#');
      arrivalsById.set(id!, [...(arrivalsById.get(id!) ?? []), { count: Number(count), at }]);
    }
    let coalesced = 0;
    const latencies = [...commits].map(([key, committed]) => {
      if (arrivals.has(key)) return arrivals.get(key)! - committed;
      const [id, count] = key.split('#');
      const later = (arrivalsById.get(id!) ?? []).filter((arrival) => arrival.count > Number(count)).sort((a, b) => a.at - b.at)[0];
      if (!later) return Number.NaN;
      coalesced++;
      return later.at - committed;
    });
    const lost = [...commits.keys()].filter((_, index) => !Number.isFinite(latencies[index]!));
    const perHour = (hour: number) => {
      const from = Math.floor((hour * latencies.length) / hours);
      const to = Math.floor(((hour + 1) * latencies.length) / hours);
      return percentile(latencies.slice(from, to).filter(Number.isFinite), 50);
    };
    const arrived = latencies.filter(Number.isFinite);
    const highWater = (inHours: (h: number) => boolean) =>
      Math.max(0, ...samples.filter((sample) => inHours(sample.simulatedHours)).map((sample) => sample.snapshot.timersHighWater));
    const witnessTimes = settled.map((sample) => sample.snapshot.witness?.text ?? '');
    const findings: string[] = [];
    const figures: SoakFigures = {
      notifications: written,
      simulatedHours: round(dayEnd.simulatedHours, 2),
      assignments: assigned,
      messages,
      received: dayEnd.snapshot.received,
      missing: lost.length,
      coalescedArrivals: coalesced,
      repeatedArrivals,
      endConvergedMs: round(convergedMs, 0),
      clearConvergedP50Ms: round(percentile(clearConvergedMs, 50), 0),
      clearConvergedMaxMs: round(percentile(clearConvergedMs, 100), 0),
      writeFailures: dayEnd.snapshot.failedRequests.length,
      tokenRefreshes: dayEnd.snapshot.tokenRefreshes,
      heartbeatTimeouts: dayEnd.snapshot.heartbeatTimeouts,
      pageErrors: pageErrors.length,
      heapGrowthBytes: last.heapBytes - afterWarmUp.heapBytes,
      heapAfterWarmUpBytes: afterWarmUp.heapBytes,
      heapLastBytes: last.heapBytes,
      heapMaxBytes: Math.max(...samples.map((sample) => sample.heapBytes)),
      heapBeforeMountBytes: before.heapBytes,
      heapAfterCloseBytes: final.heapBytes,
      domNodesGrowth: last.domNodes - afterWarmUp.domNodes,
      maxDomNodes: Math.max(...samples.map((sample) => sample.domNodes)),
      maxItems: Math.max(...samples.map((sample) => sample.snapshot.items)),
      maxTimers: highWater(() => true),
      maxTimersFirstHour: highWater((h) => h <= 1),
      maxTimersLastHour: highWater((h) => h > hours - 1),
      maxListeners: Math.max(...samples.map((sample) => listeners(sample.snapshot))),
      maxStoreListeners: Math.max(...samples.map((sample) => sample.snapshot.probe.listenersByTarget.NotificationStore ?? 0)),
      maxChannels: Math.max(...samples.map((sample) => sample.snapshot.channels)),
      maxSockets: Math.max(...samples.map((sample) => all(sample.snapshot.probe.webSockets))),
      staleTimes: samples.reduce((sum, sample) => sum + sample.snapshot.staleTimes.length, 0),
      timesChecked: samples.reduce((sum, sample) => sum + sample.snapshot.timesChecked, 0),
      wrongAtEnd,
      timersAtClose: counted(close.atClose.timersSinceMount),
      packageTimersAtClose: close.atClose.timers.package ?? 0,
      timersAfterClose: counted(afterHour.timersSinceMount),
      timerFiringsAfterClose: counted(firedAfterClose),
      listenersAfterClose: leftListeners(afterHour).length,
      channelsAfterClose: afterHour.channels,
      socketsAfterClose: counted(afterHour.probe.webSockets),
      standInSocketsAfterClose: standInSockets,
      broadcastChannelsAfterClose: counted(afterHour.probe.broadcastChannels),
      locksAfterClose: afterHour.locksHeld + afterHour.locksPending,
      observersAfterClose: counted(afterHour.probe.observers),
      requestsAfterClose: requests.length,
      domNodesAfterCloseGrowth: final.domNodes - before.domNodes,
      jsEventListenersAfterCloseGrowth: final.jsEventListeners - before.jsEventListeners,
      bellCollected: collectedElements.bell ? 1 : 0,
      storeCollected: collectedElements.store ? 1 : 0,
      arrivalP50Ms: round(percentile(arrived, 50)),
      arrivalP95Ms: round(percentile(arrived, 95)),
      arrivalP99Ms: round(percentile(arrived, 99)),
      arrivalMaxMs: round(percentile(arrived, 100)),
      arrivalFirstHourP50Ms: round(perHour(0)),
      arrivalLastHourP50Ms: round(perHour(hours - 1)),
      stepP50Ms: round(percentile(stepMs, 50)),
      stepP99Ms: round(percentile(stepMs, 99)),
      realSeconds: round((now() - started) / 1000, 1),
    };
    if (lost.length) {
      findings.push(
        `never reported by wacrm-receive (notification#messages it held): ${lost.slice(0, 10).join(', ')}${lost.length > 10 ? ', …' : ''} ` +
          '(reproduced against the store alone: a message folded into a listed notification while a catch-up read is on its way, the read seeing it — the catch-up reports only rows it did not hold, and the folded event replayed over it moves nothing)',
      );
    }
    if (options.trace) {
      for (const key of lost.slice(0, 5)) {
        const { events, listReads } = await page.evaluate((id) => window.wacrmSoak!.session().traceOf(id), key.split('#')[0]!);
        const from = Number(events[0]?.split(' ')[0] ?? 0) - 2000;
        const to = Number(events.at(-1)?.split(' ')[0] ?? 0) + 2000;
        findings.push(`trace of ${key} (committed at ${new Date(commits.get(key)!).toISOString()}):\n    ${events.join('\n    ')}\n    list reads around it: ${listReads.filter((read) => Number(read.split(' ')[0]) >= from && Number(read.split(' ')[0]) <= to).join('; ') || 'none'}`);
      }
    }
    if (dayEnd.snapshot.errors.length) findings.push(`wacrm-error during the day: ${dayEnd.snapshot.errors.join(', ')}`);
    for (const failure of dayEnd.snapshot.failedRequests) findings.push(`request failed: ${failure}`);
    for (const difference of wrong) findings.push(`at the end of the day, ${difference}`);
    for (const sample of samples) {
      for (const stale of sample.snapshot.staleTimes.slice(0, 3)) {
        findings.push(`at ${sample.simulatedHours} h a relative time showed "${stale.text}" where a fresh one shows "${stale.fresh}" (${stale.createdAt})`);
      }
    }
    const chromium = await browser.version();
    return { figures, samples, witnessTimes, afterClose: { atClose: close.atClose, afterHour, firedAfterClose, requests }, findings, chromium };
  } finally {
    writer?.release();
    await fixtures?.db.query(REMOVE_SOAK_CLOCK).catch(() => undefined);
    await page?.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
    await fixtures?.end();
    await target?.stop();
    unregister();
  }
}

/** JS heap after a forced full collection, and Chromium's DOM counters. */
async function collected(cdp: CDPSession): Promise<{ heapBytes: number; domNodes: number; jsEventListeners: number }> {
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  const { nodes, jsEventListeners } = await cdp.send('Memory.getDOMCounters');
  return { heapBytes: usedSize, domNodes: nodes, jsEventListeners };
}

async function writeHeapSnapshot(cdp: CDPSession, path: string): Promise<void> {
  const chunks: string[] = [];
  const onChunk = ({ chunk }: { chunk: string }) => void chunks.push(chunk);
  cdp.on('HeapProfiler.addHeapSnapshotChunk', onChunk);
  await cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  cdp.off('HeapProfiler.addHeapSnapshotChunk', onChunk);
  await writeFile(path, chunks.join(''));
}

/**
 * One transaction per notification, as Wacrm's API and webhook commit them; each returns the
 * arrivalKey() of what it made (the newest row: only this writer makes the user's notifications),
 * read in the same round trip.
 */
function writerFor(client: pg.PoolClient, me: Agent, teammate: Agent) {
  const claims = client.escapeLiteral(JSON.stringify({ sub: teammate.id, role: 'authenticated' }));
  const newest = `select id::text || '#' || coalesce(data->>'message_count', '1') as key from public.notifications
    where user_id = ${client.escapeLiteral(me.id)} order by created_at desc, id desc limit 1;`;
  const keyOf = (results: pg.QueryResult[] | pg.QueryResult) => {
    const last = Array.isArray(results) ? results.at(-1) : results;
    return (last?.rows[0] as { key?: string } | undefined)?.key ?? 'none';
  };
  return {
    async assign(conversationId: string): Promise<string> {
      return keyOf(
        await client.query(
          `begin; select set_config('request.jwt.claims', ${claims}, true);
           update public.conversations set assigned_agent_id = ${client.escapeLiteral(me.id)} where id = ${client.escapeLiteral(conversationId)};
           commit; ${newest}`,
        ),
      );
    },
    async message(conversationId: string, index: number): Promise<string> {
      const text = `Message ${index}: ${'is my order on its way? '.repeat(1 + (index % 4))}`.trim();
      return keyOf(
        await client.query(
          `insert into public.messages (conversation_id, sender_type, content_type, content_text)
           values (${client.escapeLiteral(conversationId)}, 'customer', 'text', ${client.escapeLiteral(text)}); ${newest}`,
        ),
      );
    },
  };
}

// ---------------------------------------------------------------- the report, and running alone

/** The figures as lines, each with what to read it against: for a run of this file alone and for bench/run.ts's log. */
export function describeSoak(result: SoakResult): string[] {
  const f = result.figures;
  const settled = result.samples.filter((sample) => sample.kind === 'settled');
  const peaks = result.samples.filter((sample) => sample.kind === 'peak');
  const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(2);
  const { atClose, afterHour, firedAfterClose, requests } = result.afterClose;
  const left = afterHour.listenersSinceMount.map((entry) => `${entry.target} ${entry.type} (${entry.origin})`);
  return [
    `${f.notifications.toLocaleString('en')} notifications (${f.assignments} assignments, ${f.messages} customer messages) over ${f.simulatedHours} simulated hours in ${f.realSeconds} s`,
    `delivered: ${f.received.toLocaleString('en')} wacrm-receive, ${f.missing} never reported, ${f.coalescedArrivals} more reported only within a later arrival of their notification, ${f.repeatedArrivals} twice; list and counts equal SQL ${f.wrongAtEnd ? `NOT (${f.wrongAtEnd} differences)` : 'yes'}, ${milliseconds(f.endConvergedMs)} after the last write`,
    `after a clear-out (mark all read, archive read) the list equals SQL again after ${milliseconds(f.clearConvergedP50Ms)} (median; most ${milliseconds(f.clearConvergedMaxMs)}): the echoes of earlier writes arriving meanwhile show archived rows again`,
    `commit → wacrm-receive p50 / p95 / p99 / max ${milliseconds(f.arrivalP50Ms)} / ${milliseconds(f.arrivalP95Ms)} / ${milliseconds(f.arrivalP99Ms)} / ${milliseconds(f.arrivalMaxMs)}; p50 first hour ${milliseconds(f.arrivalFirstHourP50Ms)}, last hour ${milliseconds(f.arrivalLastHourP50Ms)}`,
    `token refreshes ${f.tokenRefreshes}, heartbeat timeouts ${f.heartbeatTimeouts}, failed requests ${f.writeFailures}, page errors ${f.pageErrors}; a simulated minute took ${milliseconds(f.stepP50Ms)} (p99 ${milliseconds(f.stepP99Ms)})`,
    `heap after GC, settled (inbox cleared) every ${SAMPLE_EVERY_MINUTES} min, MiB: ${settled.map((sample) => mib(sample.heapBytes)).join(' ')}`,
    `  growth after the warm-up hour ${(f.heapGrowthBytes / 1024).toFixed(0)} KiB (${mib(f.heapAfterWarmUpBytes)} → ${mib(f.heapLastBytes)} MiB)`,
    `heap after GC, peak (before the clear-out), MiB: ${peaks.map((sample) => mib(sample.heapBytes)).join(' ')}`,
    `DOM nodes, settled: ${settled.map((sample) => sample.domNodes).join(' ')}; peak: ${peaks.map((sample) => sample.domNodes).join(' ')} (most ${f.maxItems} items listed)`,
    `timers pending at once, most: ${f.maxTimers} (first hour ${f.maxTimersFirstHour}, last hour ${f.maxTimersLastHour}); listeners on window, document, stores and channels, most: ${f.maxListeners} (on stores ${f.maxStoreListeners}); channels ${f.maxChannels}; sockets ${f.maxSockets}`,
    `relative times: ${f.staleTimes} stale of ${f.timesChecked} checked; the day's first notification, hourly: ${settled.filter((_, index) => index % 2 === 1).map((sample) => sample.snapshot.witness?.text ?? '(not listed)').join(' → ')}`,
    `list reads (GET notifications) ${settled.at(-1)?.snapshot.requests['GET notifications'] ?? 0}; all requests: ${Object.entries(settled.at(-1)?.snapshot.requests ?? {}).map(([kind, n]) => `${kind} ${n}`).join(', ')}`,
    `at close: timers set since the bell was created ${describeCounts(atClose.timersSinceMount)}; one simulated hour later: ${describeCounts(afterHour.timersSinceMount)} (fired meanwhile: ${describeCounts(firedAfterClose)}); the host's own: ${describeCounts(afterHour.timers)}`,
    `after close: listeners registered since the bell was created ${left.join(', ') || 'none'}; channels ${f.channelsAfterClose}; sockets ${f.socketsAfterClose} (stand-in ${f.standInSocketsAfterClose}); BroadcastChannels ${f.broadcastChannelsAfterClose}; Web Locks ${f.locksAfterClose}; observers ${f.observersAfterClose}; requests ${requests.length ? requests.join(', ') : 'none'}`,
    `after close, against the page before the bell: DOM nodes ${f.domNodesAfterCloseGrowth >= 0 ? '+' : ''}${f.domNodesAfterCloseGrowth}, JS listeners ${f.jsEventListenersAfterCloseGrowth >= 0 ? '+' : ''}${f.jsEventListenersAfterCloseGrowth}, heap ${mib(f.heapBeforeMountBytes)} → ${mib(f.heapAfterCloseBytes)} MiB; bell collected ${f.bellCollected ? 'yes' : 'NO'}, store collected ${f.storeCollected ? 'yes' : 'NO'}`,
    ...result.findings.map((finding) => `finding: ${finding}`),
  ];
}

function argument(name: string): string | undefined {
  return process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  stopOnSignals();
  const errors: string[] = [];
  try {
    const result = await benchSoak({
      notifications: Number(argument('notifications') ?? 10_000),
      hours: Number(argument('hours') ?? 8),
      transport: argument('transport') === 'broadcast' ? 'broadcast' : 'postgres_changes',
      heapSnapshotPath: argument('heap-snapshot'),
      trace: process.argv.includes('--trace'),
      log: (line) => console.error(`soak: ${line}`),
      errors,
    });
    console.log(describeSoak(result).join('\n'));
    if (errors.length) console.log(`page errors:\n  ${[...new Set(errors)].join('\n  ')}`);
  } finally {
    await stopEverything();
  }
}
