// `npm run bench`: every figure of issues 6, 10 and 11 in one table, each beside its goal, and
// bench/results.json (numbers, the run's size and the machine). Parts run one after another, never
// side by side, so that none measures another's load: bundle, database, the notification types'
// triggers and counts (bench/triggers.ts), fan-out, the two transports
// (statements per notification, fan-out at 5,000), then Chromium (end to end on both transports,
// tab sharing, rendering), then the soak: a working day in one tab (bench/soak.ts, issue 12 §3).
//   npm run bench                      everything (about 6 to 9 minutes on 2 cores, 3 to 4 of them the soak)
//   npm run bench -- --only=e2e,render only those parts: bundle, db, triggers, fanout, transport, e2e, tabs, render, soak
import type { Browser } from 'puppeteer-core';
import { benchBundle, NotBuilt, type BundleFigures } from './bundle.js';
import { launchChromium, startBenchPageServer, type BenchPageServer } from './browser.js';
import { stopEverything, stopOnSignals, whileRunning } from './cleanup.js';
import { benchDatabase, DATABASE_GOALS, type DatabaseFigures } from './database.js';
import { benchEndToEnd, type EndToEndFigures } from './e2e-latency.js';
import { benchFanout, type FanoutFigures } from './fanout.js';
import { benchRender, type RenderFigures } from './render.js';
import { benchSoak, describeSoak, type SoakResult } from './soak.js';
import { benchTabs, type TabsFigures } from './tabs.js';
import { benchTriggers, TRIGGER_GOALS, type TriggerBenchResult } from './triggers.js';
import { benchTransport, type StatementCount, type TransportFigures } from './transport.js';
import {
  formatTable,
  kilobytes,
  machine,
  megabytes,
  milliseconds,
  now,
  setDotted,
  setPath,
  verdict,
  writeResults,
  type Figures,
  type Goal,
  type Results,
  type Row,
} from './report.js';

const PARTS = ['bundle', 'db', 'triggers', 'fanout', 'transport', 'e2e', 'tabs', 'render', 'soak'] as const;
type Part = (typeof PARTS)[number];

const GOALS = {
  // Counted as test/dist and bundle-size tools count it: 1 KB = 1,024 bytes.
  cdnGzip: { text: 'under 25 KB gzip (25,600 B)', limit: 25 * 1024 },
  badgeP50: { text: 'p50 under 15 ms', limit: 15 },
  exact: { text: 'none lost, badge = SQL', limit: 1 },
  delivered: { text: 'all delivered', limit: 1, atLeast: true },
  fanoutP99: { text: 'p99 under 250 ms', limit: 250 },
  unreadCount: { text: DATABASE_GOALS['db.unreadCountMs'].text, limit: DATABASE_GOALS['db.unreadCountMs'].limit },
  trigger: { text: DATABASE_GOALS['db.triggerOverheadRatio'].text, limit: DATABASE_GOALS['db.triggerOverheadRatio'].limit },
  messageTrigger: { text: TRIGGER_GOALS['triggers.messageOverRatio'].text, limit: TRIGGER_GOALS['triggers.messageOverRatio'].limit },
  typeCount: { text: TRIGGER_GOALS['counts.unreadMs'].text, limit: TRIGGER_GOALS['counts.unreadMs'].limit },
  open1000: { text: 'under 50 ms', limit: 50 },
  total: { text: 'under 10 min', limit: 600 },
  // Statements per notification at the largest size minus at the smallest: 0 when independent.
  independent: { text: 'the same at 10, 100 and 1,000 users', limit: 0.5 },
  fanout5000: { text: 'all delivered at 5,000', limit: 1, atLeast: true },
  // |sockets − 1| + |tabs with a socket − 1|: 0 when exactly one socket serves them.
  oneSocket: { text: 'one socket for 5 tabs', limit: 0.5 },
  tabLag: { text: 'every tab within 100 ms of the leader', limit: 100 },
  // The soak: bounded over a working day, nothing left once closed.
  soakHeap: { text: 'under 2 MiB after the warm-up hour', limit: 2 * 1024 * 1024 },
  soakTimers: { text: 'at most 15 pending at once', limit: 16 },
  soakNodes: { text: 'under 1,000 more after the warm-up hour', limit: 1000 },
  soakExact: { text: 'none lost, list = SQL at the end', limit: 1 },
  soakTicking: { text: 'no relative time stale', limit: 1 },
  soakClosed: { text: '0', limit: 0.5 },
} satisfies Record<string, Goal>;

const onlyArgument = process.argv.find((argument) => argument.startsWith('--only='));
const selected = new Set<Part>(
  onlyArgument ? (onlyArgument.slice('--only='.length).split(',').filter((part) => PARTS.includes(part as Part)) as Part[]) : PARTS,
);

