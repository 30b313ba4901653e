import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXAMPLE_STACK_NAME } from '../../bin/example-stack';
import { fakeDocker } from './support';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

describe('cdk.json', () => {
  it('lets `npx cdk synth --quiet` synthesize the example app offline, without Docker', () => {
    const output = fs.mkdtempSync(path.join(os.tmpdir(), 'eo-cdk-cli-'));
    const { dir, marker } = fakeDocker();
    const result = spawnSync('npx', ['cdk', 'synth', '--quiet', '--output', output], {
      cwd: REPO_ROOT,
      env: { ...process.env, CDK_DOCKER: path.join(dir, 'docker'), PATH: `${dir}${path.delimiter}${process.env.PATH ?? ''}` },
      encoding: 'utf8',
      timeout: 240_000,
    });
    expect({ status: result.status, stderr: result.status === 0 ? '' : result.stderr }).toEqual({ status: 0, stderr: '' });
    expect(fs.existsSync(path.join(output, `${EXAMPLE_STACK_NAME}.template.json`))).toBe(true);
    expect(fs.existsSync(marker)).toBe(false);
  }, 300_000);
});
