/** Internal: the two alarms of {@link IdempotentQueueConsumer}. */
import type { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ALARM_PERIOD, DEAD_LETTER_QUEUE_ALARM_THRESHOLD } from './defaults';
import { describeDuration as describe } from './errors';
import type { IdempotentQueueConsumerAlarms } from './idempotent-queue-consumer-props';

/** What the alarms watch. */
export interface ConsumerAlarmTargets {
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  /** Named in the dead-letter alarm's description. */
  readonly maxReceiveCount: number;
  readonly oldestMessageAgeAlarmThreshold: Duration;
}

/** A dead-letter queue depth alarm and an oldest-message age alarm, without actions, under `scope`. */
export function createConsumerAlarms(scope: Construct, targets: ConsumerAlarmTargets): IdempotentQueueConsumerAlarms {
  const threshold = targets.oldestMessageAgeAlarmThreshold;
  return {
    deadLetterQueueDepth: new cloudwatch.Alarm(scope, 'DeadLetterQueueDepthAlarm', {
      alarmDescription: `Messages in the dead-letter queue of ${scope.node.path}: they failed ${targets.maxReceiveCount} receives and need attention.`,
      metric: targets.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: ALARM_PERIOD,
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: DEAD_LETTER_QUEUE_ALARM_THRESHOLD,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
    oldestMessageAge: new cloudwatch.Alarm(scope, 'OldestMessageAgeAlarm', {
      alarmDescription: `The oldest message of ${scope.node.path} is older than ${describe(threshold)}: the consumer is falling behind or failing.`,
      metric: targets.queue.metricApproximateAgeOfOldestMessage({
        period: ALARM_PERIOD,
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: threshold.toSeconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
  };
}
