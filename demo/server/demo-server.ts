// Starts what the demo needs: the local Supabase stand-in with its persistent demo database, and a
// dev server for demo/ that compiles the TypeScript of demo/ and src/ on the fly (esbuild) and
// resolves bare imports from node_modules, so `npm install` is the only step before it.
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startDevServer } from '@web/dev-server';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { startLocalSupabase, type LocalSupabase } from '../../supabase/local/server.js';
import { demoApi } from './demo-api.js';

const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The Supabase CLI's API port: a session saved by the page survives restarts when it stays the same. */
const PREFERRED_SUPABASE_PORT = 54321;

/** What the page loads: itself, the widget's source, packages, and the dev server's own helpers. */
const servedPrefixes = ['/demo/', '/src/', '/node_modules/', '/demo-api/', '/__web-dev-server', '/__wds-'];

export interface DemoOptions {
  /** The page's port; omitted: 8000, or the next free one. */
  port?: number;
  /** A throw-away database, removed on stop (the screenshot script), instead of .supabase-local/. */
  fresh?: boolean;
}

export interface Demo {
  /** The demo page, e.g. http://localhost:8000/demo/ */
  url: string;
  supabase: LocalSupabase;
  stop(): Promise<void>;
}

export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const apiPort = (await isFree(PREFERRED_SUPABASE_PORT)) ? PREFERRED_SUPABASE_PORT : 0;
  const supabase = await startLocalSupabase({ fresh: options.fresh ?? false, apiPort });
  const api = demoApi({
    supabaseUrl: supabase.url,
    anonKey: supabase.anonKey,
    jwtSecret: supabase.jwtSecret,
    databaseUrl: supabase.databaseUrl,
  });
  try {
    const server = await startDevServer({
      config: {
        rootDir: repositoryRoot,
        hostname: 'localhost',
        ...(options.port === undefined ? {} : { port: options.port }),
        nodeResolve: { exportConditions: ['browser'] },
        middleware: [
          async (context, next) => {
            if (context.path === '/') return context.redirect('/demo/');
            // The root is the repository, to reach src/ and node_modules/; it also holds the
            // demo database's files, which are nobody's business over HTTP.
            if (!servedPrefixes.some((prefix) => context.path.startsWith(prefix))) {
              context.status = 404; // an answer, not an error to log
              context.body = 'Not found';
              return;
            }
            return next();
          },
          api.middleware,
        ],
        plugins: [esbuildPlugin({ ts: true, target: 'es2022', tsconfig: `${repositoryRoot}tsconfig.json` })],
      },
      readCliArgs: false,
      readFileConfig: false,
      logStartMessage: false,
      autoExitProcess: false,
    });
    let stopped: Promise<void> | undefined;
    return {
      url: `http://localhost:${server.config.port}/demo/`,
      supabase,
      stop: () =>
        (stopped ??= (async () => {
          await server.stop();
          await api.close();
          await supabase.stop();
        })()),
    };
  } catch (error) {
    await api.close();
    await supabase.stop();
    throw error;
  }
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}
