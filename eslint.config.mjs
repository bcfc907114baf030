// One ESLint config for the whole repository (conventions.md principle 13).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/generated/**', 'coverage/**', '.duet/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/ban-ts-comment': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // The simulation core and every service's domain are pure: no frameworks, no I/O, and time
    // and randomness come from the engine (conventions.md principles 2 and 6).
    files: ['packages/sim-core/src/**/*.ts', 'services/*/src/domain/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@nestjs/*', '@grpc/*', 'kafkajs', 'pg', 'pg-*', 'node:fs', 'fs', 'node:net', 'node:http'],
              message: 'domain code stays pure: talk to the outside through a port',
            },
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'use the counter-based CounterRandom (engine/random.ts)' },
        { object: 'Date', property: 'now', message: 'time comes from the tick clock or an injected WallClock' },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        process: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        fetch: 'readonly',
        AbortSignal: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The built-in dashboard's page scripts: ES modules run by the browser.
    files: ['services/telemetry/dashboard/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        [
          'window',
          'document',
          'location',
          'fetch',
          'EventSource',
          'ResizeObserver',
          'URLSearchParams',
          'Option',
          'setInterval',
          'clearInterval',
          'setTimeout',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
);
