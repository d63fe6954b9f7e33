// Lint rules for lib/, scripts/ and tests/; formatting is Prettier's job (eslint-config-prettier).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'packages/*/dist/**',
      'packages/*/native/build/**',
      'node_modules/**',
      '.venv/**',
      'out/**',
      'data/**',
      'exercises/**',
      'lite/kernel/lib/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: {
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        console: 'readonly',
        __dirname: 'readonly',
        __filename: 'readonly',
      },
    },
    rules: {
      // tfjs and tslab hand us loosely typed objects; `require` is how CommonJS code loads optional modules.
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },
  {
    // One library, two hosts (lib/host/README.md): shared modules run in Node and in a browser's Web
    // Worker, so Node-only modules stay in the Node side listed in `ignores`. The browser build
    // (scripts/build-browser.ts) also fails on any that slips through, with the importing file.
    files: ['lib/**/*.ts'],
    ignores: [
      'lib/host/node*.ts',
      'lib/runner/**',
      'lib/project.ts',
      'lib/backend/{select,speed}.ts',
      'lib/data/{files,checksums,download,cifar10,image}.ts',
      'lib/notebook/image.ts',
      'lib/plots/raster*.ts',
      'lib/exercises/{assemble,generate,grade,gradebook,guard,sandbox,score}.ts',
    ],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'fs/*', 'path', 'os', 'crypto', 'zlib', 'worker_threads', 'child_process'],
              message: 'Node-only: put it behind lib/host (see lib/host/README.md).',
              allowTypeImports: true,
            },
            {
              group: ['sharp', 'tslab', 'tslab/*', 'tar'],
              message: 'Node-only: put it behind lib/host (see lib/host/README.md).',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
);
