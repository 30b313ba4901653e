/**
 * The parts of the example app besides the order consumer: the orders HTTP API, the order-status projection
 * and the payment function. Each bundles one handler of `handlers/` with the consumer's conventions (local
 * esbuild, Node.js 22 on ARM64, its own log group and a role that may write only there) and grants it
 * exactly the table actions its handler performs.
 */
import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { IdempotencyTable } from '../constructs';
import type { IIdempotencyTable } from '../constructs';
import { createConsumerFunction } from '../constructs/idempotent-queue-consumer-function';
import { ORDER_VIEWS_TABLE_ENV } from '../handlers/stream-projection';

const HANDLERS = path.join(__dirname, '..', 'handlers');

/** The example handler behind the orders HTTP API. */
export const HTTP_ORDERS_ENTRY = path.join(HANDLERS, 'http-orders.ts');

/** The example handler projecting order-status changes into their read model. */
export const STREAM_PROJECTION_ENTRY = path.join(HANDLERS, 'stream-projection.ts');

/** The example payment handler. */
export const PAYMENT_ENTRY = path.join(HANDLERS, 'payment.ts');

/** Environment variable naming the orders table of handlers/http-orders.ts. */
export const HTTP_ORDERS_TABLE_ENV = 'ORDERS_TABLE_NAME';

/** Environment variable naming the ledger table of handlers/payment.ts. */
export const LEDGER_TABLE_ENV = 'LEDGER_TABLE_NAME';

/**
 * The description of the function bundled from `entry`: the handler file, relative to the repository (what
 * the console shows, and what scripts/architecture.ts labels the function with).
 */
export function runs(entry: string): string {
  return `Runs ${path.relative(path.join(__dirname, '..'), entry).split(path.sep).join('/')}`;
}

/** Period of the example's alarms: one minute, as the consumer's. */
const ALARM_PERIOD = Duration.minutes(1);

