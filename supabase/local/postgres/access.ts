import { stat } from 'node:fs/promises';
import { dirname, parse, resolve } from 'node:path';
import type { ServerUser } from './server-user.js';

/** The directories from the root down to `path` itself: /, /root, /root/clone… */
function pathFromRoot(path: string): string[] {
  const chain: string[] = [];
  for (let current = resolve(path); ; current = dirname(current)) {
    chain.unshift(current);
    if (current === parse(current).root) return chain;
  }
}

/**
 * The first directory on the way to `path` that `user` may not enter, or undefined when every one
 * of them lets it through. Checked with the mode bits for the user's uid and primary group only:
 * that is exactly what a process started with {uid, gid} has, as Node drops supplementary groups.
 * Parts of the path that do not exist yet are skipped (whoever creates them decides).
 */
export async function blockedAt(path: string, user: Pick<ServerUser, 'uid' | 'gid'>): Promise<string | undefined> {
  if (user.uid === 0) return undefined;
  for (const directory of pathFromRoot(path)) {
    const info = await stat(directory).catch(() => undefined);
    if (!info) return undefined;
    if (!info.isDirectory()) return undefined; // not a folder: the caller's error, not a reachability one
    const searchBit = info.uid === user.uid ? 0o100 : info.gid === user.gid ? 0o010 : 0o001;
    if ((info.mode & searchBit) === 0) return directory;
  }
  return undefined;
}

/** "/root (mode 700, owner uid 0)": why a directory keeps a user out, for messages. */
export async function describeDirectory(directory: string): Promise<string> {
  const info = await stat(directory).catch(() => undefined);
  if (!info) return directory;
  return `${directory} (mode ${(info.mode & 0o7777).toString(8)}, owner uid ${info.uid})`;
}
