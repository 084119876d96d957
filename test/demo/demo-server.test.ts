// The demo server (`npm start`): it serves the page with its TypeScript compiled and imports
// resolved, tells the page where Supabase is without any secret, and its automation endpoint acts
// only for a signed-in agent, inside that agent's account.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { startDemo, type Demo } from '../../demo/server/demo-server.js';

const ALICE = 'alice@acme.test';
const DAVE = 'dave@globex.test';
const CAROL_ID = 'ca201000-0000-4000-8000-000000000003';
const MARIA_SILVAS_CONVERSATION = 'c0de0000-0000-4000-8000-000000000001';

describe('the demo server', () => {
  let demo: Demo;
  let db: pg.Client;
  let origin: string;

  before(async () => {
    demo = await startDemo({ fresh: true });
    origin = new URL(demo.url).origin;
    db = new pg.Client({ connectionString: demo.supabase.databaseUrl });
    await db.connect();
  });
  after(async () => {
    await db?.end();
    await demo?.stop();
  });

  /** A password sign-in through the stand-in's Auth, as supabase-js makes it. */
  async function accessToken(email: string): Promise<string> {
    const response = await fetch(`${demo.supabase.url}/auth/v1/token?grant_type=password`, {
      method: 'POST',
      headers: { apikey: demo.supabase.anonKey, 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'wacrm-demo' }),
    });
    assert.equal(response.status, 200);
    return ((await response.json()) as { access_token: string }).access_token;
  }

  const automationAssign = (body: unknown, token?: string) =>
    fetch(`${origin}/demo-api/automation-assign`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  const assigneeOf = async (conversationId: string) =>
    (await db.query('select assigned_agent_id from public.conversations where id = $1', [conversationId])).rows[0]
      ?.assigned_agent_id as string | null;

  it('serves the page, with TypeScript compiled and bare imports resolved', async () => {
    const root = await fetch(origin, { redirect: 'manual' });
    assert.equal(root.status, 302);
    assert.equal(root.headers.get('location'), '/demo/');
    assert.match(await (await fetch(demo.url)).text(), /<demo-app>/);
    const entry = await fetch(`${demo.url}demo-app.ts`);
    assert.match(entry.headers.get('content-type') ?? '', /javascript/);
    const code = await entry.text();
    assert.doesNotMatch(code, /from ['"]lit['"]/, 'bare specifiers are resolved for the browser');
    assert.doesNotMatch(code, /private connection: Connection/, 'types are stripped');
    assert.equal((await fetch(`${origin}/package.json`)).status, 404, 'only what the page needs is served');
  });

  it('tells the page where Supabase is, with the public anon key only', async () => {
    const config = (await (await fetch(`${origin}/demo-api/config`)).json()) as Record<string, unknown>;
    assert.deepEqual(config, { url: demo.supabase.url, anonKey: demo.supabase.anonKey, automation: true });
    assert.doesNotMatch(JSON.stringify(config), new RegExp(demo.supabase.serviceRoleKey.split('.')[1]!));
  });

  it('assigns as an automation for a signed-in agent: the notification names no actor', async () => {
    const response = await automationAssign({ conversationId: MARIA_SILVAS_CONVERSATION, assigneeId: CAROL_ID }, await accessToken(ALICE));
    assert.equal(response.status, 204);
    assert.equal(await assigneeOf(MARIA_SILVAS_CONVERSATION), CAROL_ID);
    const { rows } = await db.query(
      `select actor_user_id, body from public.notifications where user_id = $1 and conversation_id = $2`,
      [CAROL_ID, MARIA_SILVAS_CONVERSATION],
    );
    assert.deepEqual(rows, [{ actor_user_id: null, body: 'Someone assigned you a conversation with Maria Silva' }]);
  });

  it('refuses callers without a valid session, outside the account, or with a bad body', async () => {
    const before = await assigneeOf(MARIA_SILVAS_CONVERSATION);
    const body = { conversationId: MARIA_SILVAS_CONVERSATION, assigneeId: 'b0b00000-0000-4000-8000-000000000002' };
    assert.equal((await automationAssign(body)).status, 401);
    assert.equal((await automationAssign(body, 'not-a-token')).status, 401);
    assert.equal((await automationAssign(body, demo.supabase.anonKey)).status, 401, 'the anon key is not a user');
    const dave = await accessToken(DAVE);
    const outside = await automationAssign(body, dave);
    assert.equal(outside.status, 404, 'Dave (Globex) cannot reach an Acme conversation');
    assert.match(((await outside.json()) as { message: string }).message, /your account/);
    assert.equal((await automationAssign('{', dave)).status, 400);
    assert.equal((await automationAssign({ conversationId: 1 }, dave)).status, 400);
    assert.equal(await assigneeOf(MARIA_SILVAS_CONVERSATION), before);
  });
});
