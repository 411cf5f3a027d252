// npm run lint (with the import-cycle check, scripts/lint.js). A small config on purpose: the layer rules of
// CONTRIBUTING.md, and a few rules the code already keeps.
import tseslint from 'typescript-eslint';

/** Layers: src/core imports neither VS Code nor the adapters; src/providers imports no VS Code. */
const VSCODE = { name: 'vscode', message: 'Only src/vscode and src/extension.ts may use the VS Code API.' };
const VSCODE_LAYER = { regex: '^\\.{1,2}/(.*/)?vscode(/|$)', message: 'src/vscode is the edge: nothing below it imports it.' };
const PROVIDERS = { regex: '^\\.{1,2}/(.*/)?providers(/|$)', message: 'The core owns the provider contract (core/ports.ts); the adapters are injected by src/extension.ts.' };

/** The same layer rules for what no-restricted-imports does not see: require(), import() and `import('…').T` types. */
const restrictedSources = pattern => [
  { selector: `CallExpression[callee.name='require'] > Literal.arguments[value=${pattern}]`, message: 'This layer may not load that module (see eslint.config.mjs).' },
  { selector: `ImportExpression > Literal.source[value=${pattern}]`, message: 'This layer may not load that module (see eslint.config.mjs).' },
  { selector: `TSImportType Literal[value=${pattern}]`, message: 'This layer may not name types of that module (see eslint.config.mjs).' },
];

export default [
  { ignores: ['out/**', 'dist/**', 'node_modules/**', '.vscode-test/**'] },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-var': 'error',
      'no-debugger': 'error',
      'no-eval': 'error',
      'no-implied-eval': 'error',
      'no-new-func': 'error',
      'no-throw-literal': 'error',
      'no-self-compare': 'error',
      'no-unsafe-finally': 'error',
      'no-fallthrough': 'error',
      'no-control-regex': 'error',
      '@typescript-eslint/ban-ts-comment': 'error',
      '@typescript-eslint/no-require-imports': 'error',
      '@typescript-eslint/prefer-as-const': 'error',
      '@typescript-eslint/no-wrapper-object-types': 'error',
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [VSCODE], patterns: [VSCODE_LAYER, PROVIDERS] }],
      'no-restricted-syntax': ['error', ...restrictedSources('/^vscode$|(^|\\/)(vscode|providers)(\\/|$)/')],
    },
  },
  {
    files: ['src/providers/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [VSCODE], patterns: [VSCODE_LAYER] }],
      'no-restricted-syntax': ['error', ...restrictedSources('/^vscode$|(^|\\/)vscode(\\/|$)/')],
    },
  },
];
