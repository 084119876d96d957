// A copy of this project in a private folder (mode 700), as a clone under /root is in many
// containers: what `npm run supabase` needs to run from there, made in well under a second.
import { chown, cp, link, lstat, mkdir, mkdtemp, readdir, readlink, rm, symlink, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BINARY_PACKAGE } from '../../supabase/local/postgres/binaries.js';
import { repository } from './commands.js';

export interface PrivateClone {
  /** The copy's root, e.g. /tmp/wacrm-private-x1y2/clone; its parent is mode 700. */
  root: string;
  /** The PostgreSQL binaries inside the copy (undefined when node_modules links back whole). */
  binaries?: string;
  remove(): Promise<void>;
}

export interface PrivateCloneOptions {
  /**
   * The OS user the copy belongs to (the folder and the project's files), e.g. an ordinary user.
   * Its node_modules then links back to this checkout's as a whole, which that user can read;
   * hard links would hand this checkout's own files over to that user.
   */
  owner?: { uid: number; gid: number };
}

/**
 * package.json, tsconfig.json and supabase/ copied; in node_modules, the PostgreSQL binary package
 * lies inside the copy for real (hard links, or copies across file systems), so that nothing in a
 * path resolved from it leads out of the private folder, and every other package links back here.
 */
export async function privateClone(options: PrivateCloneOptions = {}): Promise<PrivateClone> {
  const folder = await mkdtemp(join(tmpdir(), 'wacrm-private-')); // mode 700
  const root = join(folder, 'clone');
  await mkdir(root);
  for (const path of ['package.json', 'tsconfig.json', 'supabase/local', 'supabase/migrations', 'supabase/seed.sql']) {
    await cp(join(repository, path), join(root, path), { recursive: true });
  }
  const remove = () => rm(folder, { recursive: true, force: true });
  if (options.owner) {
    await symlink(join(repository, 'node_modules'), join(root, 'node_modules'));
    await chownTree(folder, options.owner);
    return { root, remove };
  }
  const modules = join(root, 'node_modules');
  await mkdir(modules);
  const scope = BINARY_PACKAGE.split('/')[0]!;
  for (const entry of await readdir(join(repository, 'node_modules'))) {
    if (entry !== scope) await symlink(join(repository, 'node_modules', entry), join(modules, entry));
  }
  const binaries = join(modules, BINARY_PACKAGE);
  await hardLinkTree(join(repository, 'node_modules', BINARY_PACKAGE), binaries);
  return { root, binaries, remove };
}

async function hardLinkTree(source: string, target: string): Promise<void> {
  await mkdir(target, { recursive: true });
  for (const entry of await readdir(source, { withFileTypes: true })) {
    const from = join(source, entry.name);
    const to = join(target, entry.name);
    if (entry.isDirectory()) await hardLinkTree(from, to);
    else if (entry.isSymbolicLink()) await symlink(await readlink(from), to);
    else await link(from, to).catch(() => copyFile(from, to));
  }
}

async function chownTree(path: string, owner: { uid: number; gid: number }): Promise<void> {
  const info = await lstat(path);
  if (info.isSymbolicLink()) return; // never follow: node_modules leads back into this checkout
  await chown(path, owner.uid, owner.gid);
  if (info.isDirectory()) {
    for (const entry of await readdir(path)) await chownTree(join(path, entry), owner);
  }
}
