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
