// docs/examples/http-scope.ts
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { DynamoDBStore } from 'effectively-once';
import { httpScope, makeIdempotentHttpHandler } from 'effectively-once/http';

declare function createOrder(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2>; // yours
declare function tenantOf(event: APIGatewayProxyEventV2): string; // yours

export const handler = makeIdempotentHttpHandler(createOrder, {
  store: new DynamoDBStore(),
  scope: (event) => `${tenantOf(event)}/${httpScope(event)}`,
});
