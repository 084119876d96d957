// Auth as supabase-js sees it: password sign-in, the user, refresh-token rotation, expiry,
// sign-out and the admin users API. Every test drives the real client (or plain HTTP where the
// wire format itself is the behaviour) and runs unchanged against a real Supabase stack, except
// where it needs the stand-in's own settings.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, type AuthChangeEvent, type SupabaseClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { Fixtures, PASSWORD, type Agent } from '../support/fixtures.js';
import { needsStandIn, nodeClient, startTarget, type Target } from '../support/target.js';

let target: Target;
let fixtures: Fixtures;
let accountId: string;

before(async () => {
  target = await startTarget();
  fixtures = new Fixtures(target);
  accountId = await fixtures.account('Auth tests');
});
after(async () => {
  await fixtures?.end();
  await target?.stop();
});

function claimsOf(accessToken: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString('utf8'));
}

async function signedIn(agent: Agent): Promise<{ client: SupabaseClient; accessToken: string; refreshToken: string }> {
  const client = nodeClient(target);
  const { data, error } = await client.auth.signInWithPassword({ email: agent.email, password: PASSWORD });
  assert.equal(error, null);
  return { client, accessToken: data.session.access_token, refreshToken: data.session.refresh_token };
}

/** `promise`, or a failure after `ms` (the timer is cleared either way). */
async function within<T>(ms: number, promise: Promise<T>, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const authUrl = (path: string) => `${target.url}/auth/v1${path}`;

test('signing in with email and password gives a session whose token says who signed in', async () => {
  const agent = await fixtures.agent(accountId, 'Signing In');
  const client = nodeClient(target);
  const before = Math.floor(Date.now() / 1000);
  const { data, error } = await client.auth.signInWithPassword({ email: agent.email, password: PASSWORD });
  assert.equal(error, null);
  const session = data.session;
  assert.equal(session.token_type, 'bearer');
  assert.equal(session.user.id, agent.id);
  assert.equal(session.user.email, agent.email);
  assert.ok(session.refresh_token.length >= 12);
  assert.ok(session.expires_at! >= before + session.expires_in - 1);

  const claims = claimsOf(session.access_token);
  assert.equal(claims.sub, agent.id);
  assert.equal(claims.role, 'authenticated');
  assert.equal(claims.aud, 'authenticated');
  assert.equal(claims.email, agent.email);
  assert.equal(claims.aal, 'aal1');
  assert.equal(claims.is_anonymous, false);
  assert.equal(claims.iss, `${target.url}/auth/v1`);
  assert.equal((claims.exp as number) - (claims.iat as number), session.expires_in);
  assert.match(String(claims.session_id), /^[0-9a-f-]{36}$/);
  assert.deepEqual((claims.amr as Array<{ method: string }>).map((entry) => entry.method), ['password']);
  assert.equal((claims.app_metadata as Record<string, unknown>).provider, 'email');

  // Signing in is recorded on the user.
  assert.ok(Date.parse(session.user.last_sign_in_at!) >= (before - 1) * 1000);
});

test('the email is matched whatever its case', async () => {
  const agent = await fixtures.agent(accountId, 'Case Insensitive');
  const client = nodeClient(target);
  const { data, error } = await client.auth.signInWithPassword({ email: agent.email.toUpperCase(), password: PASSWORD });
  assert.equal(error, null);
  assert.equal(data.user?.id, agent.id);
});

test('a wrong password or an unknown email is refused with the same "Invalid login credentials"', async () => {
  const agent = await fixtures.agent(accountId, 'Wrong Password');
  const client = nodeClient(target);
  for (const attempt of [
    { email: agent.email, password: 'not-the-password' },
    { email: `nobody-${agent.id}@example.test`, password: PASSWORD },
  ]) {
    const { data, error } = await client.auth.signInWithPassword(attempt);
    assert.equal(data.session, null);
    assert.equal(error?.name, 'AuthApiError');
    assert.equal(error?.message, 'Invalid login credentials');
    assert.equal(error?.status, 400);
    assert.equal(error?.code, 'invalid_credentials');
  }
});

test('errors come in GoTrue\'s two shapes: {code, message} for the 2024-01-01 API, {code, error_code, msg} before', async () => {
  const body = JSON.stringify({ email: 'nobody@example.test', password: 'wrong' });
  const headers = { apikey: target.anonKey, 'Content-Type': 'application/json' };
  const legacy = await fetch(authUrl('/token?grant_type=password'), { method: 'POST', headers, body });
  assert.equal(legacy.status, 400);
  assert.deepEqual(await legacy.json(), { code: 400, error_code: 'invalid_credentials', msg: 'Invalid login credentials' });

  const current = await fetch(authUrl('/token?grant_type=password'), {
    method: 'POST',
    headers: { ...headers, 'X-Supabase-Api-Version': '2024-01-01' },
    body,
  });
  assert.equal(current.status, 400);
  assert.equal(current.headers.get('x-supabase-api-version'), '2024-01-01');
  assert.deepEqual(await current.json(), { code: 'invalid_credentials', message: 'Invalid login credentials' });
});

test('getUser returns the signed-in user with its identities and metadata', async () => {
  const agent = await fixtures.agent(accountId, 'Get User');
  const { client } = await signedIn(agent);
  const { data, error } = await client.auth.getUser();
  assert.equal(error, null);
  const user = data.user;
  assert.equal(user.id, agent.id);
  assert.equal(user.email, agent.email);
  assert.equal(user.aud, 'authenticated');
  assert.equal(user.role, 'authenticated');
  assert.ok(user.email_confirmed_at);
  assert.ok(user.confirmed_at);
  assert.ok(user.last_sign_in_at);
  assert.equal(user.app_metadata.provider, 'email');
  assert.deepEqual(user.identities?.map((identity) => [identity.provider, identity.user_id]), [['email', agent.id]]);
  assert.equal(user.is_anonymous, false);
});

test('GET /user without a token is 401; with a token that is not ours it is 403 bad_jwt', async () => {
  const missing = await fetch(authUrl('/user'), { headers: { apikey: target.anonKey } });
  assert.equal(missing.status, 401);
  assert.equal((await missing.json()).error_code, 'no_authorization');

  const agent = await fixtures.agent(accountId, 'Forged Token');
  const forged = fixtures.token(agent).slice(0, -4) + 'AAAA';
  const { data, error } = await nodeClient(target).auth.getUser(forged);
  assert.equal(data.user, null);
  assert.equal(error?.status, 403);
  assert.equal(error?.code, 'bad_jwt');
});

test('refreshSession rotates the refresh token; the answer to a lost refresh can be fetched again', async () => {
  const agent = await fixtures.agent(accountId, 'Rotation');
  const { client, accessToken, refreshToken: first } = await signedIn(agent);

  const { data, error } = await client.auth.refreshSession();
  assert.equal(error, null);
  const second = data.session!;
  assert.notEqual(second.refresh_token, first);
  assert.equal(claimsOf(second.access_token).session_id, claimsOf(accessToken).session_id);
  assert.equal((await client.auth.getUser(second.access_token)).data.user?.id, agent.id);

  // The previous token is spent, but a client that never saw the answer gets the same session back.
  const { data: again, error: againError } = await nodeClient(target).auth.refreshSession({ refresh_token: first });
  assert.equal(againError, null);
  assert.equal(again.session?.refresh_token, second.refresh_token);
});

test('a replayed old refresh token is refused and ends the session', { skip: needsStandIn }, async () => {
  // Supabase lets a spent token through for its reuse interval (10 s by default); the stand-in
  // refuses at once, so a test sees what a replay after that interval does.
  const agent = await fixtures.agent(accountId, 'Replay');
  const { client, refreshToken: first } = await signedIn(agent);
  await client.auth.refreshSession();
  const { data } = await client.auth.refreshSession();
  const third = data.session!.refresh_token;

  const replay = await nodeClient(target).auth.refreshSession({ refresh_token: first });
  assert.equal(replay.data.session, null);
  assert.equal(replay.error?.status, 400);
  assert.equal(replay.error?.code, 'refresh_token_already_used');
  assert.equal(replay.error?.message, 'Invalid Refresh Token: Already Used');

  // The whole family is revoked: the holder of the newest token is signed out too.
  const { error } = await nodeClient(target).auth.refreshSession({ refresh_token: third });
  assert.equal(error?.code, 'refresh_token_already_used');
});

test('an unknown refresh token is refused as not found', async () => {
  const { data, error } = await nodeClient(target).auth.refreshSession({ refresh_token: 'no-such-token' });
  assert.equal(data.session, null);
  assert.equal(error?.status, 400);
  assert.equal(error?.code, 'refresh_token_not_found');
});

test('signOut ends the session: its refresh token and access token stop working', async () => {
  const agent = await fixtures.agent(accountId, 'Sign Out');
  const { client, accessToken, refreshToken } = await signedIn(agent);
  assert.equal((await client.auth.signOut()).error, null);
  assert.equal((await client.auth.getSession()).data.session, null);

  const other = nodeClient(target);
  const refreshed = await other.auth.refreshSession({ refresh_token: refreshToken });
  assert.equal(refreshed.data.session, null);
  assert.equal(refreshed.error?.code, 'refresh_token_not_found');

  const { data, error } = await other.auth.getUser(accessToken);
  assert.equal(data.user, null);
  assert.equal(error?.name, 'AuthSessionMissingError');
});

test('signOut with scope "local" leaves the user\'s other sessions signed in', async () => {
  const agent = await fixtures.agent(accountId, 'Two Devices');
  const laptop = await signedIn(agent);
  const phone = await signedIn(agent);
  assert.equal((await laptop.client.auth.signOut({ scope: 'local' })).error, null);

  assert.equal((await nodeClient(target).auth.refreshSession({ refresh_token: laptop.refreshToken })).error?.code, 'refresh_token_not_found');
  const { data, error } = await phone.client.auth.refreshSession();
  assert.equal(error, null);
  assert.equal(data.user?.id, agent.id);
});

test('admin.createUser needs the service_role key; the user it creates can sign in', async () => {
  const email = `created-${Date.now()}-${Math.random().toString(36).slice(2)}@example.test`;
  const attributes = {
    email,
    password: 'a-new-users-password',
    email_confirm: true,
    user_metadata: { full_name: 'Created By Admin' },
    app_metadata: { team: 'support' },
  };

  const refused = await nodeClient(target).auth.admin.createUser(attributes);
  assert.equal(refused.data.user, null);
  assert.equal(refused.error?.status, 403);
  assert.equal(refused.error?.code, 'not_admin');

  const admin = nodeClient(target, target.serviceRoleKey);
  const { data, error } = await admin.auth.admin.createUser(attributes);
  assert.equal(error, null);
  const user = data.user;
  assert.equal(user.email, email);
  assert.ok(user.email_confirmed_at);
  assert.equal(user.user_metadata.full_name, 'Created By Admin');
  assert.equal(user.app_metadata.team, 'support');
  assert.equal(user.app_metadata.provider, 'email');
  assert.deepEqual(user.identities?.map((identity) => identity.provider), ['email']);

  assert.equal((await admin.auth.admin.getUserById(user.id)).data.user?.email, email);

  const client = nodeClient(target);
  const signIn = await client.auth.signInWithPassword({ email, password: 'a-new-users-password' });
  assert.equal(signIn.error, null);
  assert.equal(signIn.data.user?.id, user.id);
  assert.equal(signIn.data.user?.user_metadata.full_name, 'Created By Admin');
});

test('an email that is already registered, in any case, is refused with 422 email_exists', async () => {
  const agent = await fixtures.agent(accountId, 'Duplicate');
  const admin = nodeClient(target, target.serviceRoleKey);
  const { data, error } = await admin.auth.admin.createUser({ email: agent.email.toUpperCase(), password: 'whatever-it-is' });
  assert.equal(data.user, null);
  assert.equal(error?.status, 422);
  assert.equal(error?.code, 'email_exists');
});

test('deleting a user ends its sessions and its password no longer signs in', async () => {
  const admin = nodeClient(target, target.serviceRoleKey);
  const email = `deleted-${Date.now()}-${Math.random().toString(36).slice(2)}@example.test`;
  const created = await admin.auth.admin.createUser({ email, password: 'short-lived-user', email_confirm: true });
  assert.equal(created.error, null);
  const client = nodeClient(target);
  const { data } = await client.auth.signInWithPassword({ email, password: 'short-lived-user' });
  const session = data.session!;

  assert.equal((await admin.auth.admin.deleteUser(created.data.user.id)).error, null);

  const refreshed = await nodeClient(target).auth.refreshSession({ refresh_token: session.refresh_token });
  assert.equal(refreshed.data.session, null);
  assert.equal(refreshed.error?.status, 400);
  assert.equal((await client.auth.getUser(session.access_token)).data.user, null);
  const again = await nodeClient(target).auth.signInWithPassword({ email, password: 'short-lived-user' });
  assert.equal(again.error?.code, 'invalid_credentials');
  const lookup = await admin.auth.admin.getUserById(created.data.user.id);
  assert.equal(lookup.error?.status, 404);
  assert.equal(lookup.error?.code, 'user_not_found');
});

test('settings say email sign-in is on', async () => {
  const response = await fetch(authUrl('/settings'), { headers: { apikey: target.anonKey } });
  assert.equal(response.status, 200);
  assert.equal((await response.json()).external.email, true);
});

// Expiry needs a stand-in whose tokens live two seconds.
test('an expired access token is refused, and the client refreshes before using its session', { skip: needsStandIn }, async () => {
  const shortLived = await startTarget({ jwtExpiry: 2 });
  const shortFixtures = new Fixtures(shortLived);
  try {
    const agent = await shortFixtures.agent(await shortFixtures.account('Expiry'), 'Expiring');
    const client = createClient(shortLived.url, shortLived.anonKey, {
      auth: { persistSession: false, autoRefreshToken: true, detectSessionInUrl: false },
      realtime: { transport: WebSocket as never },
    });
    const events: AuthChangeEvent[] = [];
    client.auth.onAuthStateChange((event) => void events.push(event));
    const { data, error } = await client.auth.signInWithPassword({ email: agent.email, password: PASSWORD });
    assert.equal(error, null);
    const original = data.session;
    assert.equal(original.expires_in, 2);

    await new Promise((resolve) => setTimeout(resolve, 3000));
    const stale = await client.auth.getUser(original.access_token);
    assert.equal(stale.data.user, null);
    assert.equal(stale.error?.status, 403);
    assert.equal(stale.error?.code, 'bad_jwt');

    // The client notices the session expired and refreshes it before asking for the user.
    const fresh = await client.auth.getUser();
    assert.equal(fresh.error, null);
    assert.equal(fresh.data.user?.id, agent.id);
    const { session } = (await client.auth.getSession()).data;
    assert.notEqual(session?.access_token, original.access_token);
    assert.ok(session!.expires_at! > Math.floor(Date.now() / 1000) - 1);
    assert.ok(events.includes('TOKEN_REFRESHED'));

    // And the auto-refresh ticker does it on its own, with no call from the app.
    const refreshedOnItsOwn = new Promise<void>((resolve) =>
      client.auth.onAuthStateChange((event) => {
        if (event === 'TOKEN_REFRESHED') resolve();
      }),
    );
    await client.auth.startAutoRefresh();
    await within(5000, refreshedOnItsOwn, 'no TOKEN_REFRESHED from the auto-refresh ticker within 5 s');
    await client.auth.stopAutoRefresh();
  } finally {
    await shortFixtures.end();
    await shortLived.stop();
  }
});
