// docs/examples/cdk-valkey.ts
import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as lambda from 'aws-cdk-lib/aws-lambda';

/** A serverless Valkey cache in `vpc`, and `fn` (created with `vpc` and `securityGroups: [functionSg]`) wired to it. */
export function valkeyFor(stack: Stack, vpc: ec2.IVpc, fn: lambda.Function, functionSg: ec2.ISecurityGroup): void {
  const cacheSg = new ec2.SecurityGroup(stack, 'CacheSg', { vpc, allowAllOutbound: false });
  cacheSg.addIngressRule(functionSg, ec2.Port.tcp(6379), 'the consumer reaches Valkey');
  const cache = new elasticache.CfnServerlessCache(stack, 'Idempotency', {
    engine: 'valkey',
    serverlessCacheName: 'orders-idempotency',
    securityGroupIds: [cacheSg.securityGroupId],
    subnetIds: vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }).subnetIds,
  });
  fn.addEnvironment('VALKEY_HOST', cache.attrEndpointAddress);
}
