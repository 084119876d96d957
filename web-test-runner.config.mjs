// Browser suites in Chromium, Firefox and WebKit from Debian's packages (no browser download), one
// engine after the other, against the local stand-in that the standInPlugin starts for the run.
// Run with `npm run test:browser`; one engine alone with `WACRM_BROWSERS=firefox npm run test:browser`
// (test/browser/browsers.ts).
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { browsers } from './test/browser/browsers.ts';
import { standInPlugin } from './test/browser/standin-plugin.ts';
import { cdnMiddleware } from './test/browser/cdn-plugin.ts';
import { commonjsPlugin } from './test/browser/commonjs-plugin.ts';
import { defaultReporter } from '@web/test-runner';
import { durationsReporter } from './test/browser/support/durations-reporter.ts';
import { formGroups, formsMiddleware, formsReporter, packageNamesPlugin, pageFor, selectedForms } from './test/browser/forms.ts';

// The tests import the package by name; each page's import map says which form that is (see
// test/browser/forms.ts). Without WACRM_FORMS: every test file, in the sources. With it (set by
// `npm run test:artifacts`): one group per form named, each with the test files that form runs.
const forms = selectedForms();
const launchers = browsers();
const testFiles = forms.length
  ? {
      groups: formGroups(forms, process.env.WACRM_FORM_FILES?.split(',').filter(Boolean), launchers),
      reporters: [defaultReporter(), formsReporter(), durationsReporter()],
    }
  : { files: ['test/browser/**/*.test.ts'], reporters: [defaultReporter(), durationsReporter()] };

export default {
  ...testFiles,
  testRunnerHtml: pageFor('source'),
  nodeResolve: { exportConditions: ['browser'] },
  concurrency: 1,
  testFramework: { config: { timeout: 20000 } },
  testsFinishTimeout: 300000,
  browsers: launchers,
  // One engine at a time: the suites share one stand-in, and some restart it.
  concurrentBrowsers: 1,
  plugins: [
    packageNamesPlugin(),
    esbuildPlugin({ ts: true, tsx: true, target: 'es2022', tsconfig: './tsconfig.json' }),
    // React is CommonJS: served as ES modules for the framework examples.
    commonjsPlugin(['react', 'react-dom', 'react-dom/client', 'react/jsx-runtime', 'react/jsx-dev-runtime']),
    standInPlugin(),
  ],
  middleware: [cdnMiddleware(), formsMiddleware()],
};