const started = now();
const elapsed = () => `${((now() - started) / 1000).toFixed(0).padStart(4)} s`;
const log = (part: string) => (line: string) => console.error(`[${elapsed()}] ${part}: ${line}`);

const figures: Figures = {};
const size: Record<string, number> = {};
const rows: Row[] = [];
const skipped: Record<string, string> = {};
const findings: string[] = [];
const goals: Results['goals'] = {};
let failed = false;

/** A row of the table; with a goal, also an entry of results.json's `goals` under `key`. */
function row(section: string, label: string, value: string, check?: { key: string; value: number; goal: Goal }): void {
  const entry: Row = { section, label, value, ...(check ? { checked: check.value, goal: check.goal } : {}) };
  rows.push(entry);
  if (check) goals[check.key] = { goal: check.goal.text, pass: verdict(entry) === 'pass' };
}

function set(section: string, values: Record<string, number>): void {
  for (const [key, value] of Object.entries(values)) setDotted(figures, `${section}.${key}`, value);
}

const triple = (a: number, b: number, c: number) => `${milliseconds(a)} / ${milliseconds(b)} / ${milliseconds(c)}`;

async function part<T>(name: Part, title: string, run: () => Promise<T>): Promise<T | undefined> {
  if (!selected.has(name)) {
    skipped[name] = 'not selected (--only)';
    return undefined;
  }
  const partStarted = now();
  log(name)(`${title}...`);
  try {
    const result = await run();
    size[`seconds.${name}`] = Math.round((now() - partStarted) / 100) / 10;
    log(name)(`done in ${size[`seconds.${name}`]} s`);
    return result;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    skipped[name] = message;
    if (!(error instanceof NotBuilt)) {
      failed = true;
      console.error(`[${elapsed()}] ${name}: FAILED\n${error instanceof Error ? error.stack : message}`);
    } else log(name)(message);
    return undefined;
  }
}

// ---------------------------------------------------------------- the parts

function reportBundle(bundle: BundleFigures | undefined): void {
  if (!bundle) {
    if (selected.has('bundle')) row('Bundle', 'CDN / all-in-one / our code alone', skipped.bundle?.startsWith('not built') ? 'not built' : 'failed');
    return;
  }
  set('bundle', { ...bundle });
  const sizes = (min: number, gzip: number, brotli: number) => `${kilobytes(gzip)} gzip · ${kilobytes(brotli)} br · ${kilobytes(min)} min`;
  row('Bundle', 'CDN file (supabase-js not included)', sizes(bundle.cdnBytes, bundle.cdnGzipBytes, bundle.cdnBrotliBytes), {
    key: 'bundle.cdnGzipBytes',
    value: bundle.cdnGzipBytes,
    goal: GOALS.cdnGzip,
  });
  row('Bundle', 'all-in-one file (with supabase-js)', sizes(bundle.allInOneBytes, bundle.allInOneGzipBytes, bundle.allInOneBrotliBytes));
  row('Bundle', 'our code alone (lit, @lit/context, relative-time external)', sizes(bundle.ownBytes, bundle.ownGzipBytes, bundle.ownBrotliBytes));
}

function reportEndToEnd(e2e: EndToEndFigures | undefined): void {
  if (!e2e) return;
  const d = (prefix: string, distribution: EndToEndFigures['badge']) => ({
    [`${prefix}P50Ms`]: distribution.p50,
    [`${prefix}P95Ms`]: distribution.p95,
    [`${prefix}P99Ms`]: distribution.p99,
    [`${prefix}MaxMs`]: distribution.max,
  });
  set('latency', {
    assignments: e2e.assignments,
    ...d('badge', e2e.badge),
    ...d('entry', e2e.entry),
    ...d('badgePanelOpen', e2e.badgePanelOpen),
    ...d('badgePageClock', e2e.badgePageClock),
    ...d('entryPageClock', e2e.entryPageClock),
    clockUncertaintyMs: e2e.clockUncertaintyMs,
    missing: e2e.missing,
    wrongEntries: e2e.wrongEntries,
    finalUnreadInDatabase: e2e.finalUnreadInDatabase,
  });
  size['latency.assignmentsPerPhase'] = e2e.assignments;
  size['latency.warmUpPerPhase'] = e2e.warmUp;
  size['latency.gapMs'] = e2e.gapMs;
  const n = e2e.assignments;
  row('End to end', `commit → badge text, panel closed (p50 / p95 / p99 of ${n})`, triple(e2e.badge.p50, e2e.badge.p95, e2e.badge.p99), {
    key: 'latency.badgeP50Ms',
    value: e2e.badge.p50,
    goal: GOALS.badgeP50,
  });
  row('End to end', `commit → new panel entry, panel open (p50 / p95 / p99 of ${n})`, triple(e2e.entry.p50, e2e.entry.p95, e2e.entry.p99));
  row('End to end', '  badge, page clock (lower estimate; ± clock offset)', `${triple(e2e.badgePageClock.p50, e2e.badgePageClock.p95, e2e.badgePageClock.p99)} (± ${e2e.clockUncertaintyMs} ms)`);
  const exact = `${e2e.finalBadge}` === String(e2e.finalUnreadInDatabase);
  row(
    'End to end',
    'missed arrivals / wrong entries / badge vs SQL',
    `${e2e.missing} / ${e2e.wrongEntries} / "${e2e.finalBadge}" vs ${e2e.finalUnreadInDatabase}`,
    { key: 'latency.exact', value: e2e.missing + e2e.wrongEntries + (exact ? 0 : 1), goal: GOALS.exact },
  );
}

