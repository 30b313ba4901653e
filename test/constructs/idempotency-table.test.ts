import { CfnParameter, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { ConstructValidationError, IDEMPOTENCY_TABLE_NAME_ENV, IdempotencyTable, TABLE_WARNINGS } from '../../constructs';
import type { IIdempotencyTable } from '../../constructs';
import { DEFAULT_KEY_ATTR, DEFAULT_TTL_ATTR } from '../../lib/persistence/schema';
import { annotationsOf, GRANTED_KEY_ACTIONS, GRANTED_TABLE_ACTIONS, newStack, templateOf, thrownBy } from './support';

function inlineFunction(stack: Stack): lambda.Function {
  return new lambda.Function(stack, 'Fn', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    timeout: Duration.seconds(10),
  });
}

function tableLogicalId(stack: Stack, table: IdempotencyTable): string {
  return stack.getLogicalId(table.node.defaultChild as import('aws-cdk-lib').CfnElement);
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

describe('IdempotencyTable across Regions', () => {
  const REGION = 'us-east-1';

  function globalTableOf(stack: Stack): { logicalId: string; properties: Record<string, unknown>; resource: Record<string, unknown> } {
    const tables = templateOf(stack).findResources('AWS::DynamoDB::GlobalTable');
    const entries = Object.entries(tables);
    expect(entries).toHaveLength(1);
    const [logicalId, resource] = entries[0] as [string, Record<string, unknown>];
    return { logicalId, resource, properties: resource.Properties as Record<string, unknown> };
  }

  function replicasOf(stack: Stack): Record<string, unknown>[] {
    return globalTableOf(stack).properties.Replicas as Record<string, unknown>[];
  }

  function regionsOf(stack: Stack): string[] {
    return replicasOf(stack)
      .map((replica) => replica.Region as string)
      .sort();
  }

  function expectRefused(build: () => unknown, property: string, message: string, path = 'Test/Idempotency'): ConstructValidationError {
    const error = thrownBy(build);
    expect(error).toBeInstanceOf(ConstructValidationError);
    expect(error.property).toBe(property);
    expect(error.constructPath).toBe(path);
    expect(error.message).toBe(`${message} (at ${path})`);
    return error;
  }

  describe('without replicaRegions', () => {
    it('keeps the single-Region table exactly as before: the same logical ID, resource type and properties', () => {
      const stack = newStack();
      new IdempotencyTable(stack, 'Idempotency');
      // Written out: a change here replaces the table of every existing user.
      expect(templateOf(stack).toJSON().Resources).toEqual({
        IdempotencyTable48612DF4: {
          Type: 'AWS::DynamoDB::Table',
          Properties: {
            AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
            BillingMode: 'PAY_PER_REQUEST',
            KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
            SSESpecification: { SSEEnabled: true },
            TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
          },
          UpdateReplacePolicy: 'Retain',
          DeletionPolicy: 'Retain',
        },
      });
    });

    it('keeps the single-Region table in a stack with a Region too', () => {
      const stack = newStack({ region: REGION });
      const table = new IdempotencyTable(stack, 'Idempotency');
      templateOf(stack).resourceCountIs('AWS::DynamoDB::GlobalTable', 0);
      expect(tableLogicalId(stack, table)).toBe('IdempotencyTable48612DF4');
      expect(table.replicaRegions).toEqual([]);
      expect(table.witnessRegion).toBeUndefined();
    });

    it('adds no warning', () => {
      const stack = newStack();
      new IdempotencyTable(stack, 'Idempotency');
      expect(annotationsOf(stack).findWarning('*', Match.anyValue())).toEqual([]);
    });
  });

  describe('with replicaRegions', () => {
    it('creates a global table with multi-Region strong consistency in the stack Region and both replica Regions', () => {
      const stack = newStack({ region: REGION });
      new IdempotencyTable(stack, 'Idempotency', { replicaRegions: ['us-east-2', 'us-west-2'] });
      const template = templateOf(stack);
      template.resourceCountIs('AWS::DynamoDB::Table', 0);
      template.hasResourceProperties('AWS::DynamoDB::GlobalTable', { MultiRegionConsistency: 'STRONG' });
      expect(regionsOf(stack)).toEqual(['us-east-1', 'us-east-2', 'us-west-2']);
      expect(globalTableOf(stack).properties.GlobalTableWitnesses).toBeUndefined();
    });

    it('has the same key schema and on-demand billing as the single-Region table', () => {
      const stack = newStack({ region: REGION });
      new IdempotencyTable(stack, 'Idempotency', { replicaRegions: ['us-east-2', 'us-west-2'] });
      templateOf(stack).hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        KeySchema: [{ AttributeName: DEFAULT_KEY_ATTR, KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: DEFAULT_KEY_ATTR, AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      });
    });

    it('sets no Time To Live, which DynamoDB refuses on a strongly consistent table', () => {
      const stack = newStack({ region: REGION });
      new IdempotencyTable(stack, 'Idempotency', { replicaRegions: ['us-east-2', 'us-west-2'] });
      expect(globalTableOf(stack).properties.TimeToLiveSpecification).toBeUndefined();
    });

    it('warns once that expired records stay and transactions are refused, under an acknowledgeable ID', () => {
      const stack = newStack({ region: REGION });
      new IdempotencyTable(stack, 'Idempotency', { replicaRegions: ['us-east-2', 'us-west-2'] });
      const warnings = annotationsOf(stack)
        .findWarning('*', Match.anyValue())
        .map(({ entry: { data } }) => (typeof data === 'string' ? data : JSON.stringify(data)));
      expect(warnings).toEqual([
        'a table with multi-Region strong consistency has no Time To Live (DynamoDB does not support it there): expired records ' +
          'are no longer deleted (the library still treats them as expired), so delete them yourself; and DynamoDB refuses ' +
          `transactions on it, so commitWith and results larger than one item fail against this table [ack: ${TABLE_WARNINGS.multiRegionLimits}]`,
      ]);
    });

    it('enables point-in-time recovery on every replica', () => {
      const stack = newStack({ region: REGION });
      new IdempotencyTable(stack, 'Idempotency', { replicaRegions: ['us-east-2', 'us-west-2'] });
      expect(replicasOf(stack).map((replica) => replica.PointInTimeRecoverySpecification)).toEqual([
        { PointInTimeRecoveryEnabled: true },
        { PointInTimeRecoveryEnabled: true },
        { PointInTimeRecoveryEnabled: true },
      ]);
    });

    it('pointInTimeRecovery false disables it on every replica', () => {
      const stack = newStack({ region: REGION });
      new IdempotencyTable(stack, 'Idempotency', { replicaRegions: ['us-east-2', 'us-west-2'], pointInTimeRecovery: false });
      expect(replicasOf(stack).map((replica) => replica.PointInTimeRecoverySpecification)).toEqual([
        { PointInTimeRecoveryEnabled: false },
        { PointInTimeRecoveryEnabled: false },
        { PointInTimeRecoveryEnabled: false },
      ]);
    });

    it('encrypts at rest with the AWS managed key', () => {
      const stack = newStack({ region: REGION });
      new IdempotencyTable(stack, 'Idempotency', { replicaRegions: ['us-east-2', 'us-west-2'] });
      expect(globalTableOf(stack).properties.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
      expect(replicasOf(stack).map((replica) => replica.SSESpecification)).toEqual([undefined, undefined, undefined]);
    });

    it('encryptionKey encrypts the stack Region replica with it, and each other replica with its replicaEncryptionKeyArns key', () => {
      const stack = newStack({ region: REGION });
      const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
      const keys = {
        'us-east-2': 'arn:aws:kms:us-east-2:123456789012:key/11111111-1111-1111-1111-111111111111',
        'us-west-2': 'arn:aws:kms:us-west-2:123456789012:key/22222222-2222-2222-2222-222222222222',
      };
      const table = new IdempotencyTable(stack, 'Idempotency', {
        replicaRegions: ['us-east-2', 'us-west-2'],
        encryptionKey: key,
        replicaEncryptionKeyArns: keys,
      });
      expect(table.encryptionKey).toBe(key);
      expect(globalTableOf(stack).properties.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
      const byRegion = Object.fromEntries(
        replicasOf(stack).map((replica) => [replica.Region, (replica.SSESpecification as { KMSMasterKeyId: unknown }).KMSMasterKeyId]),
      );
      expect(byRegion).toEqual({
        'us-east-1': { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as kms.CfnKey), 'Arn'] },
        ...keys,
      });
    });

    it('is retained when it leaves the stack, and removalPolicy DESTROY deletes it', () => {
      const retained = newStack({ region: REGION });
      new IdempotencyTable(retained, 'Idempotency', { replicaRegions: ['us-east-2', 'us-west-2'] });
      expect(globalTableOf(retained).resource).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
      const destroyed = newStack({ region: REGION });
      new IdempotencyTable(destroyed, 'Idempotency', { replicaRegions: ['us-east-2', 'us-west-2'], removalPolicy: RemovalPolicy.DESTROY });
      expect(globalTableOf(destroyed).resource).toMatchObject({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
    });

    it('tableName names the table in every Region', () => {
      const stack = newStack({ region: REGION });
      new IdempotencyTable(stack, 'Idempotency', { replicaRegions: ['us-east-2', 'us-west-2'], tableName: 'orders-idempotency' });
      templateOf(stack).hasResourceProperties('AWS::DynamoDB::GlobalTable', { TableName: 'orders-idempotency' });
    });

    it('takes a new construct ID, GlobalTable, so that it never reuses the logical ID of a single-Region table', () => {
      const stack = newStack({ region: REGION });
      const table = new IdempotencyTable(stack, 'Idempotency', { replicaRegions: ['us-east-2', 'us-west-2'] });
      expect(table.table).toBeInstanceOf(dynamodb.TableV2);
      expect(table.node.defaultChild).toBeInstanceOf(dynamodb.CfnGlobalTable);
      expect(globalTableOf(stack).logicalId).toBe(stack.getLogicalId(table.node.defaultChild as dynamodb.CfnGlobalTable));
      expect(globalTableOf(stack).logicalId).not.toBe('IdempotencyTable48612DF4');
    });

    it('exposes its name, the ARN of its stack Region replica and its Regions', () => {
      const stack = newStack({ region: REGION });
      const table = new IdempotencyTable(stack, 'Idempotency', { replicaRegions: ['us-east-2', 'us-west-2'] });
      const { logicalId } = globalTableOf(stack);
      expect(stack.resolve(table.tableName)).toEqual({ Ref: logicalId });
      expect(stack.resolve(table.tableArn)).toEqual({ 'Fn::GetAtt': [logicalId, 'Arn'] });
      expect(table.replicaRegions).toEqual(['us-east-2', 'us-west-2']);
      expect(table.witnessRegion).toBeUndefined();
    });

    it('multiRegionConsistency STRONG is accepted (it is the default)', () => {
      const stack = newStack({ region: REGION });
      new IdempotencyTable(stack, 'Idempotency', {
        replicaRegions: ['us-east-2', 'us-west-2'],
        multiRegionConsistency: dynamodb.MultiRegionConsistency.STRONG,
      });
      templateOf(stack).hasResourceProperties('AWS::DynamoDB::GlobalTable', { MultiRegionConsistency: 'STRONG' });
    });
  });

  describe('with one replica Region and a witnessRegion', () => {
    it('creates two replicas and the witness', () => {
      const stack = newStack({ region: REGION });
      const table = new IdempotencyTable(stack, 'Idempotency', { replicaRegions: ['us-east-2'], witnessRegion: 'us-west-2' });
      expect(regionsOf(stack)).toEqual(['us-east-1', 'us-east-2']);
      expect(globalTableOf(stack).properties.GlobalTableWitnesses).toEqual([{ Region: 'us-west-2' }]);
      expect(globalTableOf(stack).properties.MultiRegionConsistency).toBe('STRONG');
      expect(table.witnessRegion).toBe('us-west-2');
    });
  });

  describe('grants on a multi-Region table', () => {
    it('grantIdempotency grants the idempotency actions on the stack Region replica', () => {
      const stack = newStack({ region: REGION });
      const table = new IdempotencyTable(stack, 'Idempotency', { replicaRegions: ['us-east-2'], witnessRegion: 'us-west-2' });
      table.grantIdempotency(new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }));
      expect(policyStatements(stack)).toEqual([
        { Effect: 'Allow', Action: GRANTED_TABLE_ACTIONS, Resource: { 'Fn::GetAtt': [globalTableOf(stack).logicalId, 'Arn'] } },
      ]);
    });

    it('grantIdempotency also grants the key actions on its customer managed key', () => {
      const stack = newStack({ region: REGION });
      const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
      const table = new IdempotencyTable(stack, 'Idempotency', {
        replicaRegions: ['us-east-2'],
        witnessRegion: 'us-west-2',
        encryptionKey: key,
        replicaEncryptionKeyArns: { 'us-east-2': 'arn:aws:kms:us-east-2:123456789012:key/11111111-1111-1111-1111-111111111111' },
      });
      table.grantIdempotency(new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }));
      expect(policyStatements(stack)).toEqual([
        { Effect: 'Allow', Action: GRANTED_TABLE_ACTIONS, Resource: { 'Fn::GetAtt': [globalTableOf(stack).logicalId, 'Arn'] } },
        {
          Effect: 'Allow',
          Action: GRANTED_KEY_ACTIONS,
          Resource: { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as kms.CfnKey), 'Arn'] },
        },
      ]);
    });

    it('configureFunction sets IDEMPOTENCY_TABLE_NAME to the global table name', () => {
      const stack = newStack({ region: REGION });
      const table = new IdempotencyTable(stack, 'Idempotency', { replicaRegions: ['us-east-2', 'us-west-2'] });
      table.configureFunction(inlineFunction(stack));
      templateOf(stack).hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: { IDEMPOTENCY_TABLE_NAME: { Ref: globalTableOf(stack).logicalId } } },
      });
    });

    it('fromTableName in a stack of a replica Region grants on that Region replica', () => {
      const stack = newStack({ region: 'us-east-2' });
      const table = IdempotencyTable.fromTableName(stack, 'Replica', 'orders-idempotency');
      table.grantIdempotency(new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }));
      expect(policyStatements(stack)).toEqual([
        {
          Effect: 'Allow',
          Action: GRANTED_TABLE_ACTIONS,
          Resource: {
            'Fn::Join': [
              '',
              ['arn:', { Ref: 'AWS::Partition' }, ':dynamodb:us-east-2:', { Ref: 'AWS::AccountId' }, ':table/orders-idempotency'],
            ],
          },
        },
      ]);
    });

    it('fromTableArn of a replica grants on that ARN', () => {
      const stack = newStack({ region: 'us-west-2' });
      const arn = 'arn:aws:dynamodb:us-west-2:123456789012:table/orders-idempotency';
      IdempotencyTable.fromTableArn(stack, 'Replica', arn).grantIdempotency(
        new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }),
      );
      expect(policyStatements(stack)).toEqual([{ Effect: 'Allow', Action: GRANTED_TABLE_ACTIONS, Resource: arn }]);
    });
  });

  describe('synth-time refusals', () => {
    const KEY_ARN = 'arn:aws:kms:us-east-2:123456789012:key/11111111-1111-1111-1111-111111111111';

    it('refuses eventually consistent replicas, saying why', () => {
      const stack = newStack({ region: REGION });
      expectRefused(
        () =>
          new IdempotencyTable(stack, 'Idempotency', {
            replicaRegions: ['us-east-2', 'us-west-2'],
            multiRegionConsistency: dynamodb.MultiRegionConsistency.EVENTUAL,
          }),
        'multiRegionConsistency',
        'multiRegionConsistency (EVENTUAL) is refused: with eventually consistent replicas DynamoDB settles concurrent writes by last ' +
          'writer wins, so a claim made in two Regions at once succeeds in both and the event runs twice; use ' +
          'MultiRegionConsistency.STRONG (the default with replicaRegions)',
      );
    });

    it.each([
      ['witnessRegion', { witnessRegion: 'us-west-2' }, 'witnessRegion (us-west-2)'],
      ['multiRegionConsistency', { multiRegionConsistency: dynamodb.MultiRegionConsistency.STRONG }, 'multiRegionConsistency (STRONG)'],
      ['replicaEncryptionKeyArns', { replicaEncryptionKeyArns: { 'us-east-2': KEY_ARN } }, 'replicaEncryptionKeyArns (us-east-2)'],
    ])('refuses %s without replicaRegions', (property, props, named) => {
      const stack = newStack({ region: REGION });
      expectRefused(
        () => new IdempotencyTable(stack, 'Idempotency', props),
        property,
        `${named} applies to a multi-Region table only: set replicaRegions (2 Regions, or 1 with a witnessRegion)`,
      );
    });

    it.each([
      [[], 'got 0 ()'],
      [['us-east-2'], 'got 1 (us-east-2)'],
      [['us-east-2', 'us-west-2', 'eu-west-1'], 'got 3 (us-east-2, us-west-2, eu-west-1)'],
    ])('refuses replicaRegions %j without a witness: three Regions in all', (replicaRegions, got) => {
      const stack = newStack({ region: REGION });
      expectRefused(
        () => new IdempotencyTable(stack, 'Idempotency', { replicaRegions }),
        'replicaRegions',
        `replicaRegions must name exactly 2 Regions, ${got}: a strongly consistent table spans exactly 3 Regions, the stack's ` +
          'Region (us-east-1) and 2 replicaRegions, or us-east-1, 1 replica Region and a witnessRegion',
      );
    });

    it.each([
      [[], 'got 0 ()'],
      [['us-east-2', 'eu-west-1'], 'got 2 (us-east-2, eu-west-1)'],
    ])('refuses replicaRegions %j with a witnessRegion: exactly one replica Region', (replicaRegions, got) => {
      const stack = newStack({ region: REGION });
      expectRefused(
        () => new IdempotencyTable(stack, 'Idempotency', { replicaRegions, witnessRegion: 'us-west-2' }),
        'replicaRegions',
        `replicaRegions must name exactly 1 Region with a witnessRegion, ${got}: a strongly consistent table spans exactly 3 ` +
          "Regions, the stack's Region (us-east-1), 1 replica Region and the witnessRegion (us-west-2)",
      );
    });

    it('refuses a Region named twice', () => {
      const stack = newStack({ region: REGION });
      expectRefused(
        () => new IdempotencyTable(stack, 'Idempotency', { replicaRegions: ['us-east-2', 'us-east-2'] }),
        'replicaRegions',
        'replicaRegions (us-east-2, us-east-2) names us-east-2 more than once',
      );
    });

    it("refuses the stack's own Region as a replica Region", () => {
      const stack = newStack({ region: REGION });
      expectRefused(
        () => new IdempotencyTable(stack, 'Idempotency', { replicaRegions: ['us-east-1', 'us-east-2'] }),
        'replicaRegions',
        "replicaRegions (us-east-1, us-east-2) includes the stack's own Region (us-east-1), where the table is created: name only the other Regions",
      );
    });

    it.each([
      ["the stack's Region", 'us-east-1'],
      ['the replica Region', 'us-east-2'],
    ])('refuses %s as the witnessRegion', (_what, witnessRegion) => {
      const stack = newStack({ region: REGION });
      expectRefused(
        () => new IdempotencyTable(stack, 'Idempotency', { replicaRegions: ['us-east-2'], witnessRegion }),
        'witnessRegion',
        `witnessRegion (${witnessRegion}) must be a Region other than the stack's (us-east-1) and the replicaRegions (us-east-2)`,
      );
    });

    it('refuses an environment-agnostic stack, whose Region is unresolved', () => {
      const stack = newStack();
      expectRefused(
        () => new IdempotencyTable(stack, 'Idempotency', { replicaRegions: ['us-east-2', 'us-west-2'] }),
        'replicaRegions',
        "replicaRegions (us-east-2, us-west-2) need the stack's Region, which is unresolved (an environment-agnostic stack): set env.region on the stack",
      );
    });

    it('refuses a Region given as an unresolved token', () => {
      const stack = newStack({ region: REGION });
      const region = new CfnParameter(stack, 'ReplicaRegion', { type: 'String' }).valueAsString;
      const error = thrownBy(() => new IdempotencyTable(stack, 'Idempotency', { replicaRegions: [region, 'us-west-2'] }));
      expect(error).toBeInstanceOf(ConstructValidationError);
      expect(error.property).toBe('replicaRegions');
      expect(error.message).toMatch(
        /^replicaRegions and witnessRegion must be Region names, not unresolved tokens \(got \$\{Token\[.+\]\}\): DynamoDB fixes the Regions of a strongly consistent table when it is created \(at Test\/Idempotency\)$/,
      );
    });

    it("refuses Regions outside one MRSC Region set, reporting aws-cdk-lib's reason", () => {
      const stack = newStack({ region: REGION });
      const error = thrownBy(() => new IdempotencyTable(stack, 'Idempotency', { replicaRegions: ['us-east-2', 'eu-west-1'] }));
      expect(error).toBeInstanceOf(ConstructValidationError);
      expect(error.property).toBe('replicaRegions');
      expect(error.message).toMatch(
        /^the Regions us-east-1, us-east-2, eu-west-1 cannot hold a strongly consistent table: Region 'eu-west-1' is not in the same region set \(US\) as the primary region 'us-east-1'\..* \(at Test\/Idempotency\)$/,
      );
      expect(error.cause).toBeInstanceOf(Error);
    });

    it('refuses replicaEncryptionKeyArns without encryptionKey', () => {
      const stack = newStack({ region: REGION });
      expectRefused(
        () =>
          new IdempotencyTable(stack, 'Idempotency', {
            replicaRegions: ['us-east-2'],
            witnessRegion: 'us-west-2',
            replicaEncryptionKeyArns: { 'us-east-2': KEY_ARN },
          }),
        'replicaEncryptionKeyArns',
        "replicaEncryptionKeyArns (us-east-2) needs encryptionKey: they are the keys of that key's replicas",
      );
    });

    it('refuses encryptionKey without a key for each replica Region, naming the missing and the extra ones', () => {
      const stack = newStack({ region: REGION });
      const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
      expectRefused(
        () =>
          new IdempotencyTable(stack, 'Idempotency', {
            replicaRegions: ['us-east-2', 'us-west-2'],
            encryptionKey: key,
            replicaEncryptionKeyArns: { 'us-east-2': KEY_ARN, 'eu-west-1': KEY_ARN },
          }),
        'replicaEncryptionKeyArns',
        'replicaEncryptionKeyArns must name one KMS key ARN for each of replicaRegions (us-east-2, us-west-2), as a KMS key lives in ' +
          'one Region; missing us-west-2; not a replica Region: eu-west-1',
      );
    });

    it('refuses encryptionKey with replicaRegions and no replicaEncryptionKeyArns', () => {
      const stack = newStack({ region: REGION });
      const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
      expectRefused(
        () => new IdempotencyTable(stack, 'Idempotency', { replicaRegions: ['us-east-2'], witnessRegion: 'us-west-2', encryptionKey: key }),
        'replicaEncryptionKeyArns',
        'replicaEncryptionKeyArns must name one KMS key ARN for each of replicaRegions (us-east-2), as a KMS key lives in one Region; missing us-east-2',
      );
    });
  });
});
