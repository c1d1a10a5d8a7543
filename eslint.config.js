import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import libLayers from './eslint-rules/lib-layers.js';

/** What the page may not import: engines only through the worker API, and no test doubles. */
const APP_IMPORTS = [
  {
    group: [
      '**/lib/edgetpu/**',
      // gitignore rules: usb/ is re-included first so that identity.ts can be.
      '!**/lib/edgetpu/usb/',
      '**/lib/edgetpu/usb/*',
      '!**/lib/edgetpu/usb/identity.ts',
      '**/lib/runtime/**',
      '**/lib/learn/**',
    ],
    message: 'The page talks to engines only through the worker API (identity.ts holds pure constants).',
  },
  { group: ['**/tests/**'], message: 'Test doubles are never imported by the app.' },
];

/** What lib, worker and CLI may not import: test doubles and the page. */
const BELOW_THE_PAGE = [
  { group: ['**/tests/**'], message: 'Test doubles are never imported by src/.' },
  { group: ['**/app/**'], message: 'Imports go downward: lib and worker never import the page.' },
];

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'dist-*/',
      'node_modules/',
      '.cache/',
      'test-results/',
      '**/generated/',
      'dev-dist/',
      'tests/unit/lint/fixtures/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs.recommended,
  {
    languageOptions: {
      globals: { ...globals.browser, ...globals.node, ...globals.worker, __REEF_VERSION__: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/ban-ts-comment': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] } },
  },
  {
    // Layering (ARCHITECTURE.md): the page never reaches USB, engines or training code directly,
    // and nothing in src/ may import the test emulator.
    files: ['src/app/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: APP_IMPORTS }] },
  },
  {
    // Organised by feature: a feature uses shared/ and its own files, never another feature's (the
    // lint test's fixture tree under tests/unit/lint/fixtures/src/app shows it failing).
    files: ['src/app/features/**', 'tests/unit/lint/fixtures/src/app/features/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...APP_IMPORTS,
            {
              regex: '^\\.\\./[^./][^/]*/',
              message: 'A feature does not import another feature: move what both use to src/app/shared.',
            },
          ],
        },
      ],
    },
  },
  {
    // Layering inside src/lib: lower areas only, and only through their index.ts (the lint test's
    // fixture tree mirrors src/lib so the rule can be seen to fail; it is ignored in normal runs).
    files: ['src/lib/**/*.ts', 'tests/unit/lint/fixtures/**/src/lib/**/*.ts'],
    plugins: { reef: { rules: { 'lib-layers': libLayers } } },
    rules: { 'reef/lib-layers': 'error' },
  },
  {
    files: ['src/lib/**', 'src/worker/**', 'src/cli/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: BELOW_THE_PAGE,
        },
      ],
    },
  },
  {
    // The CLI and the browser worker are two hosts of the same lib, side by side: what both need
    // lives in src/lib. (A later block replaces the rule's options, so BELOW_THE_PAGE is listed again.)
    files: ['src/lib/**', 'src/cli/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...BELOW_THE_PAGE,
            {
              group: ['**/worker/**'],
              message: 'The CLI and lib never import the browser worker: shared code lives in src/lib.',
            },
          ],
        },
      ],
    },
  },
);
