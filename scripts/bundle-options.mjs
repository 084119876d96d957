// Shared by rollup.config.mjs and the size report (scripts/sizes.ts), so that "our code alone" is
// measured with exactly the minifier settings of the CDN files.
import { readFileSync } from 'node:fs';
import { transform } from 'esbuild';

const version = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

/** One attribution for everything bundled; the per-file @license comments are dropped. */
export function cdnBanner(withSupabase) {
  const bundled = ['lit, @lit/context (BSD-3-Clause, Google LLC)', '@github/relative-time-element (MIT, GitHub)'];
  if (withSupabase) bundled.push('@supabase/* (MIT, Supabase)');
  return `/*! wacrm-notifications ${version} MIT; includes ${bundled.join(', ')} */`;
}

/**
 * Minifies each output chunk with esbuild, then puts `banner` on top. Not terser: terser 5's
 * compressor turns lit's `directive()` helper into an empty function (`(()=>{})(class …)` in the
 * output), so `repeat` and every other directive render nothing in the minified files while the
 * unminified bundle is correct. esbuild's minifier keeps them, is already a dependency, and its
 * output is within a few hundred bytes of terser's. Licence comments of the bundled packages are
 * dropped; the banner names them all once.
 */
export function esbuildMinify(banner = '') {
  return {
    name: 'esbuild-minify',
    async renderChunk(code, chunk) {
      const result = await transform(code, {
        minify: true,
        format: 'esm',
        target: 'es2022',
        legalComments: 'none',
        sourcemap: false,
      });
      return { code: banner && chunk.isEntry ? `${banner}\n${result.code}` : result.code, map: null };
    },
  };
}

/** Fails the build when a module of the slim bundle imports supabase-js at run time. */
export function noSupabase() {
  return {
    name: 'no-supabase',
    resolveId(source, importer) {
      if (source.startsWith('@supabase/')) {
        this.error(`${importer ?? 'entry'} imports ${source}: the slim CDN file must leave supabase-js to the host.`);
      }
      return null;
    },
  };
}

/**
 * Collapses the whitespace and comments of Lit `css` tagged templates in our own modules: the
 * indentation of readable stylesheets is about a tenth of the CDN file. Only whitespace that CSS
 * ignores goes; `${}` interpolations and the rest of the code are untouched.
 */
export function minifyCss() {
  const minify = (text) =>
    text
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/\s+/g, ' ')
      .replace(/\s*([{};,>])\s*/g, '$1')
      .replace(/:\s+/g, ':')
      .replace(/;}/g, '}')
      .trim();
  return {
    name: 'minify-css-literals',
    transform(code, id) {
      if (id.includes('node_modules') || !/\bcss\s*`/.test(code)) return null;
      const out = code.replace(/\bcss\s*`([^`]*)`/g, (_match, body) => {
        const parts = body.split(/(\$\{[^}]*\})/);
        return `css\`${parts.map((part, index) => (index % 2 ? part : minify(part))).join('')}\``;
      });
      return { code: out, map: null };
    },
  };
}

/**
 * relative-time-element formats `format="duration"` and `format="elapsed"` through a ponyfill of
 * Intl.DurationFormat (about 1 KB gzip). The elements only ever use `format="relative"`, so the CDN
 * files hand those two formats to the browser's own Intl.DurationFormat (Chrome 129, Safari 16.4,
 * Firefox 136) instead of carrying the ponyfill. The npm build leaves the dependency untouched.
 */
export function nativeDurationFormat() {
  const id = '\0wacrm-native-duration-format';
  return {
    name: 'native-duration-format',
    resolveId(source, importer) {
      if (source === './duration-format-ponyfill.js' && importer?.includes('@github/relative-time-element')) return id;
      return null;
    },
    load(loaded) {
      if (loaded !== id) return null;
      return `export default class DurationFormat {
  constructor(locale, options) { this.format = (duration) => new Intl.DurationFormat(locale, options).format(duration); }
}`;
    },
  };
}

/**
 * Quiet about what is not ours to fix: the top-level `this` of tsc's helpers (`this && this.__decorate`,
 * rewritten to undefined, which the helpers expect) and auth-js's webauthn import cycle.
 */
export function onwarn(warning, warn) {
  if (warning.code === 'THIS_IS_UNDEFINED') return;
  const inDependency = [warning.id, ...(warning.ids ?? [])].some((id) => id?.includes('/node_modules/'));
  if (inDependency && warning.code === 'CIRCULAR_DEPENDENCY') return;
  warn(warning);
}
