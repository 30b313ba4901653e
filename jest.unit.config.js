/**
 * The fast loop (`npm run test:unit`): the unit and benchmark-model suites, which need no local server, so no
 * DynamoDB Local or fauxqs is started. `npm test` runs everything with jest.config.js.
 * @type {import('jest').Config}
 */
const base = require('./jest.config.js');
const { globalSetup: _setup, globalTeardown: _teardown, ...rest } = base;
module.exports = {
  ...rest,
  testMatch: ['<rootDir>/test/unit/**/*.test.ts', '<rootDir>/test/bench/**/*.test.ts'],
};
