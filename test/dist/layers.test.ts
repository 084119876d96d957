// The layers stay apart: what ships (src/) never reaches into the local stand-in, the tests or Node,
// and the stand-in never into the browser code. A static check of every import, beside the type
// checks that enforce the same from the other side (tsconfig.build.json: DOM and no Node types for
// src/; tsconfig.local.json: Node and no DOM for supabase/local/).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) return sources(path);
    return /\.(ts|mts)$/.test(name) ? [path] : [];
  });
}

/** Every module specifier a file imports, statically or dynamically, or re-exports from. */
function importsOf(path: string): string[] {
  const code = readFileSync(join(root, path), 'utf8');
  const found = [...code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm)].map((match) => match[1]!);
  return found;
}

/** Where a relative specifier points, from the repository root. */
const target = (file: string, specifier: string) => relative(root, resolve(root, dirname(file), specifier));

test('src/ imports nothing from supabase/, test/, bench/, demo/ or scripts/, and no Node module', () => {
  const offences: string[] = [];
  for (const file of sources('src')) {
    for (const specifier of importsOf(file)) {
      if (specifier.startsWith('node:') || ['fs', 'path', 'pg', 'ws', 'crypto'].includes(specifier)) offences.push(`${file} imports ${specifier}`);
      if (specifier.startsWith('.') && !target(file, specifier).startsWith('src/')) offences.push(`${file} imports ${specifier}`);
    }
  }
  assert.deepEqual(offences, []);
});

test('supabase/local/ imports nothing from src/ (the stand-in is Supabase, not our client)', () => {
  const offences: string[] = [];
  for (const file of sources('supabase/local')) {
    for (const specifier of importsOf(file)) {
      if (specifier.startsWith('.') && target(file, specifier).startsWith('src/')) offences.push(`${file} imports ${specifier}`);
    }
  }
  assert.deepEqual(offences, []);
});

test('the check sees imports at all (a file known to import the store)', () => {
  assert.ok(importsOf('src/index.ts').some((specifier) => specifier.includes('notification-store')));
});
