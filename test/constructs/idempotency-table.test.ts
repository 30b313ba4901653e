import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { ConstructValidationError, IDEMPOTENCY_TABLE_NAME_ENV, IdempotencyTable } from '../../constructs';
import type { IIdempotencyTable } from '../../constructs';
import { DEFAULT_KEY_ATTR, DEFAULT_TTL_ATTR } from '../../lib/persistence/schema';
import { GRANTED_KEY_ACTIONS, GRANTED_TABLE_ACTIONS, newStack, templateOf, thrownBy } from './support';

function inlineFunction(stack: Stack): lambda.Function {
  return new lambda.Function(stack, 'Fn', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    timeout: Duration.seconds(10),
  });
}

function tableLogicalId(stack: Stack, table: IdempotencyTable): string {
  return stack.getLogicalId(table.table.node.defaultChild as import('aws-cdk-lib').CfnElement);
}

/** The statements of every IAM policy of the stack. */
function policyStatements(stack: Stack): Record<string, unknown>[] {
  const policies = templateOf(stack).findResources('AWS::IAM::Policy');
  return Object.values(policies).flatMap(
    (policy) =>
      (policy as { Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } } }).Properties.PolicyDocument.Statement,
  );
}

describe('IdempotencyTable', () => {
  describe('defaults', () => {
    it('has the string partition key id and no sort key', () => {
      const stack = newStack();
      new IdempotencyTable(stack, 'Idempotency');
      templateOf(stack).hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      });
    });

    it('uses the key and TTL attributes DynamoDBStore reads and writes', () => {
      const stack = newStack();
      new IdempotencyTable(stack, 'Idempotency');
      templateOf(stack).hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: [{ AttributeName: DEFAULT_KEY_ATTR, KeyType: 'HASH' }],
        TimeToLiveSpecification: { AttributeName: DEFAULT_TTL_ATTR, Enabled: true },
      });
    });

    it('enables Time To Live on expiration', () => {
      const stack = newStack();
      new IdempotencyTable(stack, 'Idempotency');
      templateOf(stack).hasResourceProperties('AWS::DynamoDB::Table', {
        TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
      });
    });

    it('bills on demand', () => {
      const stack = newStack();
      new IdempotencyTable(stack, 'Idempotency');
      templateOf(stack).hasResourceProperties('AWS::DynamoDB::Table', { BillingMode: 'PAY_PER_REQUEST' });
    });

    it('enables point-in-time recovery', () => {
      const stack = newStack();
      new IdempotencyTable(stack, 'Idempotency');
      templateOf(stack).hasResourceProperties('AWS::DynamoDB::Table', {
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      });
    });

    it('encrypts at rest with the AWS managed key', () => {
      const stack = newStack();
      new IdempotencyTable(stack, 'Idempotency');
      templateOf(stack).hasResourceProperties('AWS::DynamoDB::Table', {
        SSESpecification: { SSEEnabled: true, KMSMasterKeyId: Match.absent(), SSEType: Match.absent() },
      });
    });

    it('is retained when it leaves the stack', () => {
      const stack = newStack();
      new IdempotencyTable(stack, 'Idempotency');
      templateOf(stack).hasResource('AWS::DynamoDB::Table', {
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
    });

    it('lets CloudFormation name the table', () => {
      const stack = newStack();
      new IdempotencyTable(stack, 'Idempotency');
      templateOf(stack).hasResourceProperties('AWS::DynamoDB::Table', { TableName: Match.absent() });
    });
  });

  describe('props', () => {
    it('tableName sets the physical name', () => {
      const stack = newStack();
      new IdempotencyTable(stack, 'Idempotency', { tableName: 'orders-idempotency' });
      templateOf(stack).hasResourceProperties('AWS::DynamoDB::Table', { TableName: 'orders-idempotency' });
    });

    it('encryptionKey encrypts the table with that customer managed key', () => {
      const stack = newStack();
      const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
      new IdempotencyTable(stack, 'Idempotency', { encryptionKey: key });
      templateOf(stack).hasResourceProperties('AWS::DynamoDB::Table', {
        SSESpecification: {
          SSEEnabled: true,
          SSEType: 'KMS',
          KMSMasterKeyId: { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as kms.CfnKey), 'Arn'] },
        },
      });
    });

    it('removalPolicy DESTROY deletes the table with the stack', () => {
      const stack = newStack();
      new IdempotencyTable(stack, 'Idempotency', { removalPolicy: RemovalPolicy.DESTROY });
      templateOf(stack).hasResource('AWS::DynamoDB::Table', {
        DeletionPolicy: 'Delete',
        UpdateReplacePolicy: 'Delete',
      });
    });

    it('pointInTimeRecovery false disables point-in-time recovery', () => {
      const stack = newStack();
      new IdempotencyTable(stack, 'Idempotency', { pointInTimeRecovery: false });
      templateOf(stack).hasResourceProperties('AWS::DynamoDB::Table', {
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false },
      });
    });
  });

  describe('exposed attributes', () => {
    it('exposes the table, its name and its ARN', () => {
      const stack = newStack();
      const table = new IdempotencyTable(stack, 'Idempotency');
      const logicalId = tableLogicalId(stack, table);
      expect(stack.resolve(table.tableName)).toEqual({ Ref: logicalId });
      expect(stack.resolve(table.tableArn)).toEqual({ 'Fn::GetAtt': [logicalId, 'Arn'] });
      expect(stack.resolve(table.table.tableName)).toEqual({ Ref: logicalId });
      expect(table.encryptionKey).toBeUndefined();
      expect(table.node.defaultChild).toBe(table.table.node.defaultChild);
    });

    it('exposes the customer managed key it was given', () => {
      const stack = newStack();
      const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
      const table = new IdempotencyTable(stack, 'Idempotency', { encryptionKey: key });
      expect(table.encryptionKey).toBe(key);
    });
  });

  describe('grantIdempotency', () => {
    it('grants exactly the item actions the library performs, on this table only, in a single statement', () => {
      expect(GRANTED_TABLE_ACTIONS.some((action) => /Scan|Query|\*/.test(action))).toBe(false);
      const stack = newStack();
      const table = new IdempotencyTable(stack, 'Idempotency');
      const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      table.grantIdempotency(role);
      expect(policyStatements(stack)).toEqual([
        {
          Effect: 'Allow',
          Action: GRANTED_TABLE_ACTIONS,
          Resource: { 'Fn::GetAtt': [tableLogicalId(stack, table), 'Arn'] },
        },
      ]);
    });

    it('grants no key actions when the table uses the AWS managed key', () => {
      const stack = newStack();
      const table = new IdempotencyTable(stack, 'Idempotency');
      const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      table.grantIdempotency(role);
      const actions = policyStatements(stack).flatMap((statement) => statement.Action as string[]);
      expect(actions.filter((action) => action.startsWith('kms:'))).toEqual([]);
    });

    it('also grants the key actions on a customer managed key', () => {
      const stack = newStack();
      const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
      const table = new IdempotencyTable(stack, 'Idempotency', { encryptionKey: key });
      const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      table.grantIdempotency(role);
      expect(policyStatements(stack)).toEqual([
        {
          Effect: 'Allow',
          Action: GRANTED_TABLE_ACTIONS,
          Resource: { 'Fn::GetAtt': [tableLogicalId(stack, table), 'Arn'] },
        },
        {
          Effect: 'Allow',
          Action: GRANTED_KEY_ACTIONS,
          Resource: { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as kms.CfnKey), 'Arn'] },
        },
      ]);
    });
  });

  describe('configureFunction', () => {
    it('sets IDEMPOTENCY_TABLE_NAME to the table name', () => {
      expect(IDEMPOTENCY_TABLE_NAME_ENV).toBe('IDEMPOTENCY_TABLE_NAME');
      const stack = newStack();
      const table = new IdempotencyTable(stack, 'Idempotency');
      table.configureFunction(inlineFunction(stack));
      templateOf(stack).hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: { IDEMPOTENCY_TABLE_NAME: { Ref: tableLogicalId(stack, table) } } },
      });
    });

    it('grants the function the idempotency actions on the table', () => {
      const stack = newStack();
      const table = new IdempotencyTable(stack, 'Idempotency');
      table.configureFunction(inlineFunction(stack));
      expect(policyStatements(stack)).toEqual([
        {
          Effect: 'Allow',
          Action: GRANTED_TABLE_ACTIONS,
          Resource: { 'Fn::GetAtt': [tableLogicalId(stack, table), 'Arn'] },
        },
      ]);
    });
  });

  describe('existing tables', () => {
    const ARN = 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders-idempotency';

    function roleIn(stack: Stack): iam.Role {
      return new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    }

    it("fromTableName names the table in the stack's account and Region and grants on that ARN", () => {
      const stack = newStack();
      const table: IIdempotencyTable = IdempotencyTable.fromTableName(stack, 'Existing', 'orders-idempotency');
      expect(table.tableName).toBe('orders-idempotency');
      expect(table.encryptionKey).toBeUndefined();
      table.grantIdempotency(roleIn(stack));
      templateOf(stack).resourceCountIs('AWS::DynamoDB::Table', 0);
      expect(policyStatements(stack)).toEqual([
        {
          Effect: 'Allow',
          Action: GRANTED_TABLE_ACTIONS,
          Resource: stack.resolve(stack.formatArn({ service: 'dynamodb', resource: 'table', resourceName: 'orders-idempotency' })),
        },
      ]);
    });

    it('fromTableArn takes the name from the ARN and grants on the ARN', () => {
      const stack = newStack();
      const table = IdempotencyTable.fromTableArn(stack, 'Existing', ARN);
      expect(table.tableName).toBe('orders-idempotency');
      expect(table.tableArn).toBe(ARN);
      table.grantIdempotency(roleIn(stack));
      expect(policyStatements(stack)).toEqual([{ Effect: 'Allow', Action: GRANTED_TABLE_ACTIONS, Resource: ARN }]);
    });

    it('fromTableAttributes with a key also grants the key actions', () => {
      const stack = newStack();
      const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
      const table = IdempotencyTable.fromTableAttributes(stack, 'Existing', { tableArn: ARN, encryptionKey: key });
      expect(table.encryptionKey).toBe(key);
      table.grantIdempotency(roleIn(stack));
      expect(policyStatements(stack)).toEqual([
        { Effect: 'Allow', Action: GRANTED_TABLE_ACTIONS, Resource: ARN },
        {
          Effect: 'Allow',
          Action: GRANTED_KEY_ACTIONS,
          Resource: { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as kms.CfnKey), 'Arn'] },
        },
      ]);
    });

    it('configureFunction on an existing table sets IDEMPOTENCY_TABLE_NAME and grants', () => {
      const stack = newStack();
      const table = IdempotencyTable.fromTableName(stack, 'Existing', 'orders-idempotency');
      table.configureFunction(inlineFunction(stack));
      templateOf(stack).hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: { IDEMPOTENCY_TABLE_NAME: 'orders-idempotency' } },
      });
      expect(policyStatements(stack)).toHaveLength(1);
    });

    it.each([
      [
        { tableName: 't', tableArn: ARN },
        'tableName',
        `exactly one of tableName and tableArn must be set, got both (tableName t, tableArn ${ARN})`,
      ],
      [{}, 'tableName', 'exactly one of tableName and tableArn must be set, got neither'],
      [{ tableName: ' ' }, 'tableName', "tableName must not be empty, got ' '"],
      [
        { tableArn: 'arn:aws:sqs:eu-west-1:123456789012:orders' },
        'tableArn',
        'tableArn (arn:aws:sqs:eu-west-1:123456789012:orders) is not the ARN of a DynamoDB table (arn:<partition>:dynamodb:<region>:<account>:table/<name>)',
      ],
    ])('fromTableAttributes(%j) is a synth-time error naming the values', (attrs, property, message) => {
      const stack = newStack();
      const error = thrownBy(() => IdempotencyTable.fromTableAttributes(stack, 'Existing', attrs));
      expect(error).toBeInstanceOf(ConstructValidationError);
      expect(error.property).toBe(property);
      expect(error.message).toBe(`${message} (at Test/Existing)`);
    });
  });
});
