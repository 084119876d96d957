// A web-test-runner plugin that starts the local Supabase stand-in once for the browser suite and
// lets tests in each browser drive the server side through executeServerCommand: make agents and
// conversations, assign as a teammate or an automation, read the database, drop every socket.
import type { BasicTestSession, TestRunnerPlugin } from '@web/test-runner';
import { Fixtures, PASSWORD } from '../support/fixtures.js';
import { startTarget, type Target } from '../support/target.js';
import { faultCommands } from './fault-commands.js';

type Payload = Record<string, unknown> | undefined;

/** A text field of a command's payload (the tests send strings), or `fallback` when it is absent. */
function text(payload: Payload, key: string, fallback?: string): string {
  const value = payload?.[key] ?? fallback;
  if (typeof value !== 'string') throw new TypeError(`"${key}" should be a string, not ${JSON.stringify(value) ?? 'undefined'}`);
  return value;
}

export function standInPlugin(): TestRunnerPlugin {
  let target: Target | undefined;
  let fixtures: Fixtures | undefined;
  const ready = (async () => {
    target = await startTarget();
    fixtures = new Fixtures(target);
  })();

  const commands: Record<string, (payload: Payload, session: BasicTestSession) => Promise<unknown>> = {
    'standin:info': async () => ({ url: target!.url, anonKey: target!.anonKey, password: PASSWORD }),
    'standin:account': async (payload) => fixtures!.account(text(payload, 'name', 'Browser test account')),
    'standin:agent': async (payload) =>
      fixtures!.agent(text(payload, 'accountId'), text(payload, 'fullName', 'Agent'), text(payload, 'role', 'agent')),
    'standin:contact': async (payload) =>
      fixtures!.contact(text(payload, 'accountId'), (payload?.name as string | null) ?? null, text(payload, 'phone', '+1 555 0100')),
    'standin:conversation': async (payload) => fixtures!.conversation(text(payload, 'accountId'), text(payload, 'contactId')),
    /** Assigns as `actorId` would through PostgREST (its claims), or as an automation when absent. */
    'standin:assign': async (payload) => {
      const client = await fixtures!.db.connect();
      try {
        await client.query('begin');
        if (payload?.actorId) {
          await client.query(`select set_config('request.jwt.claims', $1, true)`, [
            JSON.stringify({ sub: payload.actorId, role: 'authenticated' }),
          ]);
        }
        await client.query('update public.conversations set assigned_agent_id = $2 where id = $1', [
          payload?.conversationId,
          payload?.assigneeId ?? null,
        ]);
        await client.query('commit');
      } catch (error) {
        await client.query('rollback');
        throw error;
      } finally {
        client.release();
      }
      return true;
    },
    /** SQL in one transaction with `actorId`'s claims (auth.uid()), or none: a teammate's or a webhook's write. */
    'standin:query-as': async (payload) => {
      const client = await fixtures!.db.connect();
      try {
        await client.query('begin');
        if (payload?.actorId) {
          await client.query(`select set_config('request.jwt.claims', $1, true)`, [
            JSON.stringify({ sub: payload.actorId, role: 'authenticated' }),
          ]);
        }
        const { rows } = await client.query(String(payload?.sql), (payload?.params as unknown[]) ?? []);
        await client.query('commit');
        return rows;
      } catch (error) {
        await client.query('rollback');
        throw error;
      } finally {
        client.release();
      }
    },
    /** A read of the database as its owner, for assertions (this plugin only runs in tests). */
    'standin:query': async (payload) => (await fixtures!.db.query(String(payload?.sql), (payload?.params as unknown[]) ?? [])).rows,
    /** An access token for an agent, signed as Auth signs them, valid for `seconds`. */
    'standin:token': async (payload) => fixtures!.token(payload?.agent as never, Number(payload?.seconds ?? 3600)),
    'standin:drop-sockets': async () => {
      target!.local?.dropRealtimeSockets();
      return true;
    },
    // Bursts, restarts, offline and hidden pages for faults.test.ts.
    ...faultCommands(
      () => target!,
      () => fixtures!,
      (step, session) => commands[`standin:${step.command}`]!(step.payload, session),
    ),
  };

  return {
    name: 'wacrm-standin',
    async serverStart() {
      await ready;
    },
    async serverStop() {
      await ready.catch(() => undefined);
      await fixtures?.end();
      await target?.stop();
    },
    async executeCommand({ command, payload, session }) {
      const run = commands[command];
      if (!run) return undefined;
      await ready;
      return run(payload as Payload, session);
    },
  };
}
