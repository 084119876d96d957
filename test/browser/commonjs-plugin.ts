// A web-test-runner plugin that serves CommonJS packages (React 19 ships no ES modules) as ES
// modules for the framework examples: esbuild bundles them once, on first request, into one
// module per entry with shared chunks (one React instance for react, react-dom and the JSX
// runtime), each re-exporting by name what the package exports.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { build, type Plugin as EsbuildPlugin } from 'esbuild';
import type { TestRunnerPlugin } from '@web/test-runner';

const root = fileURLToPath(new URL('../../', import.meta.url));
const PREFIX = '/__commonjs__/';

/** What the package exports, read in a child process: React's development build talks to the console on load. */
function exportNames(entry: string): string[] {
  const script = `console.log(JSON.stringify(Object.keys(require(${JSON.stringify(entry)}))))`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' })) as string[];
}

export function commonjsPlugin(entries: string[]): TestRunnerPlugin {
  let bundled: Promise<Map<string, string>> | undefined;

  async function bundle(): Promise<Map<string, string>> {
    const wrappers: EsbuildPlugin = {
      name: 'named-exports',
      setup(esbuild) {
        esbuild.onResolve({ filter: /^wrapper:/ }, (args) => ({ path: args.path.slice('wrapper:'.length), namespace: 'wrapper' }));
        esbuild.onLoad({ filter: /.*/, namespace: 'wrapper' }, (args) => {
          const names = exportNames(args.path).filter((name) => /^[A-Za-z_$][\w$]*$/.test(name) && name !== 'default');
          return {
            contents: `import cjs from ${JSON.stringify(args.path)};\nexport default cjs;\nexport const { ${names.join(', ')} } = cjs;\n`,
            resolveDir: root,
          };
        });
      },
    };
    const result = await build({
      entryPoints: entries.map((entry) => ({ in: `wrapper:${entry}`, out: entry })),
      bundle: true,
      splitting: true,
      format: 'esm',
      write: false,
      outdir: `${root}__commonjs__`,
      define: { 'process.env.NODE_ENV': '"development"' },
      plugins: [wrappers],
      logLevel: 'silent',
    });
    return new Map(result.outputFiles.map((file) => [`${PREFIX}${file.path.slice(`${root}__commonjs__/`.length)}`, file.text]));
  }

  return {
    name: 'wacrm-commonjs',
    resolveImport({ source }) {
      return entries.includes(source) ? `${PREFIX}${source}.js` : undefined;
    },
    async serve(context) {
      if (!context.path.startsWith(PREFIX)) return undefined;
      const body = (await (bundled ??= bundle())).get(context.path);
      return body === undefined ? undefined : { body, type: 'js' };
    },
  };
}
