// The forms users load the package in, for the browser suite: the test files import the package by
// name ('wacrm-notifications', 'wacrm-notifications/define') and each test page's import map says
// what that name is. The same files, unchanged, run against:
//
//   source  src/ through the dev server (`npm run test:browser`: every test file; in `npm test`,
//           beside the shipped forms, the files only the sources run)
//   cdn     dist/cdn/wacrm-notifications.js, the page bringing its own supabase-js
//   all     dist/cdn/wacrm-notifications.all.js, live elements configured by attributes alone
//   npm     the package bundled by Vite in an app that installed it
//
// The shipped forms (`npm run test:artifacts`, scripts/test-artifacts.ts) come from one `npm pack`
// tarball installed into a scratch app, and run as groups of one test run (WACRM_FORMS). Their pages
// map /src/ to a module that throws, so a test that reaches into the sources fails there instead of
// silently testing them. Every page also loads support/uncaught-errors.ts, which fails a test on any
// uncaught error or unhandled rejection of the page or of an iframe it opened.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Middleware } from '@web/dev-server-core';
import type { BrowserLauncher, Reporter, TestRunnerGroupConfig, TestRunnerPlugin, TestSuiteResult } from '@web/test-runner';

export const forms = ['source', 'cdn', 'all', 'npm'] as const;
export type Form = (typeof forms)[number];

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Test files that run against the sources only, and why. */
const sourcesOnly: Record<string, string> = {
  'cdn.test.ts': 'loads both CDN files itself, in pages of its own',
  'demo.test.ts': 'the demo page imports the sources',
  'faults.test.ts': 'long fault scenarios (restarts, offline, bursts) of the store, the same code in every form',
  'readme.test.ts': 'loads the CDN files itself, in the README’s own pages',
  'chaos.test.ts': 'long fault schedules of the store and the data source, the same code in every form',
  'soak.test.ts': 'an hour of the store and the elements, the same code in every form',
};

/**
 * Test files of the elements alone, over an in-memory store: run against the CDN file, whose build
 * minifies them; the all-in-one file is the same elements built the same way, with supabase-js
 * beside them, and the npm form is the package's ES modules bundled by the app (Vite): what each
 * of those adds (attributes, imports, chunks) is what the files that sign in through it check.
 */
const elementsOnly: Record<string, string> = {
  'accessibility.test.ts': 'axe and the keyboard over an in-memory store',
  'bell.test.ts': 'the bell over an in-memory store',
  'context.test.ts': 'store sharing over an in-memory store',
  'events.test.ts': 'the DOM events over an in-memory store',
  'panel.test.ts': 'the panel over an in-memory store',
  'styling.test.ts': 'parts and custom properties over an in-memory store',
};

/**
 * Long test files whose code is the same in every form, run by the all-in-one and npm forms in
 * Chromium only (CI time: about 57 s per form and engine); the cdn form runs them in every engine.
 */
const chromiumOnlyBeyondCdn: Record<string, string> = {
  'tabs.test.ts': 'tabs sharing one connection: the store and data source, the same in every form',
  'lifecycle.test.ts': 'removals, moves and reloads of real pages: the same elements in every form',
};

/** Test files that hand the elements a client and session as properties: not the all-in-one file's attribute way. */
const propertiesOnly: Record<string, string> = {
  'session.test.ts': 'the host hands over a renewed session through .session',
  'frameworks.test.ts': 'React and Vue bind .supabase and .session',
};

/**
 * Where each form's page finds the package. The shipped forms come from one `npm pack` tarball,
 * installed into a scratch app (scripts/test-artifacts.ts): the CDN files as jsDelivr and unpkg
 * would serve them from that package (ES modules exporting the whole API), and the app's Vite build.
 */
const entries: Record<Form, { index: string; define: string }> = {
  source: { index: '/src/index.ts', define: '/src/define.ts' },
  cdn: { index: '/__forms__/package/dist/cdn/wacrm-notifications.js', define: '/__forms__/package/dist/cdn/wacrm-notifications.js' },
  all: { index: '/__forms__/package/dist/cdn/wacrm-notifications.all.js', define: '/__forms__/package/dist/cdn/wacrm-notifications.all.js' },
  npm: { index: '/__forms__/npm/app.js', define: '/__forms__/npm/app.js' },
};

