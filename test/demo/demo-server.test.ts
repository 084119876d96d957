// The demo server (`npm start`): it serves the page with its TypeScript compiled and imports
// resolved, tells the page where Supabase is without any secret, and its automation and customer
// endpoints act only for a signed-in agent, inside that agent's account. The page's deal controls
// (demo/deal-data.ts) act through supabase-js as the agent, over the seeded deals.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import WebSocket from 'ws';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { startDemo, type Demo } from '../../demo/server/demo-server.js';
import { customerTexts } from '../../demo/server/customer-message.js';
import { changeDeal, loadDeals, type DealRow } from '../../demo/deal-data.js';

const ALICE = 'alice@acme.test';
const BOB = 'bob@acme.test';
const DAVE = 'dave@globex.test';
const ALICE_ID = 'a11ce000-0000-4000-8000-000000000001';
const BOB_ID = 'b0b00000-0000-4000-8000-000000000002';
const CAROL_ID = 'ca201000-0000-4000-8000-000000000003';
const DAVE_ID = 'da7e0000-0000-4000-8000-000000000004';
/** A well-formed uuid that names nothing. */
const NOBODY = '00000000-0000-4000-8000-00000000dead';
const MARIA_SILVAS_CONVERSATION = 'c0de0000-0000-4000-8000-000000000001';
/** Assigned to Bob by the seed, with no customer message yet. */
const AHMEDS_CONVERSATION = 'c0de0000-0000-4000-8000-000000000004';
/** Globex's, assigned to Dave. */
const HANKS_CONVERSATION = 'c0de0000-0000-4000-8000-000000000101';
/** The seed's deals (supabase/seed.sql): João's is Bob's, in Proposal; the jackets are Carol's, in Lead. */
const JOAOS_DEAL = 'dea10000-0000-4000-8000-000000000001';
const INVOICE_DEAL = 'dea10000-0000-4000-8000-000000000002';
const JACKETS_DEAL = 'dea10000-0000-4000-8000-000000000003';

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

  const customerMessage = (body: unknown, token?: string) =>
    fetch(`${origin}/demo-api/customer-message`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  const messageCount = async () => Number((await db.query('select count(*) from public.messages')).rows[0].count);

  /** The recipient's message_received rows for a conversation, as the trigger left them. */
  const messageNotifications = async (userId: string, conversationId: string) =>
    (
      await db.query(
        `select title, body, actor_user_id, read_at, data from public.notifications
          where user_id = $1 and conversation_id = $2 and type = 'message_received'`,
        [userId, conversationId],
      )
    ).rows;

  /** A supabase-js client signed in as a seeded agent, as the page holds one. */
  async function signedIn(email: string): Promise<SupabaseClient> {
    const client = createClient(demo.supabase.url, demo.supabase.anonKey, {
      auth: { persistSession: false, autoRefreshToken: false },
      realtime: { transport: WebSocket as never }, // Node 20 has no WebSocket of its own
    });
    const { error } = await client.auth.signInWithPassword({ email, password: 'wacrm-demo' });
    assert.equal(error, null);
    return client;
  }

  const dealNotifications = async (userId: string, dealId: string) =>
    (
      await db.query(
        `select body, actor_user_id, data ->> 'change' as change from public.notifications
          where user_id = $1 and type = 'deal_updated' and data ->> 'deal_id' = $2 order by created_at`,
        [userId, dealId],
      )
    ).rows;

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

  it('a customer writes, as the webhook inserts it: the message, the conversation and the assignee’s notification', async () => {
    const alice = await accessToken(ALICE);
    const response = await customerMessage({ conversationId: AHMEDS_CONVERSATION, text: '  Where is my refund?  ' }, alice);
    assert.equal(response.status, 201);
    const answer = (await response.json()) as { messageId: string; text: string };
    assert.equal(answer.text, 'Where is my refund?');

    const { rows: messages } = await db.query(
      'select conversation_id, sender_type, sender_id, content_type, content_text from public.messages where id = $1',
      [answer.messageId],
    );
    assert.deepEqual(messages, [
      { conversation_id: AHMEDS_CONVERSATION, sender_type: 'customer', sender_id: null, content_type: 'text', content_text: 'Where is my refund?' },
    ]);
    const { rows: conversations } = await db.query(
      'select last_message_text, unread_count from public.conversations where id = $1',
      [AHMEDS_CONVERSATION],
    );
    assert.deepEqual(conversations, [{ last_message_text: 'Where is my refund?', unread_count: 1 }]);
    assert.deepEqual(await messageNotifications(BOB_ID, AHMEDS_CONVERSATION), [
      {
        title: 'New message from Ahmed Hassan',
        body: 'Where is my refund?',
        actor_user_id: null,
        read_at: null,
        data: { contact_name: 'Ahmed Hassan', excerpt: 'Where is my refund?', content_type: 'text', message_count: 1 },
      },
    ]);

    // Without a text, one of the demo's customers' lines; folded into Bob's unread row.
    const again = await customerMessage({ conversationId: AHMEDS_CONVERSATION }, alice);
    assert.equal(again.status, 201);
    const { text } = (await again.json()) as { text: string };
    assert.ok((customerTexts as readonly string[]).includes(text), text);
    const [folded, ...others] = await messageNotifications(BOB_ID, AHMEDS_CONVERSATION);
    assert.deepEqual(others, []);
    assert.equal(folded.body, text);
    assert.equal(folded.data.message_count, 2);
  });

  it('a customer writes on an unassigned conversation: the message, no notification', async () => {
    const lisasConversation = 'c0de0000-0000-4000-8000-000000000102';
    const notificationsBefore = (await db.query('select count(*) from public.notifications')).rows[0].count;
    const response = await customerMessage({ conversationId: lisasConversation, text: 'Homework help, please' }, await accessToken(DAVE));
    assert.equal(response.status, 201);
    const { rows } = await db.query(`select count(*)::int as count from public.messages where conversation_id = $1 and content_text = 'Homework help, please'`, [
      lisasConversation,
    ]);
    assert.deepEqual(rows, [{ count: 1 }]);
    assert.equal((await db.query('select count(*) from public.notifications')).rows[0].count, notificationsBefore);
  });

  it('the customer endpoint refuses callers without a session (401), outside the account (404), and bad input (400)', async () => {
    const before = await messageCount();
    const alice = await accessToken(ALICE);
    const dave = await accessToken(DAVE);
    const logged: unknown[][] = [];
    const consoleError = console.error;
    console.error = (...args: unknown[]) => void logged.push(args);
    try {
      const body = { conversationId: AHMEDS_CONVERSATION, text: 'hello' };
      const cases: [string, () => Promise<Response>, number, RegExp][] = [
        ['no token', () => customerMessage(body), 401, /sign in first/],
        ['not a token', () => customerMessage(body, 'not-a-token'), 401, /not valid/],
        ['the anon key', () => customerMessage(body, demo.supabase.anonKey), 401, /not valid/],
        ['another account’s conversation', () => customerMessage(body, dave), 404, /no conversation .* in your account/],
        ['Acme’s agent on Globex’s conversation', () => customerMessage({ conversationId: HANKS_CONVERSATION }, alice), 404, /in your account/],
        ['an unknown conversation', () => customerMessage({ conversationId: NOBODY }, alice), 404, /no conversation .* in your account/],
        ['a conversation that is not a uuid', () => customerMessage({ conversationId: 'x' }, alice), 400, /conversationId must be a uuid, not "x"/],
        ['a uuid with SQL around it', () => customerMessage({ conversationId: `${AHMEDS_CONVERSATION}' or '1'='1` }, alice), 400, /must be a uuid/],
        ['no conversation', () => customerMessage({ text: 'hi' }, alice), 400, /conversationId is missing: send \{"conversationId"/],
        ['a number for a text', () => customerMessage({ conversationId: AHMEDS_CONVERSATION, text: 42 }, alice), 400, /text must be a string, not 42/],
        ['a blank text', () => customerMessage({ conversationId: AHMEDS_CONVERSATION, text: ' \n ' }, alice), 400, /text is blank/],
        ['a text too long', () => customerMessage({ conversationId: AHMEDS_CONVERSATION, text: 'a'.repeat(1001) }, alice), 400, /at most 1000/],
        ['a NUL in the text', () => customerMessage({ conversationId: AHMEDS_CONVERSATION, text: 'a\u0000b' }, alice), 400, /database refused/],
        ['not JSON', () => customerMessage('{', alice), 400, /must be JSON: \{"conversationId": "<uuid>", "text"\?/],
        ['a JSON array', () => customerMessage('[]', alice), 400, /JSON object/],
        ['the wrong method', () => fetch(`${origin}/demo-api/customer-message`), 405, /takes POST/],
      ];
      for (const [what, request, status, message] of cases) {
        const response = await request();
        assert.equal(response.status, status, what);
        assert.match(response.headers.get('content-type') ?? '', /json/, what);
        assert.match(((await response.json()) as { message: string }).message, message, what);
      }
    } finally {
      console.error = consoleError;
    }
    assert.deepEqual(logged, [], 'bad input is the caller’s business, not the console’s');
    assert.equal(await messageCount(), before, 'nothing refused was written');
  });

  it('the page’s deal controls: a teammate’s move and win notify the assignee by name; your own, nobody', async () => {
    const alice = await signedIn(ALICE);
    const deals = await loadDeals(alice);
    const byId = (id: string) => deals.find((deal) => deal.id === id)!;
    assert.deepEqual(
      deals.map((deal) => deal.title).sort(),
      ['Annual plan for João', 'Blue jackets, 40 units', 'Canary Islands shipping', 'Invoice correction'],
      'Acme’s deals only',
    );
    const joao = byId(JOAOS_DEAL);
    assert.deepEqual(
      { stage: joao.stage.name, next: joao.nextStage?.name, status: joao.status, assignee: joao.assigneeName, assigneeUserId: joao.assigneeUserId },
      { stage: 'Proposal', next: 'Negotiation', status: 'open', assignee: 'Bob Chen', assigneeUserId: BOB_ID },
    );
    assert.equal(byId(INVOICE_DEAL).status, 'won');

    const before = (await dealNotifications(BOB_ID, JOAOS_DEAL)).length;
    await changeDeal(alice, joao, { stage_id: joao.nextStage!.id });
    const moved = (await loadDeals(alice)).find((deal) => deal.id === JOAOS_DEAL)!;
    assert.equal(moved.stage.name, 'Negotiation');
    assert.equal(moved.nextStage, null, 'Negotiation is the last stage');
    await changeDeal(alice, moved, { status: 'won' });
    assert.deepEqual((await dealNotifications(BOB_ID, JOAOS_DEAL)).slice(before), [
      { body: 'Alice Martin moved Annual plan for João to Negotiation', actor_user_id: ALICE_ID, change: 'stage' },
      { body: 'Alice Martin marked Annual plan for João as won', actor_user_id: ALICE_ID, change: 'status' },
    ]);

    // The row the page still shows is stale now: the change is refused, not applied over the win.
    await assert.rejects(changeDeal(alice, joao, { status: 'lost' }), /changed meanwhile/);
    // Dave (Globex) sees none of Acme's deals and cannot change one (RLS).
    const dave = await signedIn(DAVE);
    assert.deepEqual((await loadDeals(dave)).map((deal) => deal.title), ['Doomsday device']);
    const jackets: DealRow = byId(JACKETS_DEAL);
    await assert.rejects(changeDeal(dave, jackets, { status: 'won' }), /you may not change it/);
    // Bob reopens his own deal: nobody is told.
    const bob = await signedIn(BOB);
    const won = (await loadDeals(bob)).find((deal) => deal.id === JOAOS_DEAL)!;
    const count = (await dealNotifications(BOB_ID, JOAOS_DEAL)).length;
    await changeDeal(bob, won, { status: 'open' });
    assert.equal((await dealNotifications(BOB_ID, JOAOS_DEAL)).length, count);
    const { rows } = await db.query('select status, stage_id from public.deals where id = $1', [JACKETS_DEAL]);
    assert.equal(rows[0].status, 'open', 'Dave changed nothing');
  });
});
