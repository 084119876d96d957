// A web-test-runner middleware that stands in for a CDN: /cdn/wacrm-notifications.js and
// /cdn/wacrm-notifications.all.js are the built files of dist/cdn/, /cdn/supabase.js is
// supabase-js's own browser bundle (the UMD file jsDelivr and unpkg serve for
// `@supabase/supabase-js@2`). Pages under test load these by URL, as a site without a bundler does.
// A middleware, not a plugin: the files go out byte for byte, without the dev server's import
// rewriting (which would choke on supabase-js's optional `import("@opentelemetry/api")`).
//
// The CDN files are built on demand: when one is first asked for and is missing or older than the
// sources, `npm run build` runs once (about 20 s). `npm test` builds in test:dist just before the
// browser suite, so there it is never needed; a lone `npm run test:browser` still tests fresh files.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Middleware } from '@web/dev-server-core';

const root = fileURLToPath(new URL('../../', import.meta.url));

const files: Record<string, string> = {
  '/cdn/wacrm-notifications.js': 'dist/cdn/wacrm-notifications.js',
  '/cdn/wacrm-notifications.all.js': 'dist/cdn/wacrm-notifications.all.js',
  '/cdn/supabase.js': 'node_modules/@supabase/supabase-js/dist/umd/supabase.js',
};

const built = ['dist/cdn/wacrm-notifications.js', 'dist/cdn/wacrm-notifications.all.js'];
const inputs = ['src', 'rollup.config.mjs', 'scripts/bundle-options.mjs', 'package-lock.json'];

function newest(path: string): number {
  const stat = statSync(join(root, path));
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(join(root, path)).map((name) => newest(join(path, name))));
}

function isStale(): boolean {
  try {
    return Math.min(...built.map((path) => statSync(join(root, path)).mtimeMs)) < Math.max(...inputs.map(newest));
  } catch {
    return true; // not built yet
  }
}

function build(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '-s', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`npm run build exited with ${code}`))));
  });
}

export function cdnMiddleware(): Middleware {
  let fresh: Promise<void> | undefined;
  return async (context, next) => {
    const file = files[context.path];
    if (!file) return next();
    if (file.startsWith('dist/')) await (fresh ??= isStale() ? build() : Promise.resolve());
    context.type = 'text/javascript';
    context.set('cache-control', 'no-store');
    context.body = readFileSync(join(root, file));
  };
}
