import type { Duration } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * A construct's props break a rule that would make the deployment fail or the consumer unsafe. Thrown
 * at synth time, before any resource is created; the message names the values it saw.
 */
export class ConstructValidationError extends Error {
  /** Path of the construct whose props are invalid, e.g. `MyStack/Orders`. */
  public readonly constructPath: string;
  /** Name of the offending prop, e.g. `visibilityTimeout`. */
  public readonly property: string;

  /**
   * @param cause the error this one reports, when aws-cdk-lib found the problem first (it is kept as `cause`)
   */
  public constructor(scope: IConstruct, property: string, message: string, cause?: unknown) {
    super(`${message} (at ${scope.node.path})`, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.constructPath = scope.node.path;
    this.property = property;
  }
}

/** `Duration.toHumanString()`, e.g. "30 seconds", "1 hour": how error and warning messages name durations. */
export function describeDuration(duration: Duration): string {
  return duration.toHumanString();
}
