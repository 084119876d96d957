// Server-side faults for test/browser/faults.test.ts, run through the stand-in plugin's commands:
// bursts of assignments, restarts of the API or of PostgreSQL, and the page taken offline or hidden
// through its browser's automation protocol (browsers.ts: DevTools in Chromium, WebDriver BiDi in
// Firefox, WebDriver in WebKit). A page that is offline cannot hear a command's answer until it is back online
// (and a hidden one runs its timers slowly), so the commands that take the page away bring it back
// themselves, after running the server-side steps given in `during`.
import pg from 'pg';
import type { BasicTestSession } from '@web/test-runner';
import { controlsOf } from './browsers.js';
import type { Fixtures } from '../support/fixtures.js';
import type { Target } from '../support/target.js';

type Payload = Record<string, unknown> | undefined;
type Command = (payload: Payload, session: BasicTestSession) => Promise<unknown>;

export interface BurstResult {
  /** Assignments committed (each its own transaction, so each its own realtime event). */
  committed: number;
  /** Assignments that failed (the database was down, say). */
  failed: number;
  ms: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Assigns `count` new conversations of the account to one agent as an automation would, each in its
 * own transaction, over `connections` parallel connections: as fast as they go, or spread evenly
 * over `spreadMs`; or, with `inOneSession`, all from one database session. Failures are counted,
 * not thrown, so a burst can run through a restart.
 */
async function burst(fixtures: Fixtures, payload: Payload): Promise<BurstResult> {
  const count = Number(payload?.count ?? 100);
  const connections = Number(payload?.connections ?? 4);
  const spreadMs = Number(payload?.spreadMs ?? 0);
  // Conversations first, so that only the assignments are timed.
  const { rows } = await fixtures.db.query<{ id: string }>(
    `insert into public.conversations (account_id, contact_id)
     select $1, $2 from generate_series(1, $3) returning id`,
    [payload?.accountId, payload?.contactId, count],
  );
  if (payload?.inOneSession) return burstInOneSession(fixtures, rows, payload?.assigneeId);
  const pool = new pg.Pool({ connectionString: fixtures.target.databaseUrl, max: connections });
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  try {
    const warm = await Promise.all(Array.from({ length: connections }, () => pool.connect()));
    for (const client of warm) client.release();
    let next = 0;
    let committed = 0;
    let failed = 0;
    const started = performance.now();
    const worker = async () => {
      while (next < rows.length) {
        const index = next++;
        const due = started + (index * spreadMs) / rows.length;
        if (due > performance.now()) await sleep(due - performance.now());
        try {
          await pool.query('update public.conversations set assigned_agent_id = $2 where id = $1', [
            rows[index]!.id,
            payload?.assigneeId,
          ]);
          committed++;
        } catch {
          failed++;
        }
      }
    };
    await Promise.all(Array.from({ length: connections }, worker));
    return { committed, failed, ms: Math.round(performance.now() - started) };
  } finally {
    await pool.end();
  }
}

/**
 * The fastest burst: one database session runs the assignments in a loop with a COMMIT after each
 * (a DO block outside a transaction may commit), so no round trip or event loop paces them.
 */
async function burstInOneSession(fixtures: Fixtures, rows: { id: string }[], assigneeId: unknown): Promise<BurstResult> {
  const client = await fixtures.db.connect();
  try {
    const ids = client.escapeLiteral(`{${rows.map((row) => row.id).join(',')}}`);
    const started = performance.now();
    await client.query(`do $$
      declare conversation uuid;
      begin
        foreach conversation in array ${ids}::uuid[] loop
          update public.conversations set assigned_agent_id = ${client.escapeLiteral(String(assigneeId))}::uuid
          where id = conversation;
          commit;
        end loop;
      end $$`);
    return { committed: rows.length, failed: 0, ms: Math.round(performance.now() - started) };
  } finally {
    client.release();
  }
}

interface Step {
  command: string;
  payload?: Payload;
}

/**
 * Takes the page away with `leave`, runs the `during` steps one after another, waits until `ms`
 * have passed, brings the page back with `back` and answers with the steps' results.
 */
async function away(
  payload: Payload,
  run: (step: Step) => Promise<unknown>,
  leave: () => Promise<void>,
  back: () => Promise<void>,
): Promise<unknown[]> {
  const started = performance.now();
  await leave();
  try {
    const results: unknown[] = [];
    for (const step of (payload?.during as Step[] | undefined) ?? []) results.push(await run(step));
    const remaining = Number(payload?.ms ?? 0) - (performance.now() - started);
    if (remaining > 0) await sleep(remaining);
    return results;
  } finally {
    await back();
  }
}

export function faultCommands(
  getTarget: () => Target,
  getFixtures: () => Fixtures,
  run: (step: Step, session: BasicTestSession) => Promise<unknown>,
): Record<string, Command> {
  const local = () => {
    const standIn = getTarget().local;
    if (!standIn) throw new Error('this fault needs the local stand-in');
    return standIn;
  };
  /** Bursts started by `standin:burst-start`, by the token it answered. */
  const started = new Map<string, Promise<BurstResult>>();
  return {
    'standin:burst': (payload) => burst(getFixtures(), payload),
    /**
     * Starts a burst and answers at once with a token for `standin:burst-result`: a page busy with
     * a thousand arrivals may not read a command's answer within the runner's 20 s, so it waits
     * for them in the page and asks for the result once they are in.
     */
    'standin:burst-start': async (payload) => {
      const token = `burst-${started.size + 1}-${Date.now()}`;
      const running = burst(getFixtures(), payload);
      running.catch(() => undefined); // reported by standin:burst-result
      started.set(token, running);
      return token;
    },
    'standin:burst-result': async (payload) => {
      const running = started.get(String(payload?.token));
      if (!running) throw new Error(`no burst started with token ${JSON.stringify(payload?.token)}`);
      started.delete(String(payload?.token));
      return running;
    },
    'standin:restart-api': async (payload) => {
      await local().restartApi({ downtimeMs: Number(payload?.downtimeMs ?? 0) });
      return true;
    },
    'standin:restart-database': async () => {
      await local().restartDatabase();
      return true;
    },
    /** true, or why this browser cannot be taken offline (the offline tests skip it, saying so). */
    'standin:can-go-offline': async (_, session) => controlsOf(session).canGoOffline(),
    /** The browser's offline mode for `ms` (requests fail, frames wait), running `during` meanwhile. */
    'standin:offline': (payload, session) => {
      const controls = controlsOf(session);
      return away(
        payload,
        (step) => run(step, session),
        () => controls.setOffline(session.id, true),
        () => controls.setOffline(session.id, false),
      );
    },
    /** The window minimized for `ms` (the page is really hidden: visibilitychange), `during` meanwhile. */
    'standin:hidden': (payload, session) => {
      const controls = controlsOf(session);
      return away(
        payload,
        (step) => run(step, session),
        () => controls.setHidden(session.id, true),
        () => controls.setHidden(session.id, false),
      );
    },
  };
}
