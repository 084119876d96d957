import type { Queryable } from './db.js';

/** The audience and role GoTrue gives every user it creates (its JWT_AUD and default group). */
export const DEFAULT_AUDIENCE = 'authenticated';
export const DEFAULT_ROLE = 'authenticated';

type Timestamp = Date | null;

interface IdentityRow {
  id: string;
  provider_id: string;
  user_id: string;
  identity_data: Record<string, unknown> | null;
  provider: string;
  last_sign_in_at: string | null;
  created_at: string | null;
  updated_at: string | null;
  email: string | null;
}

/** An auth.users row with what Auth shows of it, its identities included. */
export interface UserRow {
  id: string;
  aud: string | null;
  role: string | null;
  email: string | null;
  phone: string | null;
  email_confirmed_at: Timestamp;
  phone_confirmed_at: Timestamp;
  invited_at: Timestamp;
  confirmation_sent_at: Timestamp;
  recovery_sent_at: Timestamp;
  email_change: string | null;
  email_change_sent_at: Timestamp;
  last_sign_in_at: Timestamp;
  raw_app_meta_data: Record<string, unknown> | null;
  raw_user_meta_data: Record<string, unknown> | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  banned_until: Timestamp;
  deleted_at: Timestamp;
  is_anonymous: boolean;
  identities: IdentityRow[];
}

// Identities come along in the same query; json_agg keeps the user a single row.
const userColumns = `
  u.id, u.aud, u.role, u.email, u.phone, u.email_confirmed_at, u.phone_confirmed_at, u.invited_at,
  u.confirmation_sent_at, u.recovery_sent_at, u.email_change, u.email_change_sent_at, u.last_sign_in_at,
  u.raw_app_meta_data, u.raw_user_meta_data, u.created_at, u.updated_at, u.banned_until, u.deleted_at,
  u.is_anonymous,
  coalesce((
    select json_agg(json_build_object(
        'id', i.id, 'provider_id', i.provider_id, 'user_id', i.user_id, 'identity_data', i.identity_data,
        'provider', i.provider, 'last_sign_in_at', i.last_sign_in_at, 'created_at', i.created_at,
        'updated_at', i.updated_at, 'email', i.email)
      order by i.created_at, i.id)
    from auth.identities i where i.user_id = u.id
  ), '[]'::json) as identities`;

export async function findUserById(db: Queryable, id: string): Promise<UserRow | undefined> {
  const { rows } = await db.query<UserRow>(`select ${userColumns} from auth.users u where u.id = $1`, [id]);
  return rows[0];
}

/**
 * The user signing in with this email (any case, as GoTrue compares lower-cased) and whether the
 * password matches its bcrypt hash. A user without a bcrypt hash never matches: crypt() would
 * raise on a malformed salt, so the hash's shape is checked first.
 */
export async function findUserByPassword(
  db: Queryable,
  email: string,
  password: string,
): Promise<{ user: UserRow; passwordMatches: boolean } | undefined> {
  const { rows } = await db.query<UserRow & { password_matches: boolean }>(
    `select ${userColumns},
       case when u.encrypted_password ~ '^[$]2[abxy]?[$][0-9]{2}[$]'
         then extensions.crypt($2, u.encrypted_password) = u.encrypted_password
         else false end as password_matches
     from auth.users u
     where lower(u.email) = lower($1) and u.aud = $3 and u.is_sso_user = false`,
    [email, password, DEFAULT_AUDIENCE],
  );
  const row = rows[0];
  if (!row) return undefined;
  const { password_matches: passwordMatches, ...user } = row;
  return { user, passwordMatches };
}

/** GoTrue bumps last_sign_in_at (and, through its ORM, updated_at) on every sign-in. */
export async function markSignedIn(db: Queryable, id: string): Promise<void> {
  await db.query('update auth.users set last_sign_in_at = now(), updated_at = now() where id = $1', [id]);
}

export async function emailIsTaken(db: Queryable, email: string): Promise<boolean> {
  const { rowCount } = await db.query(
    'select 1 from auth.users where lower(email) = lower($1) and aud = $2 and is_sso_user = false',
    [email, DEFAULT_AUDIENCE],
  );
  return (rowCount ?? 0) > 0;
}

export interface NewUser {
  id: string | undefined;
  email: string;
  password: string;
  role: string;
  emailConfirmed: boolean;
  appMetadata: Record<string, unknown>;
  userMetadata: Record<string, unknown>;
}

/**
 * Inserts a user and its email identity as GoTrue's admin API writes them (bcrypt cost 10, its
 * default; empty token columns rather than NULL, which GoTrue's scanner cannot read).
 */