export function isForm(name: string): name is Form {
  return (forms as readonly string[]).includes(name);
}

/** The forms named in WACRM_FORMS (comma-separated), or none: then the plain run, in the sources. */
export function selectedForms(selection = process.env.WACRM_FORMS): Form[] {
  const names = (selection ?? '').split(/[\s,]+/).filter(Boolean);
  for (const name of names) {
    if (!isForm(name)) throw new Error(`WACRM_FORMS: unknown form "${name}"; choose among ${forms.join(', ')}`);
  }
  return [...new Set(names as Form[])];
}

/** The test files a form runs (paths from the repository root). */
export function filesFor(form: Form, all: string[] = listTestFiles()): string[] {
  return all.filter((path) => {
    const name = path.split('/').at(-1)!;
    if (form === 'source') return true;
    if (name in sourcesOnly) return false;
    if (form === 'all' && name in propertiesOnly) return false;
    if (form !== 'cdn' && name in elementsOnly) return false;
    return true;
  });
}

/** Every browser test file (test/browser/*.test.ts), as the plain run's `files` pattern finds them. */
function listTestFiles(): string[] {
  return readdirSync(join(root, 'test/browser'))
    .filter((name) => name.endsWith('.test.ts'))
    .sort()
    .map((name) => `test/browser/${name}`);
}

/**
 * The test page of a form: its import map, the form's name for the test helpers, the error watch.
 * `<head>` has an attribute so that web-test-runner, which injects its module scripts right after a
 * bare `<head>` (else after `<body>`), puts them after the import map: Firefox and WebKit ignore an
 * import map that comes after the first module script.
 */
export function pageFor(form: Form) {
  const entry = entries[form];
  const imports: Record<string, string> = {
    'wacrm-notifications': entry.index,
    'wacrm-notifications/define': entry.define,
  };
  if (form !== 'source') imports['/src/'] = `/__forms__/no-sources/${form}/`;
  const importMap = JSON.stringify({ imports }, null, 2);
  return (testFramework: string) => `<!doctype html>
<html>
  <head data-wacrm-form="${form}">
    <meta charset="utf-8">
    <meta name="wacrm-form" content="${form}">
    <script type="importmap">${importMap}</script>
    <script type="module" src="/test/browser/support/uncaught-errors.ts"></script>
  </head>
  <body>
    <script type="module" src="${testFramework}"></script>
  </body>
</html>`;
}

/**
 * One group per selected form, for web-test-runner's `groups`. Beside shipped forms, the sources run
 * only the files none of them runs (`npm test`: the fault suite, chaos, soak, the demo, the CDN and
 * README pages): every other file is the same test code against the shipped files. Beside the cdn
 * form, the all-in-one and npm forms run the files of `chromiumOnlyBeyondCdn` in Chromium alone
 * (a second group of the form, for the other engines, leaves them out).
 */
export function formGroups(selected: Form[], only?: string[], launchers: BrowserLauncher[] = []): TestRunnerGroupConfig[] {
  const shipped = selected.filter((form) => form !== 'source');
  const runByShipped = new Set(shipped.flatMap((form) => filesFor(form)));
  const chromium = launchers.filter((launcher) => launcher.name === 'Chromium');
  const others = launchers.filter((launcher) => launcher.name !== 'Chromium');
  return selected.flatMap((form) => {
    let files = filesFor(form);
    if (form === 'source') files = files.filter((path) => !runByShipped.has(path));
    if (only?.length) files = files.filter((path) => only.some((wanted) => resolve(root, wanted) === resolve(root, path)));
    if (files.length === 0) throw new Error(`form ${form}: none of the selected test files runs in this form`);
    const group = { name: form, files, testRunnerHtml: pageFor(form) };
    const split = (form === 'all' || form === 'npm') && selected.includes('cdn') && chromium.length > 0 && others.length > 0;
    if (!split) return [group];
    const elsewhere = files.filter((path) => !(path.split('/').at(-1)! in chromiumOnlyBeyondCdn));
    return [{ ...group, browsers: chromium }, ...(elsewhere.length ? [{ ...group, files: elsewhere, browsers: others }] : [])];
  });
}

/**
 * Imports that the page resolves (the import map), not the dev server: the package's own names.
 * Vue's full build, with the template compiler, for the Vue example (as an import map would give it
 * to a page without a build step).
 */
