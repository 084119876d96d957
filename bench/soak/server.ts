// A dev server for the soak's page alone (bench/soak/page.ts): the page, the widget's source and
// packages, compiled on the fly as bench/browser.ts serves the other browser benches' page.
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startDevServer } from '@web/dev-server';
import { esbuildPlugin } from '@web/dev-server-esbuild';

const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));

const servedPrefixes = ['/bench/soak/', '/src/', '/node_modules/', '/__web-dev-server', '/__wds-'];

const PAGE_HTML = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>wacrm-notifications soak</title>
    <link rel="icon" href="data:," />
    <script type="module" src="/bench/soak/page.ts"></script>
  </head>
  <body></body>
</html>
`;

export interface SoakPageServer {
  /** The soak page, e.g. http://localhost:8123/soak/ */
  url: string;
  stop(): Promise<void>;
}

export async function startSoakPageServer(): Promise<SoakPageServer> {
  const server = await startDevServer({
    config: {
      rootDir: repositoryRoot,
      hostname: 'localhost',
      port: 0,
      nodeResolve: { exportConditions: ['browser'] },
      middleware: [
        async (context, next) => {
          if (context.path === '/soak/') {
            context.type = 'html';
            context.body = PAGE_HTML;
            return;
          }
          if (!servedPrefixes.some((prefix) => context.path.startsWith(prefix))) return context.throw(404);
          return next();
        },
      ],
      plugins: [esbuildPlugin({ ts: true, target: 'es2022', tsconfig: `${repositoryRoot}tsconfig.json` })],
    },
    readCliArgs: false,
    readFileConfig: false,
    logStartMessage: false,
    autoExitProcess: false,
  });
  const { port } = server.server!.address() as AddressInfo;
  return { url: `http://localhost:${port}/soak/`, stop: async () => void (await server.stop()) };
}
