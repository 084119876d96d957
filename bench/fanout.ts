// Fan-out: 1,000 supabase-js realtime clients of distinct users (each filtered to its own rows, as
// the widget subscribes) and 1,000 assignments at 200 a second, one per user; the trigger writes
// each notification. Built on bench/realtime-latency.ts (its subscriber process and scenario).
//
// It runs in a child process of its own, so that the stand-in's memory is measured alone: that
// process holds the stand-in and the committing side, as in realtime-latency.ts, while the 1,000
// clients live in the grandchild that realtime-latency.ts forks, and Chromium and the rest of the
// bench stay out of it.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Fixtures, type Agent } from '../test/support/fixtures.js';
import { startTarget } from '../test/support/target.js';
import { scenario, SubscriberProcess } from './realtime-latency.js';
import { round } from './report.js';

export interface FanoutOptions {
  clients?: number;
  /** Assignments per second. */
  rate?: number;
  log?: (line: string) => void;
}

export interface FanoutFigures {
  clients: number;
  assignments: number;
  delivered: number;
  deliveredRatio: number;
  wrongOwner: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  ratePerSecond: number;
  /** The stand-in process: peak resident set over its life (getrusage), and sampled peak V8 heap. */
  standInPeakRssBytes: number;
  standInPeakHeapBytes: number;
  /** The same process idle with the agents made and nobody subscribed. */
  standInIdleRssBytes: number;
}

type FromFanoutChild = { kind: 'log'; line: string } | { kind: 'done'; figures: FanoutFigures } | { kind: 'failed'; error: string };

/** Runs the fan-out in a child process and returns its figures. */
export function benchFanout(options: FanoutOptions = {}): Promise<FanoutFigures> {
  const log = options.log ?? (() => undefined);
  const child = fork(fileURLToPath(import.meta.url), ['--fanout-child', JSON.stringify({ clients: options.clients, rate: options.rate })], {
    execArgv: ['--import', 'tsx'],
  });
  return new Promise<FanoutFigures>((resolve, reject) => {
    let settled = false;
    child.on('message', (message: FromFanoutChild) => {
      if (message.kind === 'log') return log(message.line);
      settled = true;
      if (message.kind === 'done') resolve(message.figures);
      else reject(new Error(`fan-out: ${message.error}`));
    });
    child.on('exit', (code, signal) => {
      if (!settled) reject(new Error(`fan-out process exited (${signal ?? code}) without figures`));
    });
  });
}

async function runChild(settings: { clients?: number; rate?: number }): Promise<void> {
  // The bench that forked this process may be gone (interrupted): then there is nobody to tell.
  const send = (message: FromFanoutChild) => void (process.connected && process.send!(message));
  const clients = settings.clients ?? 1000;
  const rate = settings.rate ?? 200;
  let peakHeap = 0;
  const sampler = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 50);
  const starting = startTarget();
  let openFixtures: Fixtures | undefined;
  let openSubscribers: SubscriberProcess | undefined;
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      clearInterval(sampler);
      openSubscribers?.kill();
      await openFixtures?.end();
      // Also when interrupted while it starts: its PostgreSQL must not outlive this process.
      await (await starting.catch(() => undefined))?.stop();
    })());
  // Interrupted, or the bench that forked it is gone: stop the stand-in first.
  const abort = () => void stop().finally(() => process.exit(1));
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  process.once('disconnect', abort);
  try {
    const target = await starting;
    const fixtures = (openFixtures = new Fixtures(target));
    const subscribers = (openSubscribers = new SubscriberProcess());
    const accountId = await fixtures.account('Fan-out bench');
    send({ kind: 'log', line: `creating ${clients} agents and conversations` });
    const agents: Agent[] = [];
    // Four at a time (the fixtures' pool size), in order.
    for (let start = 0; start < clients; start += 4) {
      const batch = Array.from({ length: Math.min(4, clients - start) }, (_, offset) => fixtures.agent(accountId, `Agent ${start + offset}`));
      agents.push(...(await Promise.all(batch)));
    }
    const conversationIds = await fixtures.conversations(accountId, clients);
    const idleRss = process.memoryUsage().rss;
    send({ kind: 'log', line: `${clients} clients subscribing; ${clients} assignments at ${rate}/s` });
    const result = await scenario(`${clients} subscribers, 1 assignment each`, {
      fixtures,
      target,
      subscribers,
      agents,
      accountId,
      filtered: true,
      changes: clients,
      rate,
      assignments: conversationIds,
    });
    clearInterval(sampler);
    send({
      kind: 'done',
      figures: {
        clients,
        assignments: result.sent,
        delivered: result.delivered,
        deliveredRatio: result.delivered / result.sent,
        wrongOwner: result.wrongOwner,
        p50Ms: round(result.p50),
        p95Ms: round(result.p95),
        p99Ms: round(result.p99),
        maxMs: round(result.max),
        ratePerSecond: rate,
        // maxRSS is in kilobytes.
        standInPeakRssBytes: process.resourceUsage().maxRSS * 1024,
        standInPeakHeapBytes: peakHeap,
        standInIdleRssBytes: idleRss,
      },
    });
  } catch (error) {
    send({ kind: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  } finally {
    process.off('disconnect', abort);
    await stop();
    if (process.connected) process.disconnect();
  }
}

const childAt = process.argv.indexOf('--fanout-child');
if (childAt >= 0) await runChild(JSON.parse(process.argv[childAt + 1] ?? '{}') as { clients?: number; rate?: number });
