// From a committed change to the `postgres_changes` pushes, in two Postgres round trips at most:
//   1. filters: the distinct (column, operator) groups of the table's subscribers, each group one
//      statement for all its values (1,000 `user_id=eq.<id>` subscribers: one comparison query);
//   2. for the subscribers left: values as JSON, column privileges per role and the RLS check per
//      distinct claim set.
// Then each role's payload is built once and every channel gets one message with the ids of its
// matching bindings. Evaluations of successive changes overlap (the evaluator has a few
// connections); deliveries do not: they leave in commit order.
import { commitTimestamp, type DecodedChange, type DecodedTransaction } from './changes.js';
import type { ChangeInput, ClaimSet, Evaluation, Evaluator, FilterGroup } from './evaluator.js';
import type { ChannelSink, Subscription, SubscriptionRegistry } from './registry.js';
import type { Log } from './replication.js';

const MAX_RECORD_BYTES = 1024 * 1024;
// Over the limit, the real server keeps only the values that are small.
const SMALL_VALUE_BYTES = 64;

interface Plan {
  change: DecodedChange;
  commitTimestamp: string;
  /** The subscribers whose filters pass. */
  subscriptions: Subscription[];
  /** Per subscription: index of its claim set in the evaluation. */
  claimSetOf: number[];
  evaluation: Evaluation;
}

export class Dispatcher {
  private delivery: Promise<void> = Promise.resolve();

  constructor(
    private readonly registry: SubscriptionRegistry,
    private readonly evaluator: Evaluator,
    private readonly log: Log,
  ) {}

  handle(transaction: DecodedTransaction): void {
    const timestamp = commitTimestamp(transaction.commitTime);
    for (const change of transaction.changes) {
      const subscriptions = this.registry.candidates(change.relid, change.type);
      if (subscriptions.length === 0) continue;
      const planned = this.plan(change, timestamp, subscriptions).catch((error: unknown) => {
        this.log(`could not evaluate a ${change.type} on ${change.schema}.${change.table}: ${(error as Error).message}`);
        return undefined;
      });
      this.delivery = this.delivery.then(async () => {
        const plan = await planned;
        if (plan) this.deliver(plan);
      });
    }
  }

  /** Resolves when every change handed in so far has been delivered (tests, shutdown). */
  idle(): Promise<void> {
    return this.delivery;
  }

  private async plan(change: DecodedChange, timestamp: string, candidates: Subscription[]): Promise<Plan | undefined> {
    const input: ChangeInput = { relid: change.relid, action: change.type, new: change.record, old: change.oldRecord };
    const subscriptions = await this.passingFilters(input, candidates);
    if (subscriptions.length === 0) return undefined;

    // One RLS check per distinct (role, claims): several channels of one user share it.
    // Sorted by role, so the checks switch roles (and replan) once per role, not per subscriber.
    const claimSetIndex = new Map<string, number>();
    const distinct = [...new Set(subscriptions.map((s) => `${s.channel.role}\u0000${s.channel.claimsJson}`))].sort();
    const claimSets: ClaimSet[] = distinct.map((key, index) => {
      claimSetIndex.set(key, index);
      const [role, claims] = key.split('\u0000') as [string, string];
      return { role, claims };
    });
    const claimSetOf = subscriptions.map((s) => claimSetIndex.get(`${s.channel.role}\u0000${s.channel.claimsJson}`)!);
    const evaluation = await this.evaluator.evaluate(input, claimSets);
    return { change, commitTimestamp: timestamp, subscriptions, claimSetOf, evaluation };
  }

  private async passingFilters(input: ChangeInput, candidates: Subscription[]): Promise<Subscription[]> {
    if (candidates.every((subscription) => subscription.params.filters.length === 0)) return candidates;
    const groups = new Map<string, { group: FilterGroup; valueIndex: Map<string, number> }>();
    const refs = candidates.map((subscription) =>
      subscription.params.filters.map((filter): [string, number] => {
        const key = JSON.stringify([filter.column, filter.op, filter.negate]);
        let entry = groups.get(key);
        if (!entry) {
          entry = { group: { column: filter.column, op: filter.op, negate: filter.negate, values: [] }, valueIndex: new Map() };
          groups.set(key, entry);
        }
        let index = entry.valueIndex.get(filter.value);
        if (index === undefined) {
          index = entry.group.values.length;
          entry.group.values.push(filter.value);
          entry.valueIndex.set(filter.value, index);
        }
        return [key, index];
      }),
    );
    const offsets = new Map<string, number>();
    let offset = 0;
    for (const [key, { group }] of groups) {
      offsets.set(key, offset);
      offset += group.values.length;
    }
    const results = await this.evaluator.filters(input, [...groups.values()].map((entry) => entry.group));
    return candidates.filter((_, i) => refs[i]!.every(([key, index]) => results[offsets.get(key)! + index]));
  }

