// `npm run bench`: every figure of issue 6 in one table, each beside its goal, and bench/results.json
// (numbers, the run's size and the machine). Parts run one after another, never side by side, so
// that none measures another's load: bundle, database, fan-out, then Chromium (end to end, rendering).
//   npm run bench                      everything (about 3 to 5 minutes on 2 cores)
//   npm run bench -- --only=e2e,render only those parts: bundle, db, fanout, e2e, render
import type { Browser } from 'puppeteer-core';
import { benchBundle, NotBuilt, type BundleFigures } from './bundle.js';
import { launchChromium, startBenchPageServer, type BenchPageServer } from './browser.js';
import { stopEverything, stopOnSignals, whileRunning } from './cleanup.js';
import { benchDatabase, DATABASE_GOALS, type DatabaseFigures } from './database.js';
import { benchEndToEnd, type EndToEndFigures } from './e2e-latency.js';
import { benchFanout, type FanoutFigures } from './fanout.js';
import { benchRender, type RenderFigures } from './render.js';
import {
  formatTable,
  kilobytes,
  machine,
  megabytes,
  milliseconds,
  now,
  setDotted,
  verdict,
  writeResults,
  type Figures,
  type Goal,
  type Results,
  type Row,
} from './report.js';

const PARTS = ['bundle', 'db', 'fanout', 'e2e', 'render'] as const;
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
  open1000: { text: 'under 50 ms', limit: 50 },
  total: { text: 'under 10 min', limit: 600 },
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

// ---------------------------------------------------------------- the run

stopOnSignals();
const pageErrors: string[] = [];
let chromiumVersion = 'not launched';
let database: DatabaseFigures | undefined;
try {
  reportBundle(await part('bundle', 'npm run build, then sizes', benchBundle));
  database = await part('db', '1,000,000 notifications', () => benchDatabase({ log: log('db') }));
  reportDatabase(database);
  reportFanout(await part('fanout', '1,000 realtime clients', () => benchFanout({ log: log('fanout') })));

  if (selected.has('e2e') || selected.has('render')) {
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
      reportEndToEnd(await part('e2e', 'commit to screen in Chromium', () => benchEndToEnd({ browser: chromium, pageUrl, log: log('e2e'), errors: pageErrors })));
      reportRender(await part('render', 'opening the panel', () => benchRender({ browser: chromium, pageUrl, log: log('render'), errors: pageErrors })));
    } finally {
      await browser?.close();
      await server?.stop();
      for (const done of unregister) done();
    }
  }
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
const notMeasured = Object.entries(skipped).map(([name, reason]) => `  - ${name}: ${reason}`);
if (notMeasured.length) console.log(`\nNot measured:\n${notMeasured.join('\n')}`);
if (findings.length) console.log(`\nFindings:\n${findings.map((finding) => `  - ${finding}`).join('\n')}`);
console.log(`\nWrote ${resultsPath.pathname}`);
process.exitCode = failed ? 1 : 0;
