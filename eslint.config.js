// Lint: typescript-eslint's recommended rules plus the dependency direction of DESIGN.md,
// enforced with no-restricted-imports per source folder:
//   commands -> cli -> {resources, tokens, client, control-plane, egress, install} -> core
// control-plane and egress never import each other or client; nothing imports commands.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const leaf = (name) => ({ group: [`**/${name}/**`, `../${name}/*`, `../../${name}/*`], message: `DESIGN.md: this folder may not import src/${name}.` });
const jose = { name: 'jose', message: 'jose is used only in src/tokens/ (DESIGN.md).' };
// One rule entry per folder: flat config replaces (not merges) a rule's options, so the jose ban
// travels with each folder's pattern list instead of living in a separate block.
const restrict = (files, names, { allowJose = false } = {}) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { patterns: names.map(leaf), paths: allowJose ? [] : [jose] }] },
});

export default tseslint.config(
  { ignores: ['dist/**', '.dist-*/**', 'node_modules/**', 'src/**/generated/**', 'bench/.out/**', 'tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', AbortController: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', fetch: 'readonly', performance: 'readonly', structuredClone: 'readonly', queueMicrotask: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
    },
  },
  restrict(['src/core/**'], ['commands', 'cli', 'resources', 'tokens', 'client', 'control-plane', 'egress', 'install']),
  restrict(['src/resources/**'], ['commands', 'cli', 'tokens', 'client', 'control-plane', 'egress', 'install']),
  restrict(['src/tokens/**'], ['commands', 'cli', 'client', 'control-plane', 'egress', 'install'], { allowJose: true }),
  restrict(['src/install/**'], ['commands', 'cli', 'tokens', 'client', 'control-plane', 'egress']),
  restrict(['src/client/**'], ['commands', 'cli', 'control-plane', 'egress', 'install']),
  restrict(['src/control-plane/**'], ['commands', 'cli', 'client', 'egress', 'install']),
  restrict(['src/egress/**'], ['commands', 'cli', 'client', 'control-plane', 'install']),
  restrict(['src/cli/**'], ['commands']),
  // The web view talks to the control plane only through its REST API (issue 18).
  { files: ['web/**'], rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/src/**', '../../src/*', '../../../src/*'], message: 'DESIGN.md: web/ uses only the REST API; it may not import src/.' }] }] } },
  restrict(['test/**', 'bench/**', 'scripts/**'], ['commands'], { allowJose: true }),
  {
    files: ['test/**'],
    rules: {
      'no-restricted-properties': ['error', { object: 'test', property: 'only', message: 'no focused tests' }, { object: 'it', property: 'only', message: 'no focused tests' }, { object: 'describe', property: 'only', message: 'no focused tests' }],
    },
  },
);