function reportFanout(fanout: FanoutFigures | undefined): void {
  if (!fanout) return;
  set('fanout', { ...fanout });
  size['fanout.clients'] = fanout.clients;
  size['fanout.assignments'] = fanout.assignments;
  row(
    'Fan-out',
    `delivered, ${fanout.clients} clients of distinct users, ${fanout.assignments} assignments at ${fanout.ratePerSecond}/s`,
    `${fanout.delivered}/${fanout.assignments} (${(fanout.deliveredRatio * 100).toFixed(1)} %)${fanout.wrongOwner ? `, ${fanout.wrongOwner} to the wrong user!` : ''}`,
    { key: 'fanout.deliveredRatio', value: fanout.wrongOwner ? 0 : fanout.deliveredRatio, goal: GOALS.delivered },
  );
  row('Fan-out', 'commit → callback (p50 / p95 / p99)', triple(fanout.p50Ms, fanout.p95Ms, fanout.p99Ms), {
    key: 'fanout.p99Ms',
    value: fanout.p99Ms,
    goal: GOALS.fanoutP99,
  });
  row('Fan-out', 'stand-in peak memory: RSS / V8 heap (idle RSS)', `${megabytes(fanout.standInPeakRssBytes)} / ${megabytes(fanout.standInPeakHeapBytes)} (${megabytes(fanout.standInIdleRssBytes)})`);
}

function reportDatabase(db: DatabaseFigures | undefined): void {
  if (!db) return;
  const n = db.numbers;
  for (const [key, value] of Object.entries(n)) setDotted(figures, key, value);
  size['db.rows'] = n['db.rows'];
  size['db.users'] = n['db.users'];
  size['db.readRuns'] = n['db.readRuns'];
  size['db.triggerUpdates'] = n['db.triggerUpdates'];
  findings.push(...db.findings.map((finding) => `database: ${finding}`));
  const scale = `${n['db.rows'].toLocaleString('en')} rows, ${n['db.users'].toLocaleString('en')} users`;
  row('Database', `unread count, server (median / p95 / p99; ${scale})`, triple(n['db.unreadCountMs'], n['db.unreadCountP95Ms'], n['db.unreadCountP99Ms']), {
    key: 'db.unreadCountMs',
    value: n['db.unreadCountMs'],
    goal: GOALS.unreadCount,
  });
  row('Database', 'unread count, round trip (median / p95 / p99)', triple(n['db.unreadCountRoundTripMs'], n['db.unreadCountRoundTripP95Ms'], n['db.unreadCountRoundTripP99Ms']));
  row('Database', 'first page (21 rows), server (median / p95 / p99)', triple(n['db.firstPageMs'], n['db.firstPageP95Ms'], n['db.firstPageP99Ms']));
  row('Database', 'first page, round trip (median / p95 / p99)', triple(n['db.firstPageRoundTripMs'], n['db.firstPageRoundTripP95Ms'], n['db.firstPageRoundTripP99Ms']));
  row(
    'Database',
    'assignment trigger overhead, server (on / off)',
    `${n['db.triggerOverheadRatio']}× (${milliseconds(n['db.assignUpdateMs'])} / ${milliseconds(n['db.assignUpdateNoTriggerMs'])})`,
    { key: 'db.triggerOverheadRatio', value: n['db.triggerOverheadRatio'], goal: GOALS.trigger },
  );
  row('Database', '  same, whole transaction as a round trip', `${n['db.triggerOverheadRatioRoundTrip']}×`);
  row(
    'Database',
    '  with the broadcast migration too (its trigger adds)',
    `${n['db.triggerOverheadRatioWithBroadcast']}× (+${milliseconds(n['db.broadcastTriggerAddedMs'])})`,
  );
}

