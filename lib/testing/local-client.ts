/** How the kit's clients, and yours, reach the local servers it starts. */
import { TestKitConfigError } from './errors';

/** Region of the clients the kit builds for local servers (local servers accept any). */
export const LOCAL_REGION = 'us-east-1';
/**
 * Credentials of the clients the kit builds for local servers (local servers never check them).
 * A new object each time: the SDK writes bookkeeping fields onto the credentials object it is given.
 */
export function localCredentials(): { accessKeyId: string; secretAccessKey: string } {
  return { accessKeyId: 'local', secretAccessKey: 'local' };
}

/** What an AWS SDK v3 client needs to reach a local server: {@link localClientConfig}. */
export interface LocalClientConfig {
  /** The server's endpoint, `http://127.0.0.1:PORT`. */
  readonly endpoint: string;
  /** `'us-east-1'`: the local servers accept any region. */
  readonly region: string;
  /** Dummy credentials (`local` / `local`), a new object on each call: local servers never check them. */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/**
 * The configuration of an AWS SDK v3 client for a local server the kit started (DynamoDB Local, fauxqs):
 * `new DynamoDBClient(localClientConfig(process.env.DYNAMODB_ENDPOINT))` works in a jest test file with no
 * AWS variables set. Spread it to add options: `{ ...localClientConfig(endpoint), maxAttempts: 5 }`.
 *
 * @throws TestKitConfigError when `endpoint` is not an `http://` or `https://` URL.
 */
export function localClientConfig(endpoint: string | undefined): LocalClientConfig {
  if (typeof endpoint !== 'string' || !/^https?:\/\/[^/]+/.test(endpoint)) {
    throw new TestKitConfigError(
      `Expected \`endpoint\` to be the URL of a local server (e.g. \`http://127.0.0.1:8000\`; did the jest globalSetup set it?), got \`${String(endpoint)}\``,
    );
  }
  return { endpoint, region: LOCAL_REGION, credentials: localCredentials() };
}
