import { chmod, lstat, mkdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { blockedAt, describeDirectory } from './access.js';
import { PostgresStartError } from './errors.js';
import type { ServerUser } from './server-user.js';

/**
 * Where root keeps what the `postgres` user must reach but a private clone cannot offer: the copy
 * of the PostgreSQL binaries, and the databases whose requested folder lies inside a private one.
 * /var/lib first, as those databases are meant to last (a temp folder may be emptied at boot or
 * aged out file by file); the temp folder when /var/lib is read-only.
 */
export const WORKSPACE_CANDIDATES = ['/var/lib/wacrm-supabase-local', join(tmpdir(), 'wacrm-supabase-local')];

/** Creates a directory (and missing parents) that anyone may enter and only its owner may change. */
export async function makeOpenDirectory(path: string): Promise<void> {
  // mkdir's mode is cut by the umask (077 would shut `postgres` out): set it on each new level.
  const firstCreated = await mkdir(path, { recursive: true, mode: 0o755 });
  if (!firstCreated) return;
  for (let level = path; ; level = dirname(level)) {
    await chmod(level, 0o755);
    if (level === firstCreated) return;
  }
}

/**
 * A directory owned by root, writable by root alone (nobody else can swap the binaries PostgreSQL
 * runs from), that `user` can reach. Throws one PostgresStartError listing why no candidate fits.
 */
export async function sharedWorkspace(user: ServerUser, candidates = WORKSPACE_CANDIDATES): Promise<string> {
  const refusals: string[] = [];
  for (const candidate of candidates) {
    const refusal = await unusable(candidate, user);
    if (!refusal) return candidate;
    refusals.push(`${candidate}: ${refusal}`);
  }
  throw new PostgresStartError(
    `PostgreSQL refuses to run as root, so it runs as the OS user ${user.name}, but no folder was found that ` +
      `root can keep its binaries in and ${user.name} can reach (${refusals.join('; ')}).`,
    'Run this command as an ordinary user, or set DATABASE_URL to a PostgreSQL of your own.',
  );
}

async function unusable(candidate: string, user: ServerUser): Promise<string | undefined> {
  try {
    await makeOpenDirectory(candidate);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? String(error);
  }
  const info = await lstat(candidate);
  if (info.isSymbolicLink() || !info.isDirectory()) return 'not a plain folder';
  if (info.uid !== 0) return `owned by uid ${info.uid}, not root`;
  if ((info.mode & 0o022) !== 0) return `writable by others (mode ${(info.mode & 0o777).toString(8)})`;
  if ((info.mode & 0o005) !== 0o005) await chmod(candidate, 0o755);
  // A parent that others may write to without the sticky bit would let them swap the folder.
  for (let parent = dirname(candidate); ; parent = dirname(parent)) {
    const parentInfo = await stat(parent);
    if ((parentInfo.mode & 0o002) !== 0 && (parentInfo.mode & 0o1000) === 0) return `${parent} is writable by anyone`;
    if (parentInfo.uid !== 0) return `${parent} is not owned by root`;
    if (parent === dirname(parent)) break;
  }
  const blocked = await blockedAt(candidate, user);
  if (blocked) return `${user.name} cannot enter ${await describeDirectory(blocked)}`;
  return undefined;
}
