// Browser suites in Debian's Chromium (no browser download), against the local stand-in that the
// standInPlugin starts for the run. Run with `npm run test:browser`.
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { chromeLauncher } from '@web/test-runner-chrome';
import { chromiumArgs, chromiumPath } from './scripts/chromium.mjs';
import { standInPlugin } from './test/browser/standin-plugin.ts';
import { cdnMiddleware } from './test/browser/cdn-plugin.ts';
import { commonjsPlugin } from './test/browser/commonjs-plugin.ts';

/** The examples (demo/examples/) import the package by name, as an app does: here that is src/. */
const packageAliases = {
  name: 'wacrm-package-aliases',
  resolveImport({ source }) {
    if (source === 'wacrm-notifications') return '/src/index.ts';
    if (source === 'wacrm-notifications/define') return '/src/define.ts';
    // Vue's full build, with the template compiler, as an import map for a page without a build step.
    if (source === 'vue') return '/node_modules/vue/dist/vue.esm-browser.js';
    return undefined;
  },
};


export default {
  files: ['test/browser/**/*.test.ts'],
  nodeResolve: { exportConditions: ['browser'] },
  concurrency: 1,
  testFramework: { config: { timeout: 20000 } },
  testsFinishTimeout: 300000,
  browsers: [
    chromeLauncher({
      launchOptions: {
        executablePath: chromiumPath,
        headless: true,
        args: chromiumArgs,
      },
    }),
  ],
  plugins: [
    packageAliases,
    esbuildPlugin({ ts: true, tsx: true, target: 'es2022', tsconfig: './tsconfig.json' }),
    // React is CommonJS: served as ES modules for the framework examples.
    commonjsPlugin(['react', 'react-dom', 'react-dom/client', 'react/jsx-runtime', 'react/jsx-dev-runtime']),
    standInPlugin(),
  ],
  middleware: [cdnMiddleware()],
};