/** A business table of the example: string partition key, on demand, point-in-time recovery, encrypted. */
function businessTable(scope: Construct, id: string, partitionKey: string, stream?: dynamodb.StreamViewType): dynamodb.Table {
  return new dynamodb.Table(scope, id, {
    partitionKey: { name: partitionKey, type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    stream,
  });
}

/** Grants exactly `actions` on `table` (the handlers' business writes, one action each). */
function grantOn(grantee: iam.IGrantable, table: dynamodb.ITable, ...actions: string[]): iam.Grant {
  return iam.Grant.addToPrincipal({ grantee, actions: actions.map((action) => `dynamodb:${action}`), resourceArns: [table.tableArn] });
}

/** An alarm without actions that fires when `metric` reaches `threshold` within one period. */
function alarm(scope: Construct, id: string, metric: cloudwatch.IMetric, threshold: number, description: string): cloudwatch.Alarm {
  return new cloudwatch.Alarm(scope, id, {
    alarmDescription: description,
    metric,
    threshold,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
}

// ---------------------------------------------------------------------------------------------------------

/** Props of {@link OrdersApi}. */
export interface OrdersApiProps {
  /** The idempotency table holding the stored responses. */
  readonly idempotencyTable: IIdempotencyTable;
}

/**
 * `POST /orders` on an API Gateway HTTP API, served by handlers/http-orders.ts (`makeIdempotentHttpHandler`:
 * the `Idempotency-Key` header). Callers sign their requests (IAM authorization), so each caller's keys are
 * scoped to its IAM identity. The order is written to `ordersTable` in the transaction that stores the
 * response.
 */
export class OrdersApi extends Construct {
  /** The HTTP API. */
  public readonly api: apigw.HttpApi;
  /** Its `$default` stage, auto-deployed, with access logs and throttling. */
  public readonly stage: apigw.HttpStage;
  /** The function behind `POST /orders`. */
  public readonly function: lambda.Function;
  /** The orders the API creates (partition key `id`). */
  public readonly ordersTable: dynamodb.Table;
  /** Fires on any 5xx answer: a request that could not be stored or answered. */
  public readonly serverErrorAlarm: cloudwatch.Alarm;

  public constructor(scope: Construct, id: string, props: OrdersApiProps) {
    super(scope, id);
    this.ordersTable = businessTable(this, 'OrdersTable', 'id');
    this.function = createConsumerFunction(
      this,
      HTTP_ORDERS_ENTRY,
      Duration.seconds(10),
      { description: runs(HTTP_ORDERS_ENTRY), environment: { [HTTP_ORDERS_TABLE_ENV]: this.ordersTable.tableName } },
      'HTTP handler',
    );
    props.idempotencyTable.configureFunction(this.function);
    // commitWith puts the order (a conditional Put inside TransactWriteItems: authorised as PutItem).
    grantOn(this.function, this.ordersTable, 'PutItem');

    this.api = new apigw.HttpApi(this, 'Api', {
      description: 'effectively-once example: POST /orders with an Idempotency-Key header',
      createDefaultStage: false,
    });
    this.api.addRoutes({
      path: '/orders',
      methods: [apigw.HttpMethod.POST],
      integration: new HttpLambdaIntegration('CreateOrder', this.function),
      authorizer: new HttpIamAuthorizer(),
    });
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: logs.RetentionDays.ONE_MONTH });
    this.stage = new apigw.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: 50, burstLimit: 100 },
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            protocol: '$context.protocol',
            responseLength: '$context.responseLength',
          }),
        ),
      },
    });

    this.serverErrorAlarm = alarm(
      this,
      'ServerErrorAlarm',
      this.api.metricServerError({ period: ALARM_PERIOD, statistic: cloudwatch.Stats.SUM }),
      1,
      `5xx answers from ${this.node.path}: a request failed or could not be stored; its client may retry with the same key.`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------------

/**
 * Order-status changes projected into a read model by handlers/stream-projection.ts: the DynamoDB stream of
 * `sourceTable` (partition key `orderId`, items with `status` and `total`, written by your order
 * system) feeds `processStreamBatch`, which writes each change to `viewsTable` through a sequence guard (no
 * idempotency table). A record that still fails after the retries is sent to `failedRecords`.
 */
export class OrderProjection extends Construct {
  /** The order-status table whose stream is projected (partition key `orderId`). */
  public readonly sourceTable: dynamodb.Table;
  /** The read model (partition key `id`). */
  public readonly viewsTable: dynamodb.Table;
  /** The projecting function. */
  public readonly function: lambda.Function;
  /** Where the event source sends the records it gave up on (their stream position, not their data). */
  public readonly failedRecords: sqs.Queue;
  /** Fires when the projection is a minute or more behind the stream. */
  public readonly iteratorAgeAlarm: cloudwatch.Alarm;
  /** Fires when a record was given up on. */
  public readonly failedRecordsAlarm: cloudwatch.Alarm;

  public constructor(scope: Construct, id: string) {
    super(scope, id);
    this.sourceTable = businessTable(this, 'SourceTable', 'orderId', dynamodb.StreamViewType.NEW_AND_OLD_IMAGES);
    this.viewsTable = businessTable(this, 'ViewsTable', 'id');
    this.function = createConsumerFunction(
      this,
      STREAM_PROJECTION_ENTRY,
      Duration.seconds(30),
      { description: runs(STREAM_PROJECTION_ENTRY), environment: { [ORDER_VIEWS_TABLE_ENV]: this.viewsTable.tableName } },
      'stream consumer',
    );
    // applyIfNewer: one conditional UpdateItem per change.
    grantOn(this.function, this.viewsTable, 'UpdateItem');

    this.failedRecords = new sqs.Queue(this, 'FailedRecords', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    this.function.addEventSource(
      new DynamoEventSource(this.sourceTable, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        // processStreamBatch reports the first failed record: Lambda retries from it, in order.
        reportBatchItemFailures: true,
        retryAttempts: 10,
        onFailure: new SqsDlq(this.failedRecords),
      }),
    );

    this.iteratorAgeAlarm = alarm(
      this,
      'IteratorAgeAlarm',
      this.function.metric('IteratorAge', { period: ALARM_PERIOD, statistic: cloudwatch.Stats.MAXIMUM }),
      Duration.minutes(1).toMilliseconds(),
      `The projection ${this.node.path} is a minute or more behind its stream: it is failing or too slow.`,
    );
    this.failedRecordsAlarm = alarm(
      this,
      'FailedRecordsAlarm',
      this.failedRecords.metricApproximateNumberOfMessagesVisible({ period: ALARM_PERIOD, statistic: cloudwatch.Stats.MAXIMUM }),
      1,
      `A change of ${this.node.path} failed every retry and was skipped: its view may be stale until the order changes again.`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------------

/**
 * The payment function of handlers/payment.ts (`makeIdempotent` keyed on `paymentId`, a `step` around the
 * charge, the ledger entry committed with the record), invoked directly by the service that takes payments:
 * attach `invokePolicy` to its role. Payments keep their records in their own `IdempotencyTable`, apart from
 * the orders': another team's data, another retention, and no order function can read a receipt.
 */
export class Payments extends Construct {
  /** The idempotency table of payments only. */
  public readonly idempotencyTable: IdempotencyTable;
  /** The ledger the payments are booked in (partition key `id`). */
  public readonly ledgerTable: dynamodb.Table;
  /** The payment function. */
  public readonly function: lambda.Function;
  /** Allows `lambda:InvokeFunction` on the payment function and nothing else: attach it to the caller's role. */
  public readonly invokePolicy: iam.ManagedPolicy;
  /** Fires on any failed invocation. */
  public readonly errorAlarm: cloudwatch.Alarm;

  public constructor(scope: Construct, id: string) {
    super(scope, id);
    this.idempotencyTable = new IdempotencyTable(this, 'Idempotency');
    this.ledgerTable = businessTable(this, 'LedgerTable', 'id');
    this.function = createConsumerFunction(
      this,
      PAYMENT_ENTRY,
      Duration.seconds(30),
      { description: runs(PAYMENT_ENTRY), environment: { [LEDGER_TABLE_ENV]: this.ledgerTable.tableName } },
      'payment function',
    );
    this.idempotencyTable.configureFunction(this.function);
    // commitWith puts the ledger entry (a conditional Put inside TransactWriteItems).
    grantOn(this.function, this.ledgerTable, 'PutItem');

    this.invokePolicy = new iam.ManagedPolicy(this, 'InvokePolicy', {
      description: `Invoke the payment function of ${this.node.path}`,
      statements: [new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.function.functionArn] })],
    });
    this.errorAlarm = alarm(
      this,
      'ErrorAlarm',
      this.function.metricErrors({ period: ALARM_PERIOD, statistic: cloudwatch.Stats.SUM }),
      1,
      `The payment function of ${this.node.path} failed: its caller got an error and should retry with the same paymentId.`,
    );
  }
}
