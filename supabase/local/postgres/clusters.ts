import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { chown, lstat, mkdir, readdir, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { blockedAt, describeDirectory } from './access.js';
import { PostgresStartError } from './errors.js';
import { LINK_SUFFIX, OWNER_SUFFIX, reapAbandonedClusters, reapOrphanedDatabases, removeCluster } from './reaper.js';
import { run } from './run.js';
import { SERVER_ACCOUNT, type ServerUser } from './server-user.js';
import { makeOpenDirectory } from './workspace.js';

const THROW_AWAY_PREFIX = 'wacrm-pg-';

/** Where throw-away clusters go: the temp folder, unless root set one the server user cannot enter. */
async function throwAwayParent(user: ServerUser, workspace: string | undefined): Promise<string> {
  if (!workspace || !(await blockedAt(tmpdir(), user))) return tmpdir();
  const parent = join(workspace, 'throw-away');
  await makeOpenDirectory(parent);
  return parent;
}

/**
 * A new, empty folder for a throw-away cluster, owned by `user`. Its owner file is written first,
 * so that a cluster whose process died at any point of its life is found and removed later.
 */
export async function newThrowAwayCluster(user: ServerUser, workspace: string | undefined): Promise<string> {
  const parent = await throwAwayParent(user, workspace);
  await reapAbandonedClusters(parent, THROW_AWAY_PREFIX);
  const dataDir = join(parent, `${THROW_AWAY_PREFIX}${randomBytes(6).toString('hex')}`);
  try {
    await writeFile(`${dataDir}${OWNER_SUFFIX}`, String(process.pid));
  } catch (error) {
    throw new PostgresStartError(
      `a throw-away database cannot be created in ${parent} (${(error as NodeJS.ErrnoException).code ?? String(error)}).`,
      'Point TMPDIR at a folder you can write to, or free some space there.',
    );
  }
  try {
    await prepareClusterDirectory(dataDir, user);
  } catch (error) {
    await removeCluster(dataDir, OWNER_SUFFIX).catch(() => undefined);
    throw error;
  }
  return dataDir;
}

/**
 * The folder the persistent cluster asked for at `requested` really lives in. As root, PostgreSQL
 * runs as `postgres`, which cannot enter a private folder (a clone under /root): a new cluster
 * there goes to the workspace instead, and `requested` becomes a link to it, so that the next start
 * finds it, and deleting `requested` (or .supabase-local/) still starts over.
 */
export async function persistentCluster(requested: string, user: ServerUser, workspace: string | undefined): Promise<string> {
  const path = resolve(requested);
  const link = await lstat(path).catch(() => undefined);
  const actual = link?.isSymbolicLink() ? resolve(dirname(path), await readlink(path)) : path;
  // Only another user can be kept out; for itself, creating or opening the folder says what is wrong.
  const blocked = user.switched ? await blockedAt(actual, user) : undefined;
  if (!blocked) {
    await prepareClusterDirectory(actual, user);
    // The link may have moved with its clone: keep the record current, or the reaper removes it.
    if (workspace && dirname(actual) === movedDatabasesParent(workspace)) await writeFile(`${actual}${LINK_SUFFIX}`, path);
    return actual;
  }
  if (link || !workspace) {
    throw new PostgresStartError(
      `PostgreSQL refuses to run as root, so it runs as the OS user ${user.name}, which cannot reach the database ` +
        `in ${actual}: it may not enter ${await describeDirectory(blocked)}.`,
      `Delete ${path} to start over (the new database goes where ${user.name} can reach it, and the demo data is ` +
        'seeded again), or move it out of that folder, or run this command as an ordinary user.',
    );
  }
  return moveOutOfPrivateFolder(path, user, workspace);
}

const movedDatabasesParent = (workspace: string) => join(workspace, 'databases');

async function moveOutOfPrivateFolder(path: string, user: ServerUser, workspace: string): Promise<string> {
  const parent = movedDatabasesParent(workspace);
  await makeOpenDirectory(parent);
  await reapOrphanedDatabases(parent);
  const dataDir = join(parent, `${basename(path)}-${randomBytes(6).toString('hex')}`);
  await prepareClusterDirectory(dataDir, user);
  try {
    await mkdir(dirname(path), { recursive: true });
    await symlink(dataDir, path);
    // Written last: the reaper only considers folders with this record, so it never sees one half made.
    await writeFile(`${dataDir}${LINK_SUFFIX}`, path);
  } catch (error) {
    throw unusableFolder(path, error);
  }
  return dataDir;
}

const fileSystemReasons: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EEXIST: 'a file is in the way',
  ENOTDIR: 'a file is in the way',
  EROFS: 'the file system is read-only',
  ENOSPC: 'the disk is full',
};

const unusableFolder = (path: string, error: unknown) => {
  const code = (error as NodeJS.ErrnoException).code;
  const reason = code ? `${fileSystemReasons[code] ?? 'error'} (${code})` : String(error);
  return new PostgresStartError(
    `${path} cannot hold the database: ${reason}.`,
    'Choose another folder with `--data-dir`, or use `--fresh` for a throw-away database.',
  );
};

/** Creates the cluster's folder if needed (mode 700) and makes sure `user` owns it. */
async function prepareClusterDirectory(dataDir: string, user: ServerUser): Promise<void> {
  let info: Stats;
  let contents: string[] | undefined;
  try {
    await makeOpenDirectory(dirname(dataDir));
    await mkdir(dataDir, { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
    info = await stat(dataDir);
    if (!info.isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
    // Unreadable when it belongs to someone else: that is what the message below says.
    contents = await readdir(dataDir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EACCES' && info?.uid !== user.uid) return undefined;
      throw error;
    });
  } catch (error) {
    throw unusableFolder(dataDir, error);
  }
  if (contents && contents.length > 0 && !contents.includes('PG_VERSION')) {
    throw new PostgresStartError(
      `${dataDir} holds files but no database.`,
      'Empty or delete that folder, or choose another one with `--data-dir`.',
    );
  }
  // Root just made it, or the user made it empty for --data-dir: hand it over to `postgres`.
  if (user.switched && info.uid !== user.uid && contents?.length === 0) {
    try {
      await chown(dataDir, user.uid, user.gid);
    } catch (error) {
      throw unusableFolder(dataDir, error);
    }
    return;
  }
  if (info.uid !== user.uid) {
    const owner = await userName(info.uid);
    throw new PostgresStartError(
      `the database in ${dataDir} belongs to the OS user ${owner}, but PostgreSQL runs as ${user.name} here` +
        `${user.switched ? ' (it refuses to run as root)' : ''}.`,
      user.switched
        ? `Give it to ${user.name} (\`chown -R ${user.name}: ${dataDir}\`), or delete it to start over (the demo data is seeded again).`
        : `Run this command as ${owner === SERVER_ACCOUNT ? 'root (which runs PostgreSQL as postgres)' : owner}, or delete ` +
            'that folder to start over (the demo data is seeded again).',
    );
  }
}

async function userName(uid: number): Promise<string> {
  const result = await run('id', ['-nu', String(uid)], { timeoutMs: 5_000 });
  return result.code === 0 ? result.output.trim() : `with uid ${uid}`;
}
