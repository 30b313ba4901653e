// examples/user-project/jest.config.js
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // Once per run, in jest's own process: DynamoDB Local and the table; its endpoint goes to the workers.
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  // In every worker, before the test file imports the handler: the table name, the endpoint, a region.
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  testTimeout: 60000,
};