function reportTriggers(result: TriggerBenchResult | undefined): void {
  if (!result) return;
  const { triggers: t, counts: c } = result.figures;
  set('triggers', { ...t });
  set('counts', { ...c });
  size['triggers.writesPerVariant'] = t.writesPerVariant;
  size['counts.rows'] = c.rows;
  size['counts.runs'] = c.runs;
  findings.push(...result.findings.map((finding) => `triggers: ${finding}`));
  const scale = `${c.rows.toLocaleString('en')} rows, ${c.users.toLocaleString('en')} users`;
  row('Types', `unread count (not archived), server (median / p95 / p99; ${scale})`, triple(c.unreadMs, c.unreadP95Ms, c.unreadP99Ms), {
    key: 'counts.unreadMs',
    value: c.unreadMs,
    goal: GOALS.typeCount,
  });
  row('Types', 'unseen count (not archived), server (median / p95 / p99)', triple(c.unseenMs, c.unseenP95Ms, c.unseenP99Ms), {
    key: 'counts.unseenMs',
    value: c.unseenMs,
    goal: GOALS.typeCount,
  });
  row('Types', 'inbox / archive first page, server (median)', `${milliseconds(c.inboxFirstPageMs)} / ${milliseconds(c.archivedFirstPageMs)}`);
  row('Types', 'assignment (admin): trigger on / off (median / p95 / p99)', `${triple(t.assignOnMs, t.assignOnP95Ms, t.assignOnP99Ms)} | ${triple(t.assignOffMs, t.assignOffP95Ms, t.assignOffP99Ms)}`);
  row('Types', 'inbound message (service role): new row / folded / trigger off (median)', `${milliseconds(t.messageInsertOnMs)} / ${milliseconds(t.messageCoalesceOnMs)} / ${milliseconds(t.messageOffMs)}`);
  row('Types', '  p95 / p99: new row | folded', `${milliseconds(t.messageInsertOnP95Ms)} / ${milliseconds(t.messageInsertOnP99Ms)} | ${milliseconds(t.messageCoalesceOnP95Ms)} / ${milliseconds(t.messageCoalesceOnP99Ms)}`);
  row(
    'Types',
    'message trigger adds ÷ assignment trigger adds: new row / folded',
    `${t.messageInsertRatio}× / ${t.messageCoalesceRatio}× (+${milliseconds(t.messageInsertAddedMs)} / +${milliseconds(t.messageCoalesceAddedMs)} vs +${milliseconds(t.assignAddedMs)})`,
    { key: 'triggers.messageOverRatio', value: t.messageOverRatio, goal: GOALS.messageTrigger },
  );
}

function reportRender(render: RenderFigures | undefined): void {
  if (!render) return;
  set('render', { ...render });
  size['render.items'] = render.items;
  size['render.runs'] = render.runs;
  row('Rendering', `open panel, 20 items (to first frame; median of ${render.runs})`, `${milliseconds(render.open20Ms)} (show() ${milliseconds(render.open20ShownMs)})`);
  row('Rendering', `open panel, ${render.items} items (to first frame; median of ${render.runs})`, `${milliseconds(render.open1000Ms)} (show() ${milliseconds(render.open1000ShownMs)}; p95 ${milliseconds(render.open1000P95Ms)})`, {
    key: 'render.open1000Ms',
    value: render.open1000Ms,
    goal: GOALS.open1000,
  });
  row('Rendering', `new bell with ${render.items} items, mounted and opened`, milliseconds(render.mountOpen1000Ms));
  row('Rendering', `paging through ${render.items} items by scrolling (${render.pages} pages)`, milliseconds(render.pageThroughMs));
  row('Rendering', 'JS heap after GC: first page / after 1,000 (DOM nodes)', `${megabytes(render.heapFirstPageBytes)} / ${megabytes(render.heapAfter1000Bytes)} (${render.domNodesAfter1000.toLocaleString('en')})`);
}

