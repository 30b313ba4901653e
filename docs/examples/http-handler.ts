// docs/examples/http-handler.ts
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { DynamoDBStore } from 'effectively-once';
import { makeIdempotentHttpHandler } from 'effectively-once/http';

declare function createOrder(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2>; // yours

export const handler = makeIdempotentHttpHandler(createOrder, { store: new DynamoDBStore() });
