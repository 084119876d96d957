// Chromium for the browser figures: a dev server for the bench page (bench/page/bench-page.ts,
// which imports the widget's source and supabase-js, compiled on the fly as the demo's server does)
// and a headless Debian Chromium driven by puppeteer-core.
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startDevServer } from '@web/dev-server';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { chromiumArgs, chromiumPath } from '../scripts/chromium.mjs';

const repositoryRoot = fileURLToPath(new URL('../', import.meta.url));

/** A bench page: served at `path`, it loads `script` (a module under `directory`, compiled on the fly). */
export interface PageSpec {
  /** Where the page is served, e.g. `/bench/`. */
  path: string;
  /** The folder of the page's modules, e.g. `/bench/page/`: served with the widget's source and packages. */
  directory: string;
  script: string;
  title: string;
}

export interface BenchPageServer {
  /** The page, e.g. http://localhost:8123/bench/ */
  url: string;
  stop(): Promise<void>;
}

const benchPage: PageSpec = {
  path: '/bench/',
  directory: '/bench/page/',
  script: '/bench/page/bench-page.ts',
  title: 'wacrm-notifications bench',
};

/** A dev server for one bench page (the browser figures' by default; the soak has its own). */
export async function startBenchPageServer(page: PageSpec = benchPage): Promise<BenchPageServer> {
  // The page itself, the widget's source and packages, and the dev server's own helpers.
  const servedPrefixes = [page.directory, '/src/', '/node_modules/', '/__web-dev-server', '/__wds-'];
  const html = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${page.title}</title>
    <link rel="icon" href="data:," />
    <script type="module" src="${page.script}"></script>
  </head>
  <body></body>
</html>
`;
  const server = await startDevServer({
    config: {
      rootDir: repositoryRoot,
      hostname: 'localhost',
      port: 0,
      nodeResolve: { exportConditions: ['browser'] },
      middleware: [
        async (context, next) => {
          if (context.path === page.path) {
            context.type = 'html';
            context.body = html;
            return;
          }
          // The root is the repository, to reach src/ and node_modules/; nothing else is served.
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
  // Port 0: any free port (the config keeps the 0, the socket knows the real one).
  const { port } = server.server!.address() as AddressInfo;
  return { url: `http://localhost:${port}${page.path}`, stop: async () => void (await server.stop()) };
}

export async function launchChromium(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
  });
}

/** A fresh tab on the bench page, its module loaded; page errors are collected, not lost. */
export async function openBenchPage(browser: Browser, url: string, errors: string[]): Promise<Page> {
  const page = await browser.newPage();
  page.on('pageerror', (error) => errors.push(`page error: ${error instanceof Error ? error.message : String(error)}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console error: ${message.text()}`);
  });
  await page.setViewport({ width: 1280, height: 800 });
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForFunction(() => window.wacrmBench !== undefined, { timeout: 60_000 });
  return page;
}