function reportSoak(soak: SoakResult | undefined): void {
  if (!soak) return;
  const f = soak.figures;
  set('soak', { ...f });
  size['soak.notifications'] = f.notifications;
  size['soak.simulatedHours'] = f.simulatedHours;
  findings.push(...soak.findings.map((finding) => `soak: ${finding}`));
  const scale = `${f.notifications.toLocaleString('en')} notifications, ${f.simulatedHours} simulated hours`;
  row('Soak', `heap after GC: growth after the warm-up hour (${scale})`, `${(f.heapGrowthBytes / 1024).toFixed(0)} KiB (${megabytes(f.heapAfterWarmUpBytes)} → ${megabytes(f.heapLastBytes)}; most ${megabytes(f.heapMaxBytes)})`, {
    key: 'soak.heapGrowthBytes',
    value: f.heapGrowthBytes,
    goal: GOALS.soakHeap,
  });
  row('Soak', 'DOM nodes after GC: growth after the warm-up hour (most, with the list full)', `${f.domNodesGrowth} (${f.maxDomNodes.toLocaleString('en')} with ${f.maxItems} items)`, {
    key: 'soak.domNodesGrowth',
    value: f.domNodesGrowth,
    goal: GOALS.soakNodes,
  });
  row('Soak', 'timers pending at once, most (first hour / last hour)', `${f.maxTimers} (${f.maxTimersFirstHour} / ${f.maxTimersLastHour})`, {
    key: 'soak.maxTimers',
    value: f.maxTimers,
    goal: GOALS.soakTimers,
  });
  row('Soak', 'listeners on window, document, stores; channels; sockets (most)', `${f.maxListeners} (stores ${f.maxStoreListeners}); ${f.maxChannels}; ${f.maxSockets}`);
  row('Soak', 'commit → wacrm-receive (p50 / p95 / p99); p50 first hour | last hour', `${triple(f.arrivalP50Ms, f.arrivalP95Ms, f.arrivalP99Ms)}; ${milliseconds(f.arrivalFirstHourP50Ms)} | ${milliseconds(f.arrivalLastHourP50Ms)}`);
  row('Soak', 'never reported / list or counts ≠ SQL at the end', `${f.missing} / ${f.wrongAtEnd}`, {
    key: 'soak.exact',
    value: f.missing + f.wrongAtEnd,
    goal: GOALS.soakExact,
  });
  row('Soak', `relative times stale (of ${f.timesChecked} checked); the first notification at the end`, `${f.staleTimes}; "${soak.witnessTimes.at(-1) ?? ''}"`, {
    key: 'soak.staleTimes',
    value: f.staleTimes,
    goal: GOALS.soakTicking,
  });
  row('Soak', 'token refreshes (supabase-js, hourly); heartbeat timeouts; failed writes', `${f.tokenRefreshes}; ${f.heartbeatTimeouts}; ${f.writeFailures}`);
  row('Soak', 'after close, one simulated hour on: timers still pending (at close, one-shots)', `${f.timersAfterClose} (${f.timersAtClose})`, {
    key: 'soak.timersAfterClose',
    value: f.timersAfterClose,
    goal: GOALS.soakClosed,
  });
  row('Soak', '  listeners left on window, document, stores, channels', String(f.listenersAfterClose), {
    key: 'soak.listenersAfterClose',
    value: f.listenersAfterClose,
    goal: GOALS.soakClosed,
  });
  row('Soak', '  channels (client.getChannels())', String(f.channelsAfterClose), {
    key: 'soak.channelsAfterClose',
    value: f.channelsAfterClose,
    goal: GOALS.soakClosed,
  });
  row(
    'Soak',
    '  sockets (page / stand-in); BroadcastChannels; locks; observers; requests',
    `${f.socketsAfterClose} / ${f.standInSocketsAfterClose}; ${f.broadcastChannelsAfterClose}; ${f.locksAfterClose}; ${f.observersAfterClose}; ${f.requestsAfterClose}`,
    {
      key: 'soak.othersAfterClose',
      value: f.socketsAfterClose + f.broadcastChannelsAfterClose + f.locksAfterClose + f.observersAfterClose + f.requestsAfterClose + (f.bellCollected && f.storeCollected ? 0 : 1),
      goal: GOALS.soakClosed,
    },
  );
}

const TRANSPORT_KEY = { postgres_changes: 'postgresChanges', broadcast: 'broadcast' } as const;
const bySize = (counts: StatementCount[], pick: (count: StatementCount) => number) =>
  Object.fromEntries(counts.map((count) => [String(count.subscribers), pick(count)]));
const listed = (counts: StatementCount[], pick: (count: StatementCount) => number) =>
  counts.map((count) => pick(count).toLocaleString('en', { maximumFractionDigits: 2 })).join(' / ');
const sizesText = (counts: StatementCount[]) => counts.map((count) => count.subscribers.toLocaleString('en')).join(' / ');
/** The statements behind the figures at the largest size, printed after the table. */
const breakdowns: Record<string, string[]> = {};