export function packageNamesPlugin(): TestRunnerPlugin {
  return {
    name: 'wacrm-package-names',
    resolveImport({ source }) {
      if (source === 'wacrm-notifications' || source.startsWith('wacrm-notifications/')) return source;
      if (source === 'vue') return '/node_modules/vue/dist/vue.esm-browser.js';
      return undefined;
    },
  };
}

/**
 * What the shipped forms' import maps point at, served byte for byte (no import rewriting, as a CDN
 * or a static host would), from the scratch app that scripts/test-artifacts.ts made and named in
 * WACRM_ARTIFACTS:
 *
 *   /__forms__/package/…  the installed package (node_modules/wacrm-notifications/…)
 *   /__forms__/npm/…      the app's Vite build (dist/…)
 *   /__forms__/no-sources/<form>/…  in place of /src/…: a module that throws
 */
export function formsMiddleware(): Middleware {
  const served: Record<string, string> = { package: 'node_modules/wacrm-notifications', npm: 'dist' };
  return async (context, next) => {
    if (!context.path.startsWith('/__forms__/')) return next();
    const [, , kind = '', ...rest] = context.path.split('/');
    context.type = 'text/javascript';
    context.set('cache-control', 'no-store');
    const fail = (message: string) => {
      context.body = `throw new Error(${JSON.stringify(message)});\n`;
    };
    if (kind === 'no-sources') {
      const [form, ...path] = rest;
      return fail(
        `The ${form} form's run imported /src/${path.join('/')}: a test (or a helper) reaches into the sources, ` +
          `so it would not test the shipped files. Import 'wacrm-notifications' or 'wacrm-notifications/define' instead, ` +
          `or list the test file in test/browser/forms.ts as one for the sources only.`,
      );
    }
    const base = served[kind];
    if (!base) return next();
    const app = process.env.WACRM_ARTIFACTS;
    if (!app || !existsSync(join(app, base))) {
      return fail(
        'The shipped forms need the packed package installed into a scratch app: run them through ' +
          '`npm run test:artifacts` (scripts/test-artifacts.ts), which makes it and sets WACRM_ARTIFACTS.',
      );
    }
    const dir = join(app, base);
    const file = join(dir, ...rest.map(decodeURIComponent));
    if (relative(dir, file).startsWith('..') || !existsSync(file) || !statSync(file).isFile()) {
      context.status = 404;
      context.body = '';
      return;
    }
    context.body = readFileSync(file);
  };
}

interface Tally {
  files: number;
  passed: number;
  failed: number;
  skipped: number;
  ms: number;
  failures: string[];
}

function tallyTests(suite: TestSuiteResult | undefined, tally: Tally, where: string, path: string[] = []): void {
  if (!suite) return;
  for (const test of suite.tests) {
    tally.ms += test.duration ?? 0;
    if (test.skipped) tally.skipped++;
    else if (test.passed) tally.passed++;
    else {
      tally.failed++;
      const message = test.error?.message.split('\n')[0] ?? 'failed';
      tally.failures.push(`  ✗ ${where} › ${[...path, test.name].join(' › ')}: ${message}`);
    }
  }
  for (const child of suite.suites) tallyTests(child, tally, where, [...path, child.name]);
}

/**
 * After the run, one line per form and browser (files, passed, failed, skipped, time in tests), and
 * each failure under the form it failed in: the default reporter merges a file's forms.
 */
export function formsReporter(): Reporter {
  return {
    onTestRunFinished({ sessions }) {
      const tallies = new Map<string, Tally>();
      for (const session of sessions) {
        const key = `${session.group.name} in ${session.browser.name}`;
        const tally = tallies.get(key) ?? { files: 0, passed: 0, failed: 0, skipped: 0, ms: 0, failures: [] };
        const where = `[${session.group.name}, ${session.browser.name}] ${relative(root, session.testFile)}`;
        tally.files++;
        tallyTests(session.testResults, tally, where);
        for (const error of session.errors) tally.failures.push(`  ✗ ${where}: ${error.message.split('\n')[0]}`);
        tallies.set(key, tally);
      }
      const lines = [...tallies].flatMap(([key, t]) => [
        `form ${key}: ${t.files} files, ${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped (${(t.ms / 1000).toFixed(0)} s in tests)`,
        ...t.failures,
      ]);
      console.log(`\n${lines.join('\n')}`);
    },
  };
}
