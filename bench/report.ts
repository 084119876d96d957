// The one table `npm run bench` prints and the bench/results.json it writes: every figure with its
// goal, plus what the run measured (its size) and where (the machine).
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';

/** Epoch milliseconds with sub-millisecond resolution, the clock every Node-side timestamp uses. */
export const now = () => performance.timeOrigin + performance.now();

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Nearest rank, as bench/realtime-latency.ts computes it: always one of the samples. */
export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const median = (samples: readonly number[]) => percentile(samples, 50);

export const round = (value: number, digits = 2) => (Number.isFinite(value) ? Number(value.toFixed(digits)) : Number.NaN);

/** A limit the figure must stay under (or, for `atLeast`, reach). */
export interface Goal {
  text: string;
  limit: number;
  atLeast?: boolean;
}

export interface Row {
  section: string;
  label: string;
  /** Shown as is: the figure with its unit, or several figures joined with " / ". */
  value: string;
  /** The number the goal is checked against. */
  checked?: number;
  goal?: Goal;
}

export type Verdict = 'pass' | 'FAIL' | '';

export function verdict(row: Row): Verdict {
  if (!row.goal) return '';
  const value = row.checked;
  if (value === undefined || !Number.isFinite(value)) return 'FAIL';
  return (row.goal.atLeast ? value >= row.goal.limit : value < row.goal.limit) ? 'pass' : 'FAIL';
}

export function formatTable(rows: readonly Row[]): string {
  const header = ['figure', 'value', 'goal', 'result'];
  const cells = rows.map((row) => [`${row.section}: ${row.label}`, row.value, row.goal?.text ?? '', verdict(row)]);
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((cell) => cell[column]!.length)));
  const line = (cell: string[]) => cell.map((text, column) => text.padEnd(widths[column]!)).join(' │ ').trimEnd();
  const rule = widths.map((width) => '─'.repeat(width)).join('─┼─');
  return [line(header), rule, ...cells.map(line)].join('\n');
}

export const milliseconds = (value: number) => (Number.isFinite(value) ? `${value.toFixed(value < 10 ? 2 : 1)} ms` : 'n/a');
export const kilobytes = (bytes: number) => `${(bytes / 1000).toFixed(1)} KB`;
export const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  node: string;
  chromium: string;
  platform: string;
  /** 1-minute load average when the run started and when it ended: other work skews every figure. */
  loadAverageStart: number;
  loadAverageEnd: number;
}

const loadAtStart = loadavg()[0]!;

export function machine(chromium: string): Machine {
  return {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryBytes: totalmem(),
    node: process.version,
    chromium,
    platform: `${process.platform} ${process.arch}`,
    loadAverageStart: round(loadAtStart),
    loadAverageEnd: round(loadavg()[0]!),
  };
}

/** Numbers, in objects as deep as a figure needs: `transport.broadcast.statementsPerNotification["100"]`. */
export interface FigureTree {
  [key: string]: number | FigureTree;
}

/** Numbers only, nested by section: `{ bundle: { cdnGzipBytes: … }, latency: { … } }`. */
export type Figures = Record<string, FigureTree>;

/** Sets `section.key` from a flat dotted key, e.g. the `db.rows` of benchDatabase(). */
export function setDotted(figures: Figures, dotted: string, value: number): void {
  const [section, ...rest] = dotted.split('.');
  (figures[section!] ??= {})[rest.join('.')] = value;
}

/** Sets the figure at `path`, e.g. ['transport', 'broadcast', 'fanout', 'p99Ms'], making the objects on the way. */
export function setPath(figures: Figures, path: readonly string[], value: number | FigureTree): void {
  const [section, ...rest] = path;
  if (!section || rest.length === 0) throw new Error(`setPath: a figure needs a section and a name (${path.join('.')})`);
  let node: FigureTree = (figures[section] ??= {});
  for (const key of rest.slice(0, -1)) {
    const next = node[key];
    node = node[key] = typeof next === 'object' ? next : {};
  }
  node[rest.at(-1)!] = value;
}

/** The tree without the figures that could not be computed (NaN, Infinity) and without empty objects. */
function finiteOnly(tree: FigureTree): FigureTree {
  const kept: FigureTree = {};
  for (const [key, value] of Object.entries(tree)) {
    if (typeof value === 'number') {
      if (Number.isFinite(value)) kept[key] = value;
    } else {
      const inner = finiteOnly(value);
      if (Object.keys(inner).length > 0) kept[key] = inner;
    }
  }
  return kept;
}

export interface Results {
  /** ISO time the run started. */
  startedAt: string;
  totalSeconds: number;
  machine: Machine;
  /** How much each part measured: counts, so that runs of different sizes are not compared blindly. */
  size: Record<string, number>;
  figures: Figures;
  goals: Record<string, { goal: string; pass: boolean }>;
  /** Parts that could not be measured, and why. */
  skipped: Record<string, string>;
  findings: string[];
}

export async function writeResults(path: URL, results: Results): Promise<void> {
  // Figures at the top level as well, so `bundle.cdnGzipBytes` reads the same in either shape.
  // A figure that could not be computed is left out rather than written as null.
  const { figures, ...rest } = results;
  const finite = finiteOnly(figures);
  await writeFile(path, `${JSON.stringify({ ...finite, ...rest }, null, 2)}\n`);
}