function reportTransport(measured: TransportFigures | undefined): void {
  if (!measured) return;
  const key = TRANSPORT_KEY[measured.transport];
  const name = measured.transport;
  const { counts, writer, fanout, unfiltered } = measured;
  const path = (...rest: string[]) => ['transport', key, ...rest];
  setPath(figures, path('statementsPerNotification'), bySize(counts, (count) => count.perNotification));
  setPath(figures, path('topLevelStatementsPerNotification'), bySize(counts, (count) => count.topLevelPerNotification));
  setPath(figures, path('dbMsPerNotification'), bySize(counts, (count) => count.execMsPerNotification));
  setPath(figures, path('writerStatementsPerNotification'), writer.perNotification);
  setPath(figures, path('writerDbMsPerNotification'), writer.execMsPerNotification);
  if (unfiltered) {
    setPath(figures, path('statementsPerNotificationWithoutFilter'), bySize(unfiltered, (count) => count.perNotification));
    setPath(figures, path('dbMsPerNotificationWithoutFilter'), bySize(unfiltered, (count) => count.execMsPerNotification));
  }
  const { planned, live, ...fanoutNumbers } = fanout;
  setPath(figures, path('fanout'), { ...fanoutNumbers, planned, live });
  size[`transport.${key}.notificationsCounted`] = writer.notifications;
  size[`transport.${key}.fanoutClients`] = fanout.clients;
  size[`transport.${key}.fanoutPlanned`] = planned;
  findings.push(...measured.findings.map((finding) => `${name}: ${finding}`));
  const last = counts.at(-1);
  if (last) breakdowns[`${name}, ${last.subscribers.toLocaleString('en')} users`] = last.breakdown;
  const lastUnfiltered = unfiltered?.at(-1);
  if (lastUnfiltered) {
    breakdowns[`${name} without the user_id filter, ${lastUnfiltered.subscribers.toLocaleString('en')} users`] = lastUnfiltered.breakdown;
  }

  const spread = counts.length ? Math.max(...counts.map((c) => c.perNotification)) - Math.min(...counts.map((c) => c.perNotification)) : Number.NaN;
  row(
    'Transports',
    `${name}: database statements per notification, ${sizesText(counts)} users`,
    `${listed(counts, (count) => count.perNotification)} (the assignment and its triggers: ${writer.perNotification})`,
    // The goal is broadcast's; postgres_changes is shown beside it.
    name === 'broadcast' ? { key: `transport.${key}.statementsIndependentOfUsers`, value: spread, goal: GOALS.independent } : undefined,
  );
  row('Transports', `${name}:   database time per notification (execution)`, `${listed(counts, (count) => count.execMsPerNotification)} ms`);
  if (unfiltered) {
    row(
      'Transports',
      `${name} without the widget's user_id filter: statements; time`,
      `${listed(unfiltered, (count) => count.perNotification)}; ${listed(unfiltered, (count) => count.execMsPerNotification)} ms`,
    );
  }
  const scale = `${fanout.clients.toLocaleString('en')} users`;
  const cut =
    fanout.assignments < planned
      ? `, stopped after ${fanout.assignments.toLocaleString('en')} of ${planned.toLocaleString('en')}: fell behind, ${fanout.deliveredPerSecond}/s got through`
      : '';
  const goals = name === 'broadcast';
  row(
    'Transports',
    `${name}: fan-out to ${scale}, ${planned.toLocaleString('en')} assignments at ${fanout.ratePerSecond}/s${goals ? '' : ' (no goal: beside it)'}`,
    `${fanout.delivered}/${fanout.assignments} (${(fanout.deliveredRatio * 100).toFixed(1)} %)${cut}` +
      `${fanout.live < fanout.clients ? `, ${fanout.clients - fanout.live} joins failed` : ''}${fanout.wrongOwner ? `, ${fanout.wrongOwner} to the wrong user!` : ''}`,
    goals
      ? {
          key: `transport.${key}.fanout.deliveredRatio`,
          value: fanout.wrongOwner || fanout.assignments < planned || fanout.live < fanout.clients ? 0 : fanout.deliveredRatio,
          goal: GOALS.fanout5000,
        }
      : undefined,
  );
  row(
    'Transports',
    `${name}:   commit → callback (p50 / p95 / p99)`,
    triple(fanout.p50Ms, fanout.p95Ms, fanout.p99Ms),
    goals ? { key: `transport.${key}.fanout.p99Ms`, value: fanout.p99Ms, goal: GOALS.fanoutP99 } : undefined,
  );
  row(
    'Transports',
    `${name}:   stand-in peak memory: RSS / V8 heap (idle RSS)`,
    `${megabytes(fanout.standInPeakRssBytes)} / ${megabytes(fanout.standInPeakHeapBytes)} (${megabytes(fanout.standInIdleRssBytes)})`,
  );
}

