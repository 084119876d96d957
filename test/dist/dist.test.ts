// What `npm run build` writes and what `npm pack` ships (run by `npm run test:dist`, which builds
// first): the size budget, the slim CDN file free of supabase-js, the package's file list and
// exports, and the custom-elements manifest. Loading the CDN files in a browser is
// test/browser/cdn.test.ts.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { kilobytes, sizes } from '../../scripts/sizes.js';

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');
const slim = read('dist/cdn/wacrm-notifications.js');
const all = read('dist/cdn/wacrm-notifications.all.js');

/**
 * The budget for the CDN file without supabase-js: 25 KB gzip, counted as bundle-size tools count
 * it (size-limit, bundlesize: 1 KB = 1,024 bytes), so 25,600 bytes.
 */
const BUDGET_GZIP_BYTES = 25 * 1024;

/** Names that exist only in supabase-js's packages (auth, PostgREST, Realtime, storage clients). */
const SUPABASE_CODE = ['GoTrueClient', 'PostgrestQueryBuilder', 'RealtimeClient', 'StorageClient', 'supabase-js-web'];

test('the CDN file stays within 25 KB gzip; sizes of both files and of our code alone', async (t) => {
  const measured = await sizes();
  for (const size of measured) {
    t.diagnostic(`${size.name}: ${kilobytes(size.bytes)} minified, ${kilobytes(size.gzip)} gzip, ${kilobytes(size.brotli)} brotli`);
  }
  const [cdn] = measured;
  assert.ok(
    cdn!.gzip <= BUDGET_GZIP_BYTES,
    `dist/cdn/wacrm-notifications.js is ${cdn!.gzip} bytes gzip, over the budget of ${BUDGET_GZIP_BYTES}`,
  );
});

