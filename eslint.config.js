// ESLint for the whole repository, run by `npm run lint` (in `npm test`) with zero warnings allowed.
// typescript-eslint's type-aware rules everywhere (floating promises, misused promises and unsafe
// `any` are the faults that matter in an event-driven store); Lit's and web components' rules for
// the elements.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { configs as litConfigs } from 'eslint-plugin-lit';
import { configs as wcConfigs } from 'eslint-plugin-wc';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.supabase-local/**', 'custom-elements.json', '**/*.d.ts'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.browser, ...globals.node, ...globals.mocha },
    },
  },
  {
    rules: {
      // node:test's test()/describe() return promises the runner awaits itself.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // A library's types are augmented in its own namespace (React's JSX, for the elements in
      // TSX), which only a `declare`d namespace can do; namespaces that emit code stay refused.
      '@typescript-eslint/no-namespace': ['error', { allowDeclarations: true }],
      // An async function without await is how a method implements a promise-returning interface
      // (the data source's queries, a command handler) so that a throw becomes a rejection.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Tests, benches and scripts read JSON from the wire, SQL rows and test-runner payloads, untyped
    // by nature: the unsafe-any family would ask for a cast on every read without making a test
    // truer. What ships (src/) and the stand-in (supabase/local/) keep the full set.
    files: ['test/**', 'supabase/tests/**', 'bench/**', 'scripts/**', 'demo/**'],
    rules: {
      // chai's property assertions (`expect(x).to.exist`) are expressions by design.
      '@typescript-eslint/no-unused-expressions': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    ...litConfigs['flat/recommended'],
  },
  {
    files: ['src/**/*.ts'],
    ...wcConfigs['flat/recommended'],
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