function reportBroadcastEndToEnd(e2e: EndToEndFigures | undefined, postgresChanges: EndToEndFigures | undefined): void {
  if (postgresChanges) {
    setPath(figures, ['transport', 'postgresChanges', 'badgeP50Ms'], postgresChanges.badge.p50);
    setPath(figures, ['transport', 'postgresChanges', 'badgeP99Ms'], postgresChanges.badge.p99);
  }
  if (!e2e) return;
  const d = (distribution: EndToEndFigures['badge']) => ({ p50: distribution.p50, p95: distribution.p95, p99: distribution.p99, max: distribution.max });
  const b = d(e2e.badge);
  const entry = d(e2e.entry);
  const path = (name: string) => ['transport', 'broadcast', name];
  setPath(figures, path('badgeP50Ms'), b.p50);
  setPath(figures, path('badgeP95Ms'), b.p95);
  setPath(figures, path('badgeP99Ms'), b.p99);
  setPath(figures, path('badgeMaxMs'), b.max);
  setPath(figures, path('entryP50Ms'), entry.p50);
  setPath(figures, path('entryP99Ms'), entry.p99);
  setPath(figures, path('badgePageClockP50Ms'), e2e.badgePageClock.p50);
  setPath(figures, path('badgePageClockP99Ms'), e2e.badgePageClock.p99);
  setPath(figures, path('e2eMissing'), e2e.missing);
  setPath(figures, path('e2eWrongEntries'), e2e.wrongEntries);
  const n = e2e.assignments;
  const pc = postgresChanges ? `${milliseconds(postgresChanges.badge.p50)} / ${milliseconds(postgresChanges.badge.p99)}` : 'n/a';
  row('End to end', `broadcast: commit → badge text, panel closed (p50 / p95 / p99 of ${n})`, triple(b.p50, b.p95, b.p99), {
    key: 'transport.broadcast.badgeP50Ms',
    value: b.p50,
    goal: GOALS.badgeP50,
  });
  row('End to end', `  badge p50 / p99: postgres_changes | broadcast`, `${pc} | ${milliseconds(b.p50)} / ${milliseconds(b.p99)}`);
  row('End to end', `broadcast: commit → new panel entry, panel open (p50 / p95 / p99 of ${n})`, triple(entry.p50, entry.p95, entry.p99));
  const exact = `${e2e.finalBadge}` === String(e2e.finalUnreadInDatabase);
  row(
    'End to end',
    'broadcast: missed arrivals / wrong entries / badge vs SQL',
    `${e2e.missing} / ${e2e.wrongEntries} / "${e2e.finalBadge}" vs ${e2e.finalUnreadInDatabase}`,
    { key: 'transport.broadcast.exact', value: e2e.missing + e2e.wrongEntries + (exact ? 0 : 1), goal: GOALS.exact },
  );
}

function reportTabs(tabs: TabsFigures | undefined, transport: 'postgres_changes' | 'broadcast'): void {
  if (!tabs) return;
  // tabs.* on the default transport; tabs.broadcast.* the same on broadcast.
  const base = transport === 'broadcast' ? ['tabs', 'broadcast'] : ['tabs'];
  for (const [name, value] of Object.entries(tabs)) setPath(figures, [...base, name], value);
  const prefix = base.join('.');
  size[`${prefix}.assignments`] = tabs.assignments;
  row(
    'Tabs',
    `${transport}: ${tabs.tabs} tabs of one user, sockets at the stand-in (tab-sharing="off": ${tabs.socketsUnshared})`,
    `${tabs.sockets}`,
    { key: `${prefix}.sockets`, value: Math.abs(tabs.sockets - 1) + Math.abs(tabs.leaders - 1), goal: GOALS.oneSocket },
  );
  row(
    'Tabs',
    `${transport}:   a tab behind the leader, max (p50 / p99; ${tabs.assignments} assignments)`,
    `${milliseconds(tabs.maxLagMs)} (${milliseconds(tabs.lagP50Ms)} / ${milliseconds(tabs.lagP99Ms)})`,
    { key: `${prefix}.maxLagMs`, value: tabs.missing || tabs.wrongBadges ? Number.NaN : tabs.maxLagMs, goal: GOALS.tabLag },
  );
  row(
    'Tabs',
    `${transport}:   commit → badge, leader | last tab (p50 / p99); missed, wrong`,
    `${milliseconds(tabs.leaderP50Ms)} / ${milliseconds(tabs.leaderP99Ms)} | ${milliseconds(tabs.allTabsP50Ms)} / ${milliseconds(tabs.allTabsP99Ms)}; ${tabs.missing}, ${tabs.wrongBadges}`,
  );
}

// ---------------------------------------------------------------- the run

