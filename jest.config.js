// The AWS SDK warns once per process that its releases after the first week of January 2027 need Node 22 (the
// lockfile pins today's releases, which run on Node 20): silenced here, before globalSetup loads the SDK.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** @type {import('jest').Config} */
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.jest.json' }];
module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': tsJest,
    // @middy/core is ESM-only; transpile it to CommonJS for jest's module system.
    'node_modules/@middy/.+\\.js$': tsJest,
  },
  transformIgnorePatterns: ['/node_modules/(?!@middy/)'],
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // docs/examples import the package by name, as users do: map it to the sources (tsconfig.json's `paths`).
  moduleNameMapper: {
    '^effectively-once$': '<rootDir>/lib/index.ts',
    '^effectively-once/constructs$': '<rootDir>/constructs/index.ts',
    '^effectively-once/(.+)$': '<rootDir>/lib/$1',
  },
  modulePathIgnorePatterns: ['<rootDir>/examples/user-project/node_modules/', '<rootDir>/dist/'],
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  testTimeout: 60000,
  maxWorkers: 2,
};