export async function insertUser(db: Queryable, user: NewUser): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
       raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
       confirmation_token, recovery_token, email_change_token_new, email_change, is_sso_user, is_anonymous)
     values ('00000000-0000-0000-0000-000000000000', coalesce($1::uuid, gen_random_uuid()), $2, $3, $4,
       extensions.crypt($5, extensions.gen_salt('bf', 10)), case when $6::boolean then now() end,
       $7::jsonb, $8::jsonb, now(), now(), '', '', '', '', false, false)
     returning id`,
    [
      user.id ?? null,
      DEFAULT_AUDIENCE,
      user.role,
      user.email,
      user.password,
      user.emailConfirmed,
      JSON.stringify(user.appMetadata),
      JSON.stringify(user.userMetadata),
    ],
  );
  const id = rows[0]!.id;
  await db.query(
    `insert into auth.identities (provider_id, user_id, identity_data, provider, created_at, updated_at)
     values ($1::text, $1::text::uuid, jsonb_build_object('sub', $1::text, 'email', $2::text,
       'email_verified', false, 'phone_verified', false), 'email', now(), now())`,
    [id, user.email],
  );
  return id;
}

/**
 * Removes a user as GoTrue does: a hard delete takes the row (identities follow by foreign key);
 * a soft delete keeps the row but makes it unusable and anonymous. Either way every session ends,
 * since refresh tokens here carry no foreign key to cascade.
 */
export async function deleteUser(db: Queryable, id: string, soft: boolean): Promise<void> {
  await db.query('delete from auth.refresh_tokens where user_id = $1', [id]);
  if (!soft) {
    await db.query('delete from auth.users where id = $1', [id]);
    return;
  }
  await db.query('delete from auth.identities where user_id = $1', [id]);
  await db.query(
    `update auth.users set deleted_at = coalesce(deleted_at, now()), email = null, phone = null,
       encrypted_password = '', raw_app_meta_data = '{}', raw_user_meta_data = '{}', updated_at = now()
     where id = $1`,
    [id],
  );
}

const iso = (value: Date | string | null): string | undefined =>
  value === null ? undefined : new Date(value).toISOString();

/** Drops undefined members, as Go's `omitempty` leaves them out of GoTrue's JSON. */
function withoutEmpty(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
}

/** The user as GoTrue's JSON shows it (models.User), in its field order. */
export function userJson(user: UserRow): Record<string, unknown> {
  const confirmedAt = [user.email_confirmed_at, user.phone_confirmed_at]
    .filter((value): value is Date => value !== null)
    .sort((a, b) => a.getTime() - b.getTime())[0];
  return withoutEmpty({
    id: user.id,
    aud: user.aud ?? '',
    role: user.role ?? '',
    email: user.email ?? '',
    email_confirmed_at: iso(user.email_confirmed_at),
    invited_at: iso(user.invited_at),
    phone: user.phone ?? '',
    phone_confirmed_at: iso(user.phone_confirmed_at),
    confirmation_sent_at: iso(user.confirmation_sent_at),
    // GoTrue's confirmed_at is a generated column: the earlier of the two confirmations.
    confirmed_at: confirmedAt ? confirmedAt.toISOString() : undefined,
    recovery_sent_at: iso(user.recovery_sent_at),
    new_email: user.email_change || undefined,
    email_change_sent_at: iso(user.email_change_sent_at),
    last_sign_in_at: iso(user.last_sign_in_at),
    app_metadata: user.raw_app_meta_data ?? {},
    user_metadata: user.raw_user_meta_data ?? {},
    identities: user.identities.map(identityJson),
    created_at: iso(user.created_at) ?? new Date(0).toISOString(),
    updated_at: iso(user.updated_at) ?? new Date(0).toISOString(),
    banned_until: iso(user.banned_until),
    deleted_at: iso(user.deleted_at),
    is_anonymous: user.is_anonymous,
  });
}

function identityJson(identity: IdentityRow): Record<string, unknown> {
  return withoutEmpty({
    identity_id: identity.id,
    id: identity.provider_id,
    user_id: identity.user_id,
    identity_data: identity.identity_data ?? undefined,
    provider: identity.provider,
    last_sign_in_at: iso(identity.last_sign_in_at),
    created_at: iso(identity.created_at),
    updated_at: iso(identity.updated_at),
    email: identity.email ?? undefined,
  });
}

export function isBanned(user: UserRow, now = new Date()): boolean {
  return user.banned_until !== null && user.banned_until > now;
}
