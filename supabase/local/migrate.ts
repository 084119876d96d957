import pg from 'pg';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const supabaseDir = fileURLToPath(new URL('..', import.meta.url));
export const migrationsDir = join(supabaseDir, 'migrations');
export const seedFile = join(supabaseDir, 'seed.sql');
export const platformFile = fileURLToPath(new URL('platform.sql', import.meta.url));

export interface MigrationFile {
  /** The file name's prefix before the first "_", as the Supabase CLI records it. */
  version: string;
  name: string;
  path: string;
}

/** supabase/migrations/*.sql in the order the Supabase CLI applies them. */
export async function listMigrations(dir = migrationsDir): Promise<MigrationFile[]> {
  const files = (await readdir(dir)).filter((file) => file.endsWith('.sql')).sort();
  return files.map((file) => {
    const stem = file.slice(0, -'.sql'.length);
    const cut = stem.indexOf('_');
    return {
      version: cut < 0 ? stem : stem.slice(0, cut),
      name: cut < 0 ? '' : stem.slice(cut + 1),
      path: join(dir, file),
    };
  });
}

/** Runs one SQL file in its own transaction; the error names the file. */
export async function runSqlFile(client: pg.ClientBase, path: string): Promise<void> {
  const sql = await readFile(path, 'utf8');
  try {
    await client.query('begin');
    await client.query(sql);
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`${path} failed: ${reason}`, { cause: error });
  }
}

export interface PrepareOptions {
  /** Apply supabase/seed.sql after the migrations when this database had none applied. Default true. */
  seed?: boolean;
}

export interface PrepareResult {
  applied: string[];
  seeded: boolean;
}

/**
 * Brings a database to the state `supabase db reset` would leave it in: Supabase's own objects
 * (platform.sql), then every migration not yet recorded in supabase_migrations.schema_migrations,
 * then the seed on a database that had no migration before.
 */
export async function prepareDatabase(databaseUrl: string, options: PrepareOptions = {}): Promise<PrepareResult> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await runSqlFile(client, platformFile);
    const { rows } = await client.query<{ version: string; statements: string[] | null }>(
      'select version, statements from supabase_migrations.schema_migrations',
    );
    const done = new Map(rows.map((row) => [row.version, row.statements?.join('') ?? null]));
    const applied: string[] = [];
    /** Once a file runs again, every later one does too: a later file may redefine what it just reset. */
    let rerunning = false;
    for (const migration of await listMigrations()) {
      const text = await readFile(migration.path, 'utf8');
      if (done.has(migration.version)) {
        // A file of ours that changed since this database recorded it (a local database kept across
        // an upgrade of this repository): ours are idempotent, so run it again rather than leave the
        // database behind the code. The Supabase CLI never does this; it is a development tool's kindness.
        if (done.get(migration.version) === text && !rerunning) continue;
        rerunning = true;
        await runSqlFile(client, migration.path);
        await client.query('update supabase_migrations.schema_migrations set name = $2, statements = $3 where version = $1', [
          migration.version,
          migration.name,
          [text],
        ]);
        applied.push(`${migration.version}_${migration.name} (run again: it or an earlier file changed since it was applied)`);
        continue;
      }
      await runSqlFile(client, migration.path);
      await client.query(
        'insert into supabase_migrations.schema_migrations (version, name, statements) values ($1, $2, $3)',
        [migration.version, migration.name, [text]],
      );
      applied.push(`${migration.version}_${migration.name}`);
    }
    const seeded = (options.seed ?? true) && done.size === 0;
    if (seeded) await runSqlFile(client, seedFile);
    return { applied, seeded };
  } finally {
    await client.end();
  }
}
