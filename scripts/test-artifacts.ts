// npm run test:artifacts: the browser suite's behaviour files, unchanged, against what we ship
// (test/browser/forms.ts): the slim CDN file with the page's own supabase-js (cdn), the all-in-one
// file with attributes alone (all), and the npm package bundled by an app (npm).
//
//   1. dist/: reused when it is the build of the current sources (test:dist has just made it in
//      `npm test`), else built once.
//   2. `npm pack --ignore-scripts` (prepack would build again), and the tarball installed with its
//      peer @supabase/supabase-js into a scratch app in a temporary folder (`npm install
//      --prefer-offline`), whose entry re-exports the package and registers the tags; `vite build`.
//      The CDN forms load the CDN files from that installed package, as jsDelivr and unpkg serve them.
//   3. web-test-runner with one group per form, in every engine of test/browser/browsers.ts
//      (WACRM_BROWSERS picks some), against one stand-in.
//
// Options: --forms cdn,all,npm (default all three; `npm test` adds `source`, which then runs only the
// files no shipped form runs: one runner, one stand-in, each file once per engine at least),
// --files a.test.ts,…
// (only these of each form's files), --keep (leave the scratch app and print where).
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build as viteBuild } from 'vite';
import { buildDist, distStaleness } from './dist.js';
import { forms, isForm, type Form } from '../test/browser/forms.js';

const root = fileURLToPath(new URL('../', import.meta.url));

const { values } = parseArgs({
  options: {
    forms: { type: 'string', default: 'cdn,all,npm' },
    files: { type: 'string', default: '' },
    keep: { type: 'boolean', default: false },
  },
});

const selected = values.forms.split(',').map((name) => name.trim()).filter(Boolean);
for (const name of selected) {
  if (!isForm(name)) throw new Error(`--forms: unknown form "${name}"; choose among ${forms.join(', ')}`);
}
const shipped = (selected as Form[]).some((form) => form !== 'source');

const timings: string[] = [];
async function step<T>(name: string, work: () => T | Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await work();
  timings.push(`${name} ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

const run = (command: string, args: string[], cwd: string) =>
  execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

/** The scratch app: the packed package installed as an app installs it, built by Vite. */
async function scratchApp(dir: string): Promise<void> {
  const app = join(dir, 'app');
  mkdirSync(app, { recursive: true });
  const [packed] = await step('npm pack', () =>
    JSON.parse(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], root)) as [{ filename: string }],
  );
  // The peer at the version the rest of the suite uses.
  const supabase = JSON.parse(readFileSync(join(root, 'node_modules/@supabase/supabase-js/package.json'), 'utf8')) as { version: string };
  writeFileSync(join(app, 'package.json'), `${JSON.stringify({ name: 'wacrm-scratch-app', private: true, type: 'module' }, null, 2)}\n`);
  writeFileSync(
    join(app, 'main.js'),
    [
      '// An app of the package: its entry registers the tags and (for the tests) re-exports the API.',
      "import 'wacrm-notifications/define';",
      "export * from 'wacrm-notifications';",
      '',
    ].join('\n'),
  );
  await step('npm install of the tarball', () =>
    run(
      'npm',
      [
        'install',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--no-update-notifier',
        '--loglevel=error',
        join(dir, packed.filename),
        `@supabase/supabase-js@${supabase.version}`,
      ],
      app,
    ),
  );
  await step('vite build', () =>
    viteBuild({
      root: app,
      configFile: false,
      logLevel: 'warn',
      base: './',
      build: {
        outDir: 'dist',
        emptyOutDir: true,
        rolldownOptions: {
          input: join(app, 'main.js'),
          // An app's entry keeps no exports; this one keeps them for the tests to import.
          preserveEntrySignatures: 'exports-only',
          output: { entryFileNames: 'app.js' },
        },
      },
    }),
  );
}

function testRunner(env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'node_modules/@web/test-runner/dist/bin.js', '--config', 'web-test-runner.config.mjs'],
      { cwd: root, env, stdio: 'inherit' },
    );
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const dir = mkdtempSync(join(tmpdir(), 'wacrm-artifacts-'));
let code: number;
try {
  const started = performance.now();
  if (shipped) {
    const stale = distStaleness();
    if (stale) {
      console.log(`${stale}: building it once (npm run build)`);
      await step('npm run build', buildDist);
    } else {
      timings.push('dist/ reused (fresh)');
    }
    await scratchApp(dir);
  }
  code = await step('web-test-runner', () =>
    testRunner({
      ...process.env,
      WACRM_FORMS: selected.join(','),
      WACRM_FORM_FILES: values.files,
      WACRM_ARTIFACTS: join(dir, 'app'),
    }),
  );
  timings.push(`total ${((performance.now() - started) / 1000).toFixed(1)} s`);
  console.log(`test:artifacts (${selected.join(', ')}): ${timings.join('; ')}`);
} finally {
  if (values.keep) console.log(`scratch app kept in ${join(dir, 'app')}`);
  else rmSync(dir, { recursive: true, force: true });
}
process.exitCode = code;
