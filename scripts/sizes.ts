// Sizes of what we ship, as the README and the budget test report them: the two CDN files and "our
// code alone" (the registering entry bundled with lit, @lit/context and relative-time-element left
// out), each minified as the CDN build does, then gzip -9 and brotli -11. Needs `npm run build`.
// Run: npm run sizes
import { readdirSync, readFileSync } from 'node:fs';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { rollup } from 'rollup';
import { esbuildMinify, minifyCss, onwarn } from './bundle-options.mjs';

export interface Size {
  name: string;
  bytes: number;
  gzip: number;
  brotli: number;
}

const root = new URL('../', import.meta.url);

function measure(name: string, code: string | Buffer): Size {
  const buffer = Buffer.from(code);
  return {
    name,
    bytes: buffer.length,
    gzip: gzipSync(buffer, { level: 9 }).length,
    brotli: brotliCompressSync(buffer, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
}

export async function ourCodeAlone(): Promise<string> {
  const bundle = await rollup({
    input: new URL('dist/define.js', root).pathname,
    external: (id) => /^(lit|lit-html|lit-element|@lit\/|@lit-labs\/|@github\/)/.test(id),
    plugins: [minifyCss()],
    onwarn,
    // As the CDN build: what the on-demand chunks share stays in the entry, which is the first load.
    preserveEntrySignatures: 'allow-extension',
  });
  const { output } = await bundle.generate({ format: 'es', plugins: [esbuildMinify()] });
  await bundle.close();
  const entry = output.find((file) => file.type === 'chunk' && file.isEntry);
  return entry && entry.type === 'chunk' ? entry.code : '';
}

export async function sizes(): Promise<Size[]> {
  // The slim file's on-demand chunks beside it (`wacrm-notifications.<module>-<hash>.js`), each loaded when first needed.
  const chunks = readdirSync(new URL('dist/cdn/', root))
    .filter((name) => /^wacrm-notifications\.(?!all\.)[\w-]+-[\w-]+\.js$/.test(name))
    .sort()
    .map((name) => measure(`  on demand: ${name}`, readFileSync(new URL(`dist/cdn/${name}`, root))));
  return [
    measure('dist/cdn/wacrm-notifications.js', readFileSync(new URL('dist/cdn/wacrm-notifications.js', root))),
    measure('dist/cdn/wacrm-notifications.all.js', readFileSync(new URL('dist/cdn/wacrm-notifications.all.js', root))),
    measure('our code alone (lit, @lit/context, relative-time-element external)', await ourCodeAlone()),
    ...chunks,
  ];
}

export const kilobytes = (bytes: number) => `${(bytes / 1000).toFixed(1)} KB`;

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log('| file | minified | gzip -9 | brotli -11 |\n|---|---|---|---|');
  for (const size of await sizes()) {
    console.log(`| ${size.name} | ${kilobytes(size.bytes)} | ${kilobytes(size.gzip)} | ${kilobytes(size.brotli)} |`);
  }
}