stopOnSignals();
const pageErrors: string[] = [];
let chromiumVersion = 'not launched';
let database: DatabaseFigures | undefined;
let triggers: TriggerBenchResult | undefined;
try {
  reportBundle(await part('bundle', 'npm run build, then sizes', benchBundle));
  database = await part('db', '1,000,000 notifications', () => benchDatabase({ log: log('db') }));
  reportDatabase(database);
  triggers = await part('triggers', 'the notification types at 1,000,000 rows', () => benchTriggers({ log: log('triggers') }));
  reportTriggers(triggers);
  reportFanout(await part('fanout', '1,000 realtime clients', () => benchFanout({ log: log('fanout') })));
  // Each transport in its own process and stand-in; broadcast first (the goals are its).
  const transports = await part('transport', 'both transports: statements per notification, fan-out at 5,000', async () => {
    const broadcast = await benchTransport({ transport: 'broadcast', log: log('transport broadcast') });
    const postgresChanges = await benchTransport({ transport: 'postgres_changes', log: log('transport postgres_changes') });
    return [postgresChanges, broadcast];
  });
  for (const measured of transports ?? []) reportTransport(measured);

  if (selected.has('e2e') || selected.has('tabs') || selected.has('render')) {
    let server: BenchPageServer | undefined;
    let browser: Browser | undefined;
    const unregister = [
      whileRunning(async () => server?.stop()),
      whileRunning(async () => browser?.close()),
    ];
    try {
      server = await startBenchPageServer();
      browser = await launchChromium();
      chromiumVersion = await browser.version();
      const pageUrl = server.url;
      const chromium = browser;
      const e2e = await part('e2e', 'commit to screen in Chromium, on each transport', async () => {
        const postgresChanges = await benchEndToEnd({ browser: chromium, pageUrl, log: log('e2e postgres_changes'), errors: pageErrors });
        const broadcast = await benchEndToEnd({ browser: chromium, pageUrl, transport: 'broadcast', log: log('e2e broadcast'), errors: pageErrors });
        return { postgresChanges, broadcast };
      });
      reportEndToEnd(e2e?.postgresChanges);
      reportBroadcastEndToEnd(e2e?.broadcast, e2e?.postgresChanges);
      const tabs = await part('tabs', '5 tabs of one user sharing a connection, on each transport', async () => {
        const postgresChanges = await benchTabs({ browser: chromium, pageUrl, log: log('tabs postgres_changes'), errors: pageErrors });
        const broadcast = await benchTabs({ browser: chromium, pageUrl, transport: 'broadcast', log: log('tabs broadcast'), errors: pageErrors });
        return { postgresChanges, broadcast };
      });
      reportTabs(tabs?.postgresChanges, 'postgres_changes');
      reportTabs(tabs?.broadcast, 'broadcast');
      reportRender(await part('render', 'opening the panel', () => benchRender({ browser: chromium, pageUrl, log: log('render'), errors: pageErrors })));
    } finally {
      await browser?.close();
      await server?.stop();
      for (const done of unregister) done();
    }
  }
  // Its own stand-in and Chromium (network monitoring off, so DevTools keeps no copy of the day's requests).
  const soak = await part('soak', 'a working day in one tab: 10,000 notifications, 8 simulated hours', async () => {
    const result = await benchSoak({ log: log('soak'), errors: pageErrors });
    for (const line of describeSoak(result)) log('soak')(line);
    return result;
  });
  reportSoak(soak);
  if (soak && chromiumVersion === 'not launched') chromiumVersion = soak.chromium;
} catch (error) {
  failed = true;
  console.error(error);
} finally {
  await stopEverything();
}

findings.push(...[...new Set(pageErrors)].map((error) => `Chromium: ${error}`));
const totalSeconds = Math.round((now() - started) / 100) / 10;
setDotted(figures, 'run.totalSeconds', totalSeconds);
row('Run', `total (${[...selected].join(', ')})`, `${totalSeconds} s`, { key: 'run.totalSeconds', value: totalSeconds, goal: GOALS.total });

const results: Results = {
  startedAt: new Date(performance.timeOrigin).toISOString(),
  totalSeconds,
  machine: machine(chromiumVersion),
  size,
  figures,
  goals,
  skipped,
  findings,
};
const resultsPath = new URL('results.json', import.meta.url);
await writeResults(resultsPath, results);

const m = results.machine;
console.log(`\n${formatTable(rows)}`);
console.log(
  `\nMachine: ${m.cores} × ${m.cpuModel}, ${(m.memoryBytes / 2 ** 30).toFixed(0)} GiB, Node ${m.node}, ${m.chromium}, ${m.platform}; ` +
    `load average ${m.loadAverageStart} at the start, ${m.loadAverageEnd} at the end (above ${m.cores}: other work shared the cores)`,
);
if (database) {
  console.log('\nDatabase plans (one run each, EXPLAIN ANALYZE BUFFERS):');
  for (const [name, plan] of Object.entries(database.plans)) console.log(`  ${name}:\n${plan.replace(/^/gm, '    ')}`);
}
if (triggers) {
  console.log('\nNotification types: plans (one run each, EXPLAIN ANALYZE BUFFERS):');
  for (const [name, plan] of Object.entries(triggers.plans)) console.log(`  ${name}:\n${plan.replace(/^/gm, '    ')}`);
}
if (Object.keys(breakdowns).length) {
  console.log('\nStatements per notification (pg_stat_statements, track = all; nested: run by a trigger or function):');
  for (const [name, lines] of Object.entries(breakdowns)) {
    const shown = lines.slice(0, 14).map((line) => `    ${line}`);
    if (lines.length > shown.length) shown.push(`    … and ${lines.length - shown.length} more kinds of statement`);
    console.log(`  ${name}:\n${shown.join('\n')}`);
  }
}
const notMeasured = Object.entries(skipped).map(([name, reason]) => `  - ${name}: ${reason}`);
if (notMeasured.length) console.log(`\nNot measured:\n${notMeasured.join('\n')}`);
if (findings.length) console.log(`\nFindings:\n${findings.map((finding) => `  - ${finding}`).join('\n')}`);
console.log(`\nWrote ${resultsPath.pathname}`);
process.exitCode = failed ? 1 : 0;
