// Lint rules for the whole tree: typescript-eslint with type information, for
// what a reviewer misses: a promise nobody awaits or handles, an await on
// something that is not a promise, a switch that forgets a case, an `any` that
// leaks into typed code. Formatting is prettier's (`npm run format`).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeTest = {
  from: 'package',
  package: 'node:test',
  name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'],
};

export default tseslint.config(
  { ignores: ['**/node_modules/**', '.souk/**', 'bench/results/**', '**/*.mjs', 'eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [nodeTest] }],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // Passing on a rejection reason we were handed (an `unknown` caught error, an AbortSignal's reason) is fine.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true, allowThrowingAny: true }],
      // An async function that throws before its first await still rejects (rather than throwing at the
      // caller); that is why many have no await, on purpose.
      '@typescript-eslint/require-await': 'off',
      // Objects here are built from closures (factories returning { method() {...} } over local state), never
      // from classes that use `this`, so passing a method on is safe; the rule would flag every such hand-over.
      '@typescript-eslint/unbound-method': 'off',
      // `any` is allowed where it is the honest type (generic plumbing, JSON from the wire); the unsafe-*
      // rules below keep it from flowing into typed code unnoticed.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    // A service's database is typed: its tables (src/db.ts) and the chassis' (ServiceDb). The one
    // untyped Kysely is the chassis' own plumbing and MigrationDb, what migrations get.
    files: ['services/**/*.ts', 'platform/**/*.ts', 'tools/**/*.ts', 'tests/**/*.ts', 'bench/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            ":matches(TSTypeReference[typeName.name='Kysely'], NewExpression[callee.name='Kysely']) > TSTypeParameterInstantiation > TSAnyKeyword",
          message:
            "Kysely<any> loses the table types: use the service's database type (src/db.ts), or MigrationDb in a migration.",
        },
      ],
    },
  },
  {
    // Tests, test helpers and benchmarks read JSON bodies (typed any by design) and poke at them; the type
    // checker still runs on them.
    files: ['**/*.test.ts', '**/test/**/*.ts', 'tests/**/*.ts', 'packages/*/src/testing/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);
