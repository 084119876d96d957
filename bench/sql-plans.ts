// What the database benchmarks (bench/database.ts, bench/triggers.ts) share: timing summaries,
// EXPLAIN ANALYZE read and printed, acting as a PostgREST role, and a fixed choice of users.
import type pg from 'pg';

/** Median and tails of a set of timings, in their unit (ms here). */
export interface Summary {
  median: number;
  p95: number;
  p99: number;
}

/** Quantiles by linear interpolation between the closest ranks; NaN for no samples. */
export function summarize(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => {
    if (sorted.length === 0) return Number.NaN;
    const position = (sorted.length - 1) * q;
    const below = Math.floor(position);
    const above = Math.ceil(position);
    return sorted[below]! + (sorted[above]! - sorted[below]!) * (position - below);
  };
  return { median: at(0.5), p95: at(0.95), p99: at(0.99) };
}

/** `digits` decimals, as a number for results.json; NaN stays NaN. */
export const round = (value: number, digits = 3) => (Number.isFinite(value) ? Number(value.toFixed(digits)) : Number.NaN);

/** One node of EXPLAIN (FORMAT JSON)'s plan: the fields the benchmarks print or compare. */
export interface PlanNode {
  'Node Type': string;
  'Parent Relationship'?: string;
  'Subplan Name'?: string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  'Recheck Cond'?: string;
  'One-Time Filter'?: string;
  Filter?: string;
  'Rows Removed by Filter'?: number;
  'Heap Fetches'?: number;
  'Sort Key'?: string[];
  'Presorted Key'?: string[];
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Actual Total Time'?: number;
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
  Plans?: PlanNode[];
}

export interface ExplainOutput {
  Plan: PlanNode;
  'Planning Time'?: number;
  /** Server time of the statement, ms. */
  'Execution Time': number;
  Triggers?: { 'Trigger Name': string; Relation: string; Time?: number; Calls: number }[];
}

/**
 * EXPLAIN ANALYZE of one statement. Per-node timing is off unless `detailed` (then with buffers):
 * for the timed runs the clock reads would otherwise be part of what is measured.
 */
export async function explain(client: pg.ClientBase, sql: string, params: unknown[], detailed = false): Promise<ExplainOutput> {
  const options = detailed ? 'analyze, buffers, format json' : 'analyze, timing off, format json';
  const { rows } = await client.query<{ 'QUERY PLAN': ExplainOutput[] }>(`explain (${options}) ${sql}`, params);
  return rows[0]!['QUERY PLAN'][0]!;
}

/** Node types and index names, top-down: equal signatures mean the same plan shape. */
export function planSignature(node: PlanNode): string {
  const self = node['Index Name'] ? `${node['Node Type']}(${node['Index Name']})` : node['Node Type'];
  const children = (node.Plans ?? []).map(planSignature);
  return children.length ? `${self}[${children.join(', ')}]` : self;
}

/** The indexes a plan uses, as `Node Type(index)`, top-down. */
export function indexNames(node: PlanNode): string[] {
  return [...(node['Index Name'] ? [`${node['Node Type']}(${node['Index Name']})`] : []), ...(node.Plans ?? []).flatMap(indexNames)];
}

/** A plan as a reader wants it in a report: a node a line, its conditions under it, then triggers and times. */
export function formatPlan(explained: ExplainOutput): string {
  const lines: string[] = [];
  const walk = (node: PlanNode, depth: number) => {
    const pad = '  '.repeat(depth);
    const role = node['Subplan Name'] ?? (node['Parent Relationship'] === 'InitPlan' ? 'InitPlan' : '');
    let head = `${pad}${role ? `[${role}] ` : ''}${node['Node Type']}`;
    if (node['Index Name']) head += ` using ${node['Index Name']}`;
    if (node['Relation Name']) head += ` on ${node['Relation Name']}`;
    const facts: string[] = [];
    if (node['Actual Rows'] !== undefined) facts.push(`rows=${node['Actual Rows']}`);
    if (node['Actual Loops'] !== undefined && node['Actual Loops'] !== 1) facts.push(`loops=${node['Actual Loops']}`);
    if (node['Heap Fetches'] !== undefined) facts.push(`heap fetches=${node['Heap Fetches']}`);
    if (node['Shared Hit Blocks'] !== undefined || node['Shared Read Blocks'] !== undefined) {
      facts.push(`buffers hit=${node['Shared Hit Blocks'] ?? 0} read=${node['Shared Read Blocks'] ?? 0}`);
    }
    lines.push(`${head}  (${facts.join(', ')})`);
    if (node['Index Cond']) lines.push(`${pad}    Index Cond: ${node['Index Cond']}`);
    if (node['One-Time Filter']) lines.push(`${pad}    One-Time Filter: ${node['One-Time Filter']}`);
    if (node['Recheck Cond']) lines.push(`${pad}    Recheck Cond: ${node['Recheck Cond']}`);
    if (node.Filter) lines.push(`${pad}    Filter: ${node.Filter}  (removed ${node['Rows Removed by Filter'] ?? 0})`);
    if (node['Presorted Key']) lines.push(`${pad}    Presorted Key: ${node['Presorted Key'].join(', ')}`);
    if (node['Sort Key']) lines.push(`${pad}    Sort Key: ${node['Sort Key'].join(', ')}`);
    for (const child of node.Plans ?? []) walk(child, depth + 1);
  };
  walk(explained.Plan, 0);
  for (const trigger of explained.Triggers ?? []) {
    const time = trigger.Time === undefined ? '' : `${round(trigger.Time)} ms, `;
    lines.push(`Trigger ${trigger['Trigger Name']} on ${trigger.Relation}: ${time}${trigger.Calls} call(s)`);
  }
  const planning = explained['Planning Time'];
  lines.push(`${planning === undefined ? 'Execution' : `Planning ${round(planning)} ms, execution`} ${round(explained['Execution Time'])} ms`);
  return lines.join('\n');
}

export type Role = 'authenticated' | 'service_role';

/** request.jwt.claims as PostgREST sets them: the role, and the user's id when there is one. */
export const claimsOf = (role: Role, sub?: string) => JSON.stringify(sub ? { sub, role } : { role });

/** From here on in this transaction, statements run as this role with these claims, exactly as PostgREST sets it up. */
export const actAs = (client: pg.ClientBase, role: Role, claims: string) =>
  client.query(`select set_config('role', $1, true), set_config('request.jwt.claims', $2, true)`, [role, claims]);

/** Deterministic shuffle (a linear congruential generator from `seed`), so every run measures the same users. */
export function pickUsers(users: number, count: number, seed: number): number[] {
  const order = Array.from({ length: users }, (_, index) => index);
  let state = seed;
  for (let index = order.length - 1; index > 0; index--) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    const other = state % (index + 1);
    [order[index], order[other]] = [order[other]!, order[index]!];
  }
  return order.slice(0, Math.min(count, users));
}
