// @ts-check
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// Boundaries (STYLE.md 15): a service imports only libs (`@chat/<lib>`) and its own files; a lib
// never imports a service or the root test/; nobody reaches into a lib's src/ past its index.
// scripts/, bench/ and the root test/ are system level: they start services, so they may import
// services' files. Patterns match the import string as written (no resolver needed): service
// folders have fixed names, and own files are always reached by paths that do not name them.
// test/lint-boundaries.unit.test.ts feeds these rules imports they must refuse.
const SERVICES = ['socket-edge', 'message-service', 'history-service'];

const deepLibImport = {
  regex: '^@chat/[^/]+/|(^|/)libs/[^/]+/src(/|$)',
  message: "Import a lib through its entry, '@chat/<lib>': the files under its src/ are private.",
};

/** no-restricted-imports for one folder: the deep-import rule plus that folder's own. */
const restrictImports = (...patterns) => ({
  'no-restricted-imports': ['error', { patterns: [deepLibImport, ...patterns] }],
});

/** What every file of `service` may not import. */
const servicePatterns = (service) => [
  {
    regex: `(^|/)(services|${SERVICES.filter((other) => other !== service).join('|')})(/|$)`,
    message: `A service imports only libs ('@chat/<lib>') and its own files: ${service} may not import another service's files; move what both need into a lib (test helpers into libs/testing).`,
  },
  {
    regex: '(^|/)test/support(/|$)',
    message:
      "The root test/support harness starts several services: a service's tests use its own test/support and libs/testing.",
  },
];

const serviceBoundaries = SERVICES.map((service) => ({
  files: [`services/${service}/**`],
  rules: restrictImports(...servicePatterns(service)),
}));

// Layers inside a service (README, Code layout): entry points call the domain and the
// adapters, never the reverse, and the domain reaches the outside only through adapters and
// libs. These objects come after serviceBoundaries and repeat its patterns: a later config
// object replaces a rule's options, it does not add to them.
const entryPointsImport = {
  regex: '(^|/)entry-points(/|$)',
  message:
    'domain/ and adapters/ never import entry-points/: entry points call them, not the other way round.',
};
const ioLibraryImport = {
  regex:
    '^(socket\\.io(-client)?|amqplib|ioredis|knex|pg|express|jsonwebtoken|opossum|node:(http|https|net))(/|$)',
  message:
    'domain/ imports no I/O library: it reaches the outside through adapters/ and the @chat/* libs.',
};
const layerBoundaries = SERVICES.flatMap((service) => [
  {
    files: [`services/${service}/src/domain/**`],
    rules: restrictImports(...servicePatterns(service), entryPointsImport, ioLibraryImport),
  },
  {
    files: [`services/${service}/src/adapters/**`],
    rules: restrictImports(...servicePatterns(service), entryPointsImport),
  },
]);

const libBoundaries = {
  files: ['libs/**'],
  rules: restrictImports(
    {
      regex: `(^|/)(services|${SERVICES.join('|')})(/|$)`,
      message: 'A lib never imports a service: services depend on libs, not the other way round.',
    },
    {
      regex: '^(\\.\\./)+test(/|$)',
      message:
        'A lib never imports the root test/: shared test helpers live in libs/testing, system tests in the root test/.',
    },
  ),
};

export default tseslint.config(
  { ignores: ['node_modules/', '**/dist/', 'coverage/'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': ['error', { allow: ['error'] }],
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        __dirname: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        module: 'writable',
        process: 'readonly',
        require: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The demo page's scripts: ES modules run by the browser as they are.
    files: ['services/history-service/src/entry-points/http/demo-page/**/*.js'],
    languageOptions: { sourceType: 'module', globals: globals.browser },
  },
  { rules: restrictImports() },
  ...serviceBoundaries,
  ...layerBoundaries,
  libBoundaries,
  {
    files: ['scripts/**', 'bench/**', 'examples/**', '**/test/**', 'libs/testing/**'],
    rules: { 'no-console': 'off' },
  },
);
