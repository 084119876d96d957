import { readdir, readFile, readlink, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

/** Beside each throw-away cluster: the pid of the process it belongs to. */
export const OWNER_SUFFIX = '.owner';
/** Beside each database root moved out of a private folder: the path of the link that uses it. */
export const LINK_SUFFIX = '.link';

export async function removeCluster(dataDir: string, sidecar: string): Promise<void> {
  await rm(dataDir, { recursive: true, force: true });
  await rm(`${dataDir}${sidecar}`, { force: true });
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

const pidIn = async (file: string) => Number((await readFile(file, 'utf8').catch(() => '')).split('\n')[0]);

/** Stops the PostgreSQL still running on `dataDir`, if any (nothing in it is worth keeping). */
async function stopLeftOverServer(dataDir: string): Promise<void> {
  const postmaster = await pidIn(join(dataDir, 'postmaster.pid'));
  if (!postmaster || !isAlive(postmaster)) return;
  process.kill(postmaster, 'SIGQUIT'); // immediate shutdown
  for (let waited = 0; waited < 50 && isAlive(postmaster); waited++) await new Promise((r) => setTimeout(r, 100));
}

/**
 * Stops and removes the throw-away clusters in `parent` whose owning process is gone (a test run
 * killed with SIGKILL, say), so that no forgotten PostgreSQL keeps running or filling the disk.
 * Best effort: a cluster of another user's, or one that resists, is left alone.
 */
export async function reapAbandonedClusters(parent: string, prefix: string): Promise<void> {
  const entries = await readdir(parent).catch(() => [] as string[]);
  for (const entry of entries) {
    if (!entry.startsWith(prefix) || !entry.endsWith(OWNER_SUFFIX)) continue;
    const dataDir = join(parent, entry.slice(0, -OWNER_SUFFIX.length));
    try {
      const owner = await pidIn(join(parent, entry));
      if (!owner || isAlive(owner)) continue;
      await stopLeftOverServer(dataDir);
      await removeCluster(dataDir, OWNER_SUFFIX);
    } catch {
      // Not ours to remove, or already being removed by another start.
    }
  }
}

/**
 * Removes the databases root moved out of private folders whose link is gone (the user deleted
 * .supabase-local/ to start over) or now points elsewhere, unless a PostgreSQL still runs on one.
 */
export async function reapOrphanedDatabases(parent: string): Promise<void> {
  const entries = await readdir(parent).catch(() => [] as string[]);
  for (const entry of entries) {
    if (!entry.endsWith(LINK_SUFFIX)) continue;
    const dataDir = join(parent, entry.slice(0, -LINK_SUFFIX.length));
    try {
      const linkPath = (await readFile(join(parent, entry), 'utf8')).trim();
      const target = await readlink(linkPath).catch(() => undefined);
      if (target !== undefined && resolve(dirname(linkPath), target) === dataDir) continue;
      const postmaster = await pidIn(join(dataDir, 'postmaster.pid'));
      if (postmaster && isAlive(postmaster)) continue;
      await removeCluster(dataDir, LINK_SUFFIX);
    } catch {
      // Another start is removing it too.
    }
  }
}