  private deliver(plan: Plan): void {
    const { change, evaluation } = plan;
    const payloads = new Map<string, Record<string, unknown>>();
    const outgoing = new Map<ChannelSink, Map<string, { ids: number[]; data: Record<string, unknown> }>>();

    plan.subscriptions.forEach((subscription, i) => {
      const role = subscription.channel.role;
      const readable = evaluation.roles[role] ?? [];
      const refused = refusal(change, evaluation, readable);
      // A refusal (no key, unreadable key) is sent whatever RLS says, as on the real server.
      if (!refused && !evaluation.visible[plan.claimSetOf[i]!]) return;
      const select = subscription.params.select;
      const payloadKey = JSON.stringify([role, select ?? null]);
      let data = payloads.get(payloadKey);
      if (!data) {
        data = refused ?? buildPayload(plan, readable, select);
        payloads.set(payloadKey, data);
      }
      let perPayload = outgoing.get(subscription.channel);
      if (!perPayload) {
        perPayload = new Map();
        outgoing.set(subscription.channel, perPayload);
      }
      const entry = perPayload.get(payloadKey);
      if (entry) {
        if (!entry.ids.includes(subscription.id)) entry.ids.push(subscription.id);
      } else {
        perPayload.set(payloadKey, { ids: [subscription.id], data });
      }
    });

    for (const [channel, perPayload] of outgoing) {
      if (!channel.isOpen()) continue;
      for (const { ids, data } of perPayload.values()) channel.pushChange(ids, data);
    }
  }
}

/** The real server's answers when it cannot send the row: no primary key, or a key the role cannot read. */
function refusal(change: DecodedChange, evaluation: Evaluation, readable: string[]): Record<string, unknown> | undefined {
  if (change.type === 'DELETE') return undefined;
  let error: string | undefined;
  if (evaluation.pk.length === 0) error = 'Error 400: Bad Request, no primary key';
  else if (!evaluation.pk.every((column) => readable.includes(column))) error = 'Error 401: Unauthorized';
  if (!error) return undefined;
  return {
    schema: change.schema,
    table: change.table,
    type: change.type,
    commit_timestamp: null,
    columns: [],
    record: {},
    ...(change.type === 'UPDATE' ? { old_record: {} } : {}),
    errors: [error],
  };
}

function buildPayload(plan: Plan, readable: string[], select: string[] | undefined): Record<string, unknown> {
  const { change, evaluation } = plan;
  const sent = new Set(select ? readable.filter((c) => select.includes(c) || evaluation.pk.includes(c)) : readable);
  const data: Record<string, unknown> = {
    schema: change.schema,
    table: change.table,
    commit_timestamp: plan.commitTimestamp,
    type: change.type,
    columns: evaluation.columns.filter((column) => sent.has(column.name)),
    errors: null,
  };
  let tooLarge = false;
  if (change.type !== 'DELETE') {
    const record = pickColumns(evaluation.record, sent);
    tooLarge ||= Buffer.byteLength(JSON.stringify(record)) > MAX_RECORD_BYTES;
    data.record = record;
  }
  if (change.type !== 'INSERT') {
    // With RLS on, a DELETE is not checked against the policies, so only the key may leave.
    const oldColumns =
      change.type === 'DELETE' && evaluation.rls ? new Set([...sent].filter((c) => evaluation.pk.includes(c))) : sent;
    const oldRecord = pickColumns(evaluation.old_record, oldColumns);
    tooLarge ||= Buffer.byteLength(JSON.stringify(oldRecord)) > MAX_RECORD_BYTES;
    data.old_record = oldRecord;
  }
  if (tooLarge) {
    for (const key of ['record', 'old_record'] as const) {
      if (data[key]) data[key] = keepSmallValues(data[key] as Record<string, unknown>);
    }
    data.errors = ['Error 413: Payload Too Large'];
  }
  return data;
}

function pickColumns(row: Record<string, unknown> | null, columns: Set<string>): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  if (!row) return picked;
  for (const [name, value] of Object.entries(row)) if (columns.has(name)) picked[name] = value;
  return picked;
}

function keepSmallValues(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(row).filter(([, value]) => Buffer.byteLength(JSON.stringify(value) ?? '') <= SMALL_VALUE_BYTES),
  );
}
