/**
 * Every default of `processSqsBatch`, once. Internal: the TSDoc `@default` of each option gives the value
 * itself, and test/unit/defaults.test.ts checks that they agree.
 */

/** Records of a batch that run at once: records of a standard queue, message groups of a FIFO queue. */
export const DEFAULT_SQS_CONCURRENCY = 10;

/** What a failure does to the rest of a FIFO batch: skip the later records of the failed record's group. */
export const DEFAULT_FIFO_ON_FAILURE = 'skip-group';

/** Seconds of visibility each extension gives the batch's in-flight messages, counted from the extension. */
export const DEFAULT_VISIBILITY_EXTEND_BY_SECONDS = 60;

/** The next extension is sent when this many seconds of the last one remain. */
export const DEFAULT_VISIBILITY_EXTEND_WHEN_REMAINING_SECONDS = 20;

/** Largest visibility timeout SQS accepts, in seconds (12 hours). */
export const MAX_VISIBILITY_TIMEOUT_SECONDS = 43_200;

/** Largest number of entries of one `ChangeMessageVisibilityBatch` request. */
export const MAX_VISIBILITY_BATCH_ENTRIES = 10;
