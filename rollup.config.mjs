// The two CDN files, bundled from tsc's output in dist/ (decorators already compiled there, so no
// TypeScript plugin is needed): one ES module each, minified by esbuild (see esbuildMinify in
// scripts/bundle-options.mjs for why not terser), registering both elements on load; the built-in
// languages other than English are chunks of their own, loaded when a page uses them.
//   dist/cdn/wacrm-notifications.js      lit, @lit/context, relative-time-element; supabase-js is the host's
//   dist/cdn/wacrm-notifications.all.js  the same plus supabase-js and the attribute drop-in
// Run by `npm run build` after `tsc -p tsconfig.build.json`.
import { nodeResolve } from '@rollup/plugin-node-resolve';
import { cdnBanner, esbuildMinify, minifyCss, nativeDurationFormat, noSupabase, onwarn } from './scripts/bundle-options.mjs';

/**
 * `<name>.js` in dist/cdn/, and beside it the modules it loads on demand (the Portuguese and
 * Spanish strings, <relative-time>, the settings view, the realtime channel, tab sharing, the
 * popover's placement) as `<name>.<module>-<hash>.js`: a page fetches only what it uses.
 * The hash is base 36 (letters and digits only), so the module's name ends at the last hyphen:
 * rollup's default base 64 can put a hyphen inside the hash itself.
 */
const cdnOutput = (name, banner) => ({
  dir: 'dist/cdn',
  format: 'es',
  entryFileNames: `${name}.js`,
  // relative-time-element's entry is its dist/index.js: named for what it is, not "dist".
  chunkFileNames: (chunk) =>
    `${name}.${chunk.facadeModuleId?.includes('@github/relative-time-element') ? 'relative-time' : '[name]'}-[hash].js`,
  hashCharacters: 'base36',
  plugins: [esbuildMinify(banner)],
});

const resolve = () => nodeResolve({ browser: true, exportConditions: ['browser', 'module', 'import', 'default'] });

export default [
  {
    input: 'dist/define.js',
    onwarn,
    // The on-demand chunks take what they share with the rest from the CDN file itself, rather than
    // from a common chunk that every page would have to fetch as a second file.
    preserveEntrySignatures: 'allow-extension',
    // A build error, not a silent bundle of supabase-js, if anything on this path imports it at run time.
    plugins: [noSupabase(), minifyCss(), nativeDurationFormat(), resolve()],
    output: cdnOutput('wacrm-notifications', cdnBanner(false)),
  },
  {
    input: 'dist/drop-in/define.js',
    onwarn,
    preserveEntrySignatures: 'allow-extension',
    plugins: [minifyCss(), nativeDurationFormat(), resolve()],
    output: cdnOutput('wacrm-notifications.all', cdnBanner(true)),
  },
];
