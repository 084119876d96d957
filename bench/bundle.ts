// Bundle sizes: `npm run build`, then the CDN file, the all-in-one file and our code alone, gzip -9
// and brotli -11, measured by scripts/sizes.ts (the same numbers as `npm run sizes` and the README).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

const root = new URL('../', import.meta.url);

export interface BundleFigures {
  cdnBytes: number;
  cdnGzipBytes: number;
  cdnBrotliBytes: number;
  allInOneBytes: number;
  allInOneGzipBytes: number;
  allInOneBrotliBytes: number;
  ownBytes: number;
  ownGzipBytes: number;
  ownBrotliBytes: number;
  buildSeconds: number;
}

/** Why there are no bundle figures, when there are none. */
export class NotBuilt extends Error {}

function npmRunBuild(): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '-s', 'build'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** The first line that names an error, else the last line: enough to say why, short enough for a table. */
function firstError(output: string): string {
  const lines = output.trim().split('\n');
  const line = lines.find((candidate) => /error/i.test(candidate)) ?? lines.at(-1) ?? '';
  return line.length > 240 ? `${line.slice(0, 240)}…` : line;
}

export async function benchBundle(): Promise<BundleFigures> {
  const scripts = (JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
  if (!scripts.build) throw new NotBuilt('not built: package.json has no "build" script');
  const started = performance.now();
  const { code, output } = await npmRunBuild();
  const buildSeconds = Number(((performance.now() - started) / 1000).toFixed(1));
  if (code !== 0) throw new NotBuilt(`not built: npm run build failed (exit ${code}): ${firstError(output)}`);
  for (const file of ['dist/cdn/wacrm-notifications.js', 'dist/cdn/wacrm-notifications.all.js', 'dist/define.js']) {
    if (!existsSync(new URL(file, root))) throw new NotBuilt(`not built: ${file} is missing after npm run build`);
  }
  const { sizes } = await import('../scripts/sizes.js');
  const measured = await sizes();
  const cdn = measured.find((size) => size.name.endsWith('wacrm-notifications.js'));
  const allInOne = measured.find((size) => size.name.endsWith('wacrm-notifications.all.js'));
  const own = measured.find((size) => size !== cdn && size !== allInOne);
  if (!cdn || !allInOne || !own) throw new Error(`scripts/sizes.ts did not measure all three: ${measured.map((size) => size.name).join(', ')}`);
  return {
    cdnBytes: cdn.bytes,
    cdnGzipBytes: cdn.gzip,
    cdnBrotliBytes: cdn.brotli,
    allInOneBytes: allInOne.bytes,
    allInOneGzipBytes: allInOne.gzip,
    allInOneBrotliBytes: allInOne.brotli,
    ownBytes: own.bytes,
    ownGzipBytes: own.gzip,
    ownBrotliBytes: own.brotli,
    buildSeconds,
  };
}
