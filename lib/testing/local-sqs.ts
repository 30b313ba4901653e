import { localCredentials, LOCAL_REGION } from './local-client';
import { DEFAULT_LOCAL_PORT } from './local-dynamodb';
import { integerIn, satisfies } from '../config/checks';
import { defineOptions, type SameKeys } from '../config/spec';
import { TestKitConfigError } from './errors';
import type { LocalSqsClient } from './lambda-types';
import { loadOptional } from './optional';

/** Region fauxqs puts in queue URLs and ARNs when `region` is not given. */
export const DEFAULT_SQS_REGION = LOCAL_REGION;

/** Options of {@link startLocalSqs}. */
export interface StartLocalSqsOptions {
  /**
   * TCP port to listen on.
   * @default 0 (a free port chosen by the operating system)
   */
  readonly port?: number;
  /**
   * Region of the returned client and of the queue URLs and ARNs fauxqs builds.
   * @default 'us-east-1'
   */
  readonly region?: string;
}

/** A running in-process SQS emulator (fauxqs), returned by {@link startLocalSqs}. */
export interface LocalSqs {
  /** `http://127.0.0.1:PORT`. */
  readonly endpoint: string;
  /** A client for this server (dummy credentials). Destroyed by `stop()`. */
  readonly client: LocalSqsClient;
  /** Stops the server and resolves when it has closed. Idempotent. */
  stop(): Promise<void>;
}

/** The part of fauxqs's API the kit uses (its own types are ESM-only). */
interface FauxqsModule {
  startFauxqs(options: {
    port?: number;
    logger?: boolean;
    defaultRegion?: string;
  }): Promise<{ readonly address: string; readonly port: number; stop(): Promise<void> }>;
}

/** Every option of `startLocalSqs`, declared once. */
const LOCAL_SQS_OPTIONS = /* @__PURE__ */ defineOptions(
  'startLocalSqs',
  {
    port: { check: integerIn(0, 65535), default: DEFAULT_LOCAL_PORT, doc: 'the port (0: a free one)' },
    region: {
      check: satisfies<string>('to be an AWS region name', (value) => typeof value === 'string' && /^[a-z]{2}(-[a-z]+)+-\d+$/.test(value)),
      default: DEFAULT_SQS_REGION,
      doc: 'the region in queue URLs and ARNs',
    },
  },
  TestKitConfigError,
);
const _localSqsKeys: SameKeys<StartLocalSqsOptions, typeof LOCAL_SQS_OPTIONS.spec> = true;

/**
 * Starts fauxqs (an SQS emulator, optional peer dependency of the kit) in this process.
 *
 * fauxqs is ESM-only. Call this from plain Node (Node >= 20.19 loads it with `import()` and `require()`)
 * or from jest's `globalSetup`, not from inside a jest test file: jest's module sandbox cannot load ESM
 * without `--experimental-vm-modules`. Tests then reach the server through its endpoint.
 *
 * @throws TestKitDependencyError when `fauxqs` or `@aws-sdk/client-sqs` is not installed.
 */
export async function startLocalSqs(options: StartLocalSqsOptions = {}): Promise<LocalSqs> {
  const { port, region } = LOCAL_SQS_OPTIONS.resolve(options);
  const sqs = await loadOptional<typeof import('@aws-sdk/client-sqs')>('@aws-sdk/client-sqs', 'startLocalSqs');
  const fauxqs = await loadOptional<FauxqsModule>('fauxqs', 'startLocalSqs');
  const server = await fauxqs.startFauxqs({ port, logger: false, defaultRegion: region });
  const endpoint = `http://127.0.0.1:${server.port}`;
  const client = new sqs.SQSClient({ region, credentials: localCredentials(), endpoint });
  let stopped: Promise<void> | undefined;
  return {
    endpoint,
    client,
    stop: () => {
      stopped ??= (async () => {
        client.destroy();
        await server.stop();
      })();
      return stopped;
    },
  };
}
