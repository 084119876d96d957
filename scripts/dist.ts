// Whether dist/ is the build of the current sources, and `npm run build` when it is not. Used where
// tests need what we ship (the CDN stand-in of the browser suite, `npm run test:artifacts`), so that
// they reuse the build `npm run test:dist` just made instead of building again, and still never test
// a stale one.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));

/** What the build writes (first: tsc; last: the CDN files and the manifest). */
const outputs = [
  'dist/index.js',
  'dist/define.js',
  'dist/drop-in/define.js',
  'dist/cdn/wacrm-notifications.js',
  'dist/cdn/wacrm-notifications.all.js',
  'dist/custom-elements.json',
];

/** What the build reads. */
const inputs = [
  'src',
  'tsconfig.json',
  'tsconfig.build.json',
  'rollup.config.mjs',
  'scripts/bundle-options.mjs',
  'custom-elements-manifest.config.mjs',
  'package-lock.json',
];

function newest(path: string): number {
  const stat = statSync(join(root, path));
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(join(root, path)).map((name) => newest(join(path, name))));
}

/** Why dist/ cannot be used as it is (missing, or older than a source), or null when it is fresh. */
export function distStaleness(): string | null {
  let oldest: number;
  try {
    oldest = Math.min(...outputs.map((path) => statSync(join(root, path)).mtimeMs));
  } catch {
    return 'dist/ is not built';
  }
  const changed = inputs.filter((path) => newest(path) > oldest);
  return changed.length ? `dist/ is older than ${changed.join(', ')}` : null;
}

/** `npm run build`, its errors on this process's stderr. */
export function buildDist(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '-s', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`npm run build exited with ${code}`))));
  });
}
