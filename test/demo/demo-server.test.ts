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
const DAVE_ID = 'da7e0000-0000-4000-8000-000000000004';
/** A well-formed uuid that names nothing. */
const NOBODY = '00000000-0000-4000-8000-00000000dead';
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

  it('answers every bad input with a 4xx that says what is wrong, changes nothing and logs nothing', async () => {
    const before = await assigneeOf(MARIA_SILVAS_CONVERSATION);
    const alice = await accessToken(ALICE);
    const logged: unknown[][] = [];
    const consoleError = console.error;
    console.error = (...args: unknown[]) => void logged.push(args);
    try {
      const cases: [string, () => Promise<Response>, number, RegExp][] = [
        ['an assignee that is not a uuid', () => automationAssign({ conversationId: MARIA_SILVAS_CONVERSATION, assigneeId: 'x' }, alice), 400, /assigneeId must be a uuid, not "x"/],
        ['a conversation that is not a uuid', () => automationAssign({ conversationId: 'x', assigneeId: CAROL_ID }, alice), 400, /conversationId must be a uuid/],
        ['no conversation', () => automationAssign({ assigneeId: 'x' }, alice), 400, /conversationId is missing/],
        ['no assignee', () => automationAssign({ conversationId: MARIA_SILVAS_CONVERSATION }, alice), 400, /assigneeId is missing/],
        ['a number for an id', () => automationAssign({ conversationId: 7, assigneeId: CAROL_ID }, alice), 400, /conversationId must be a uuid, not 7/],
        ['null for an id', () => automationAssign({ conversationId: MARIA_SILVAS_CONVERSATION, assigneeId: null }, alice), 400, /assigneeId must be a uuid/],
        ['a JSON null body', () => automationAssign('null', alice), 400, /JSON object/],
        ['a JSON array body', () => automationAssign('[]', alice), 400, /JSON object/],
        ['a JSON string body', () => automationAssign('"x"', alice), 400, /JSON object/],
        ['an empty body', () => automationAssign('', alice), 400, /must be JSON/],
        ['a body too large', () => automationAssign('x'.repeat(20_000), alice), 413, /too large/],
        ['an unknown conversation', () => automationAssign({ conversationId: NOBODY, assigneeId: CAROL_ID }, alice), 404, /no conversation .* in your account/],
        ['an unknown agent', () => automationAssign({ conversationId: MARIA_SILVAS_CONVERSATION, assigneeId: NOBODY }, alice), 404, /no agent .* in your account/],
        ['an agent of another account', () => automationAssign({ conversationId: MARIA_SILVAS_CONVERSATION, assigneeId: DAVE_ID }, alice), 404, /no agent .* in your account/],
        ['the wrong method', () => fetch(`${origin}/demo-api/automation-assign`), 405, /takes POST/],
        ['a POST to the config', () => fetch(`${origin}/demo-api/config`, { method: 'POST', body: '{}' }), 405, /takes GET/],
        ['an unknown endpoint', () => fetch(`${origin}/demo-api/nothing`, { method: 'POST', body: '{}' }), 404, /no \/demo-api\/nothing/],
      ];
      for (const [what, request, status, message] of cases) {
        const response = await request();
        assert.equal(response.status, status, what);
        assert.match(response.headers.get('content-type') ?? '', /json/, what);
        assert.match(((await response.json()) as { message: string }).message, message, what);
      }
      assert.equal((await automationAssign({ conversationId: MARIA_SILVAS_CONVERSATION, assigneeId: 'x' }, alice)).headers.get('allow'), null);
      assert.equal((await fetch(`${origin}/demo-api/config`, { method: 'DELETE' })).headers.get('allow'), 'GET');
    } finally {
      console.error = consoleError;
    }
    assert.deepEqual(logged, [], 'bad input is the caller’s business, not the console’s');
    assert.equal(await assigneeOf(MARIA_SILVAS_CONVERSATION), before);
  });
});
