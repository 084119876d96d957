// Rendering in Chromium, no network: bells over a NotificationStore fed by in-memory queries (the
// bench page's MemoryQueries), so the figures are the widget's own work.
//   - open: bell.show() to the first frame produced after it, with 20 and with 1,000 loaded items
//     (median of several openings; the list is already rendered in the closed popover, as it is
//     once a user has scrolled it);
//   - mount: a new bell whose store already holds 1,000 items, appended and opened, to its frame;
//   - memory: JS heap (after a forced garbage collection, CDP) with the first page shown and after
//     scrolling the open panel through 1,000 items, page by page.
import type { Browser, CDPSession, Page } from 'puppeteer-core';
import { openBenchPage } from './browser.js';
import { median, percentile, round } from './report.js';

export interface RenderOptions {
  browser: Browser;
  pageUrl: string;
  /** Openings timed per case. Default 15. */
  runs?: number;
  /** The long list. Default 1,000. */
  items?: number;
  log?: (line: string) => void;
  errors: string[];
}

export interface RenderFigures {
  runs: number;
  items: number;
  pageSize: number;
  open20Ms: number;
  open20ShownMs: number;
  open1000Ms: number;
  open1000ShownMs: number;
  open1000P95Ms: number;
  mountOpen1000Ms: number;
  pageThroughMs: number;
  pages: number;
  heapFirstPageBytes: number;
  heapAfter1000Bytes: number;
  domNodesAfter1000: number;
}

async function heapAfterGc(session: CDPSession): Promise<{ heap: number; nodes: number }> {
  await session.send('HeapProfiler.collectGarbage');
  const { metrics } = await session.send('Performance.getMetrics');
  const metric = (name: string) => metrics.find((entry) => entry.name === name)?.value ?? Number.NaN;
  return { heap: metric('JSHeapUsedSize'), nodes: metric('Nodes') };
}

export async function benchRender(options: RenderOptions): Promise<RenderFigures> {
  const runs = options.runs ?? 15;
  const items = options.items ?? 1000;
  const pageSize = 20;
  const log = options.log ?? (() => undefined);
  let page: Page | undefined;
  try {
    page = await openBenchPage(options.browser, options.pageUrl, options.errors);
    const session = await page.createCDPSession();
    await session.send('Performance.enable');

    log(`opening with ${pageSize} items ×${runs}`);
    const open20 = await page.evaluate((runs) => window.wacrmBench!.render.openTimes(20, runs), runs);

    log(`paging through ${items} items`);
    await page.evaluate((total, size) => window.wacrmBench!.render.mountPager(total, size), items, pageSize);
    const firstPage = await heapAfterGc(session);
    const paging = await page.evaluate(() => window.wacrmBench!.render.pageThrough());
    if (paging.items !== items) throw new Error(`paging rendered ${paging.items} of ${items} items`);
    const afterPaging = await heapAfterGc(session);

    log(`opening with ${items} items ×${runs}`);
    const open1000 = await page.evaluate((runs) => window.wacrmBench!.render.openPagerTimes(runs), runs);
    await page.evaluate(() => window.wacrmBench!.render.clear());

    log(`mounting and opening with ${items} items ×5`);
    const mounts: number[] = [];
    for (let run = 0; run < 5; run++) mounts.push(await page.evaluate((items) => window.wacrmBench!.render.mountAndOpen(items), items));

    return {
      runs,
      items,
      pageSize,
      open20Ms: round(median(open20.toPaintMs)),
      open20ShownMs: round(median(open20.toShownMs)),
      open1000Ms: round(median(open1000.toPaintMs)),
      open1000ShownMs: round(median(open1000.toShownMs)),
      open1000P95Ms: round(percentile(open1000.toPaintMs, 95)),
      mountOpen1000Ms: round(median(mounts)),
      pageThroughMs: round(paging.ms),
      pages: paging.pages,
      heapFirstPageBytes: firstPage.heap,
      heapAfter1000Bytes: afterPaging.heap,
      domNodesAfter1000: afterPaging.nodes,
    };
  } finally {
    await page?.close().catch(() => undefined);
  }
}
