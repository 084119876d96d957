// A web-test-runner middleware that stands in for a CDN: /cdn/wacrm-notifications.js and
// /cdn/wacrm-notifications.all.js are the built files of dist/cdn/, /cdn/supabase.js is
// supabase-js's own browser bundle (the UMD file jsDelivr and unpkg serve for
// `@supabase/supabase-js@2`). Pages under test load these by URL, as a site without a bundler does.
// A middleware, not a plugin: the files go out byte for byte, without the dev server's import
// rewriting (which would choke on supabase-js's optional `import("@opentelemetry/api")`).
//
// The CDN files are built on demand: when one is first asked for and dist/ is missing or older than
// the sources (scripts/dist.ts), `npm run build` runs once (about 20 s). `npm test` builds in
// test:dist just before the browser suite, so there it is never needed; a lone `npm run test:browser`
// still tests fresh files.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Middleware } from '@web/dev-server-core';
import { buildDist, distStaleness } from '../../scripts/dist.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

const files: Record<string, string> = {
  '/cdn/supabase.js': 'node_modules/@supabase/supabase-js/dist/umd/supabase.js',
};

/** `/cdn/<name>.js`: a file of dist/cdn/ (the two CDN files and the chunks they load on demand). */
const builtFile = (path: string) => /^\/cdn\/(wacrm-notifications[\w.-]*\.js)$/.exec(path)?.[1];

export function cdnMiddleware(): Middleware {
  let fresh: Promise<void> | undefined;
  return async (context, next) => {
    const built = builtFile(context.path);
    const file = files[context.path] ?? (built && `dist/cdn/${built}`);
    if (!file) return next();
    context.type = 'text/javascript';
    context.set('cache-control', 'no-store');
    if (file.startsWith('dist/')) {
      try {
        await (fresh ??= distStaleness() ? buildDist() : Promise.resolve());
      } catch (error) {
        // The page's script fails with the reason (the build's own errors are in the runner's output).
        context.body = `throw new Error(${JSON.stringify(`${context.path}: ${String(error)}`)});\n`;
        return;
      }
    }
    context.body = readFileSync(join(root, file));
  };
}
