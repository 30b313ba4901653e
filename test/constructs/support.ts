/**
 * Helpers shared by the construct tests: a fresh stack per test, the template and annotations of a
 * stack, the fixture handlers, and a fake `docker` that records any attempt to run it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Template } from 'aws-cdk-lib/assertions';
import type { ConstructValidationError } from '../../constructs';

/** A plain handler returning no batch item failures. */
export const FIXTURE_HANDLER = path.join(__dirname, 'fixtures', 'handler.ts');

/** A handler importing an AWS SDK v3 client (to check it stays out of the bundle). */
export const FIXTURE_SDK_HANDLER = path.join(__dirname, 'fixtures', 'sdk-handler.ts');

/**
 * A new app with one stack named `Test`, its cloud assembly in a fresh temporary directory. Asset
 * bundling is skipped (CDK's `aws:cdk:bundling-stacks` context) unless `bundle` is true: only the tests
 * about the bundle itself pay for esbuild. The stack is environment-agnostic unless `region` is given.
 */
export function newStack(options: { bundle?: boolean; region?: string } = {}): Stack {
  const app = new App({
    outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'eo-cdk-')),
    context: options.bundle === true ? {} : { 'aws:cdk:bundling-stacks': [] },
  });
  return new Stack(app, 'Test', options.region === undefined ? {} : { env: { region: options.region } });
}

export function templateOf(stack: Stack): Template {
  return Template.fromStack(stack);
}

export function annotationsOf(stack: Stack): Annotations {
  return Annotations.fromStack(stack);
}

/** Runs `build` and returns the error it throws (failing the test when it throws none). */
export function thrownBy(build: () => unknown): ConstructValidationError {
  try {
    build();
  } catch (error) {
    return error as ConstructValidationError;
  }
  throw new Error('expected the construct to throw, it did not');
}

/** A directory holding an executable `docker` that writes `marker` when run and exits with failure. */
export function fakeDocker(): { dir: string; marker: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eo-fake-docker-'));
  const marker = path.join(dir, 'docker-was-called');
  fs.writeFileSync(path.join(dir, 'docker'), `#!/bin/sh\necho "$@" >> "${marker}"\nexit 1\n`, { mode: 0o755 });
  return { dir, marker };
}

/**
 * Runs `fn` with CDK pointed at the fake docker, then restores the environment. CDK runs the program
 * named by `CDK_DOCKER` (default `docker`) for every Docker step of bundling; under jest, `process.env`
 * is the sandbox's copy, which CDK's own code reads but child processes do not inherit, so `CDK_DOCKER`
 * (not PATH) is what reliably redirects it.
 */
export function withFakeDocker<T>(fn: (marker: string) => T): T {
  const { dir, marker } = fakeDocker();
  const saved = process.env.CDK_DOCKER;
  process.env.CDK_DOCKER = path.join(dir, 'docker');
  try {
    return fn(marker);
  } finally {
    if (saved === undefined) delete process.env.CDK_DOCKER;
    else process.env.CDK_DOCKER = saved;
  }
}

/**
 * The DynamoDB actions `grantIdempotency` is expected to grant, written out: exactly what the library
 * performs (PartiQL inserts, updates and deletes for batched claims, completions and releases), no Scan, no Query, no wildcard.
 */
export const GRANTED_TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchGetItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:PartiQLInsert',
  'dynamodb:PartiQLUpdate',
  'dynamodb:PartiQLDelete',
];

/** The KMS actions granted on a table's customer managed key, written out. */
export const GRANTED_KEY_ACTIONS = ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*'];