/** Static `import … from '…'`, `import '…'`, `export … from '…'` and dynamic `import('…')`, with the specifier. */
const importsOf = (code: string): string[] =>
  [...code.matchAll(/(?:\bimport\s*(?:[\w$*{][^;'"`]*?from\s*)?|\bexport\s*[*{][^;'"`]*?from\s*|\bimport\s*\(\s*)(["'`])([^"'`]+)\1/g)].map((match) => match[2]!);

/** What a CDN file loads on demand, beside it: the languages other than English, and code some pages or moments need. */
const ON_DEMAND = ['channels', 'es', 'popover-controller', 'pt-br', 'relative-time', 'settings-view', 'tab-share'];

/**
 * The modules a CDN file loads on demand: only its own chunks beside it (`./<name>.<module>-<hash>.js`),
 * each existing and importing nothing but the CDN file itself (what they share with it).
 */
function ownChunks(name: string, code: string): string[] {
  const chunks = importsOf(code).filter((specifier) => specifier.startsWith('./'));
  const modules = chunks.map((chunk) => new RegExp(`^\\./${name.replace('.', '\\.')}\\.([\\w-]+)-[a-z0-9]+\\.js$`).exec(chunk)?.[1]);
  assert.deepEqual(modules.sort(), ON_DEMAND, `${name}.js loads ${chunks.join(', ')}`);
  for (const chunk of chunks) {
    assert.ok(existsSync(new URL(`dist/cdn/${chunk.slice(2)}`, root)), `${name}.js loads ${chunk}, which the build did not write`);
    for (const imported of importsOf(read(`dist/cdn/${chunk.slice(2)}`))) {
      assert.equal(imported, `./${name}.js`, `${chunk} imports ${imported}`);
    }
  }
  return chunks;
}

test('the slim CDN file imports nothing but its own on-demand chunks, and holds no supabase-js code', () => {
  // One module to load, with, beside it, what only some pages or moments need.
  const chunks = ownChunks('wacrm-notifications', slim);
  assert.deepEqual(importsOf(slim).filter((specifier) => !chunks.includes(specifier)), []);
  assert.ok(!slim.includes('@supabase/'), 'the slim CDN file names @supabase/');
  for (const name of SUPABASE_CODE) assert.ok(!slim.includes(name), `the slim CDN file contains supabase-js code (${name})`);
  // …while the all-in-one file bundles it: no import is left but its own chunks and auth-js's
  // optional, caught `import("@opentelemetry/api")`, which in a browser simply yields nothing (and
  // an `import ws from "ws"` inside realtime-js's help text for Node users).
  const allChunks = ownChunks('wacrm-notifications.all', all);
  for (const specifier of importsOf(all).filter((imported) => !allChunks.includes(imported))) {
    assert.ok(['@opentelemetry/api', 'ws'].includes(specifier), `the all-in-one file imports ${specifier}`);
  }
  for (const name of ['GoTrueClient', 'RealtimeClient', 'supabase-url', 'supabase-key']) assert.ok(all.includes(name), `the all-in-one file lacks ${name}`);
});

test('both CDN files register both tags and export the API', () => {
  for (const [file, name, code] of [['slim', 'wacrm-notifications', slim], ['all-in-one', 'wacrm-notifications.all', all]] as const) {
    for (const tag of ['wacrm-notification-bell', 'wacrm-notification-panel']) {
      assert.ok(code.includes(`"${tag}"`), `${file} does not register <${tag}>`);
    }
    // <relative-time> comes beside the first load, with the first panel.
    const [relativeTime] = ownChunks(name, code).filter((chunk) => chunk.includes('.relative-time-'));
    assert.ok(read(`dist/cdn/${relativeTime!.slice(2)}`).includes('"relative-time"'), `${file} does not register <relative-time>`);
    assert.match(code, /export\s*\{[^}]*\bas WacrmNotificationBell\b/, `${file} does not export WacrmNotificationBell`);
  }
  assert.match(all, /export\s*\{[^}]*\bas createClient\b/, 'the all-in-one file exports createClient');
});

test('neither CDN file holds the terser fault: a class handed to an emptied function', () => {
  // terser 5 compressed lit's directive() to `(()=>{})(class …)`, so repeat() and every directive
  // rendered nothing in the minified files (see esbuildMinify in scripts/bundle-options.mjs). A cheap
  // signature only: rendering a list from each shipped file is `npm run test:artifacts`.
  const fault = /\(\s*(?:\(\s*\)\s*=>|function\s*\(\s*\))\s*\{\s*\}\s*\)\s*\(\s*class\b/;
  for (const [file, code] of [['slim', slim], ['all-in-one', all]] as const) {
    const match = fault.exec(code);
    assert.equal(match, null, `${file}: ${match ? code.slice(Math.max(0, match.index - 80), match.index + 80) : ''}`);
  }
});

test('npm pack ships the entry points, declarations, manifest and migrations, and nothing else', () => {
  // The build ran just before; prepack would only build again.
  const output = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' });
  const [packed] = JSON.parse(output) as [{ files: { path: string }[] }];
  const files = packed.files.map((file) => file.path).sort();
  for (const path of [
    'package.json',
    'README.md',
    'dist/index.js',
    'dist/index.d.ts',
    'dist/define.js',
    'dist/define.d.ts',
    'dist/bell/notification-bell.d.ts',
    'dist/panel/notification-panel.d.ts',
    'dist/drop-in/define.js',
    'dist/drop-in/define.d.ts',
    'dist/cdn/wacrm-notifications.js',
    'dist/cdn/wacrm-notifications.all.js',
    'dist/custom-elements.json',
    'supabase/migrations/000_wacrm_core.sql',
    'supabase/migrations/027_notifications.sql',
  ]) {
    assert.ok(files.includes(path), `the package lacks ${path}`);
  }
  const unwanted = files.filter((path) => !/^(dist\/|supabase\/migrations\/[^/]+\.sql$|package\.json$|README\.md$|LICENSE)/.test(path));
  assert.deepEqual(unwanted, [], 'the package holds files a consumer does not need');
  for (const prefix of ['test/', 'bench/', 'demo/', 'supabase/local/', 'supabase/tests/', 'src/', 'scripts/']) {
    assert.ok(!files.some((path) => path.startsWith(prefix)), `the package holds ${prefix}`);
  }
});

test('package.json points at files that exist, and marks only the registering modules as side effects', () => {
  const pkg = JSON.parse(read('package.json')) as Record<string, unknown> & {
    exports: Record<string, string | { types: string; default: string }>;
    sideEffects: string[];
  };
  const targets = [pkg.types, pkg.module, pkg.customElements].map(String);
  for (const [key, target] of Object.entries(pkg.exports)) {
    if (key.includes('*')) continue;
    if (typeof target === 'string') targets.push(target);
    else targets.push(target.types, target.default);
  }
  for (const target of targets) assert.ok(existsSync(new URL(target, root)), `${target} is missing`);
  assert.deepEqual(pkg.exports['.'], { types: './dist/index.d.ts', default: './dist/index.js' });
  assert.deepEqual(pkg.exports['./define'], { types: './dist/define.d.ts', default: './dist/define.js' });
  assert.deepEqual(pkg.peerDependencies, { '@supabase/supabase-js': '^2.0.0' });
  for (const entry of pkg.sideEffects) assert.match(entry, /(\/define\.js|\/cdn\/\*)$/, `${entry} is not a registering module`);
  // The side-effect-free entry registers nothing.
  assert.doesNotMatch(read('dist/index.js'), /['"]\.\/(bell\/|panel\/)?define\.js['"]/);
});

interface Declaration {
  name: string;
  tagName?: string;
  customElement?: boolean;
  attributes?: { name: string }[];
  events?: { name: string }[];
  cssParts?: { name: string }[];
  cssProperties?: { name: string }[];
  slots?: { name: string }[];
}

test('the manifest lists both elements with their attributes, events, parts and custom properties', () => {
  const manifest = JSON.parse(read('dist/custom-elements.json')) as {
    modules: { path: string; declarations?: Declaration[]; exports?: { kind: string; name: string }[] }[];
  };
  const elements = new Map(
    manifest.modules.flatMap((mod) => (mod.declarations ?? []).filter((d) => d.customElement).map((d) => [d.tagName, { ...d, path: mod.path }])),
  );
  const names = (list?: { name: string }[]) => (list ?? []).map((item) => item.name);

  const bell = elements.get('wacrm-notification-bell');
  assert.ok(bell, 'the bell is not in the manifest');
  assert.equal(bell.path, 'dist/bell/notification-bell.js');
  for (const attribute of ['open', 'max-count', 'page-size', 'href-template', 'lang']) assert.ok(names(bell.attributes).includes(attribute), attribute);
  for (const event of ['wacrm-receive', 'wacrm-unread-change', 'wacrm-error', 'wacrm-show', 'wacrm-after-hide']) assert.ok(names(bell.events).includes(event), event);
  for (const part of ['button', 'badge', 'popover', 'panel']) assert.ok(names(bell.cssParts).includes(part), part);
  assert.ok(names(bell.cssProperties).includes('--wacrm-badge-background'));
  assert.ok(bell.slots?.length, 'the bell documents its slot');

  const panel = elements.get('wacrm-notification-panel');
  assert.ok(panel, 'the panel is not in the manifest');
  for (const attribute of ['filter', 'page-size', 'href-template', 'lang']) assert.ok(names(panel.attributes).includes(attribute), attribute);
  for (const event of ['wacrm-notification-select', 'wacrm-read', 'wacrm-error']) assert.ok(names(panel.events).includes(event), event);
  for (const part of ['base', 'header', 'list', 'item', 'title', 'time', 'empty', 'error', 'signed-out']) assert.ok(names(panel.cssParts).includes(part), part);
  for (const property of ['--wacrm-accent-color', '--wacrm-background', '--wacrm-font-family']) assert.ok(names(panel.cssProperties).includes(property), property);
  for (const element of [bell, panel]) {
    assert.ok(element.events!.every((event) => event.name.startsWith('wacrm-')), 'every event is named and prefixed');
  }

  const definitions = manifest.modules.flatMap((mod) => (mod.exports ?? []).filter((e) => e.kind === 'custom-element-definition').map((e) => e.name));
  assert.deepEqual(definitions.sort(), ['wacrm-notification-bell', 'wacrm-notification-panel']);
});

test('the README documents every attribute, event, part and custom property of the manifest', () => {
  const manifest = JSON.parse(read('dist/custom-elements.json')) as { modules: { declarations?: Declaration[] }[] };
  const readme = read('README.md');
  const missing: string[] = [];
  for (const element of manifest.modules.flatMap((mod) => mod.declarations ?? []).filter((d) => d.customElement)) {
    const documented = [
      ...(element.attributes ?? []).map((item) => item.name),
      ...(element.events ?? []).map((item) => item.name),
      ...(element.cssParts ?? []).map((item) => item.name),
      ...(element.cssProperties ?? []).map((item) => item.name),
    ];
    for (const name of documented) if (!readme.includes(`\`${name}\``)) missing.push(`${element.tagName}: ${name}`);
  }
  assert.deepEqual(missing, [], 'add these to the README’s API section');
});
