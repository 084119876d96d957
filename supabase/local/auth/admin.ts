// /auth/v1/admin/users: what supabase-js's auth.admin needs to create, read and delete users.
import { randomBytes } from 'node:crypto';
import type { StandIn } from '../context.js';
import { inTransaction } from './db.js';
import { AuthError } from './errors.js';
import { optionalObject, optionalString, UUID_PATTERN } from './request.js';
import { DEFAULT_ROLE, deleteUser, emailIsTaken, findUserById, insertUser, userJson, type UserRow } from './users.js';

// GoTrue's own checks: a plausible address no longer than its column, and bcrypt's input limit.
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const MAX_EMAIL_LENGTH = 255;
const MAX_PASSWORD_BYTES = 72;

const emailExists = () =>
  new AuthError(422, 'email_exists', 'A user with this email address has already been registered');

/** Keys set to null are removed, as GoTrue merges metadata updates. */
function withoutNulls(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== null));
}

/** `POST /admin/users` `{email, password, email_confirm, user_metadata, app_metadata, role, id}`. */
export async function createUser(standIn: StandIn, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const rawEmail = optionalString(body, 'email') ?? '';
  if (optionalString(body, 'phone')) {
    throw new AuthError(422, 'phone_provider_disabled', 'The local Supabase stand-in creates users by email only');
  }
  if (rawEmail === '') throw new AuthError(400, 'validation_failed', 'Cannot create a user without either an email or phone');
  const email = rawEmail.trim().toLowerCase();
  if (email.length > MAX_EMAIL_LENGTH || !EMAIL_PATTERN.test(email)) {
    throw new AuthError(400, 'validation_failed', 'Unable to validate email address: invalid format');
  }
  if (optionalString(body, 'password_hash')) {
    throw new AuthError(400, 'validation_failed', 'The local Supabase stand-in does not import password hashes');
  }
  const id = optionalString(body, 'id');
  if (id !== undefined && !UUID_PATTERN.test(id)) {
    throw new AuthError(400, 'validation_failed', 'ID must conform to the uuid v4 format');
  }
  // Without a password GoTrue sets a random one: the user exists but cannot sign in with one yet.
  const password = optionalString(body, 'password') || randomPassword();
  if (Buffer.byteLength(password) > MAX_PASSWORD_BYTES) {
    throw new AuthError(400, 'validation_failed', 'bcrypt: password length exceeds 72 bytes');
  }
  const emailConfirmed = body.email_confirm === true;
  const userMetadata = withoutNulls(optionalObject(body, 'user_metadata') ?? {});
  // Confirming an address also records it in the user's metadata, as GoTrue's Confirm() does.
  if (emailConfirmed) userMetadata.email_verified = true;
  const appMetadata = withoutNulls({
    provider: 'email',
    providers: ['email'],
    ...(optionalObject(body, 'app_metadata') ?? {}),
  });

  const user = await inTransaction(standIn.adminPool, async (client) => {
    if (await emailIsTaken(client, email)) throw emailExists();
    try {
      const newId = await insertUser(client, {
        id,
        email,
        password,
        role: optionalString(body, 'role') || DEFAULT_ROLE,
        emailConfirmed,
        appMetadata,
        userMetadata,
      });
      return (await findUserById(client, newId))!;
    } catch (error) {
      // Two creations racing for one address: the unique index decides, the loser gets 422.
      if ((error as { code?: string }).code === '23505') {
        if ((error as { constraint?: string }).constraint === 'users_pkey') {
          throw new AuthError(422, 'user_already_exists', 'User already registered');
        }
        throw emailExists();
      }
      throw error;
    }
  });
  return userJson(user);
}

function randomPassword(): string {
  return randomBytes(32).toString('base64url');
}

/** The user a `/admin/users/<id>` path names, or GoTrue's 404s. */
async function userFromPath(standIn: StandIn, id: string): Promise<UserRow> {
  if (!UUID_PATTERN.test(id)) throw new AuthError(404, 'validation_failed', 'user_id must be an UUID');
  const user = await findUserById(standIn.adminPool, id);
  if (!user) throw new AuthError(404, 'user_not_found', 'User not found');
  return user;
}

export async function getUser(standIn: StandIn, id: string): Promise<Record<string, unknown>> {
  return userJson(await userFromPath(standIn, id));
}

/** `DELETE /admin/users/<id>` `{should_soft_delete}`: GoTrue answers an empty object. */
export async function removeUser(standIn: StandIn, id: string, body: Record<string, unknown>): Promise<Record<string, never>> {
  const user = await userFromPath(standIn, id);
  const soft = body.should_soft_delete === true;
  if (!(soft && user.deleted_at !== null)) {
    await inTransaction(standIn.adminPool, (client) => deleteUser(client, user.id, soft));
  }
  return {};
}
