/* eslint-disable @typescript-eslint/no-unused-vars -- values here exist to be inspected by the type checker */
/**
 * Type tests of makeIdempotentHttpHandler, checked by `npm run typecheck` (tsc): the wrapped handler fits
 * the @types/aws-lambda handler types of REST, HTTP API (plain and JWT) and Function URL handlers, and a
 * handler of another event does not compile.
 */
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyHandler,
  APIGatewayProxyHandlerV2,
  APIGatewayProxyHandlerV2WithJWTAuthorizer,
  APIGatewayProxyResult,
  APIGatewayProxyResultV2,
  APIGatewayProxyWithCognitoAuthorizerHandler,
  Context,
  LambdaFunctionURLHandler,
  SQSEvent,
} from 'aws-lambda';
import { makeIdempotentHttpHandler } from '../../lib/http';
import { InMemoryStore } from '../../lib/persistence/memory';

const store = new InMemoryStore();

const rest: APIGatewayProxyHandler = makeIdempotentHttpHandler(
  async (event: APIGatewayProxyEvent, _context: Context) => ({ statusCode: 201, body: event.path }),
  { store },
);
const cognito: APIGatewayProxyWithCognitoAuthorizerHandler = makeIdempotentHttpHandler(
  async (event: Parameters<APIGatewayProxyWithCognitoAuthorizerHandler>[0]): Promise<APIGatewayProxyResult> => ({
    statusCode: 201,
    body: event.requestContext.authorizer.claims['sub'] ?? '',
  }),
  { store, scope: (event) => event.requestContext.authorizer.claims['sub'] ?? 'none' },
);
const httpApi: APIGatewayProxyHandlerV2 = makeIdempotentHttpHandler(async (): Promise<APIGatewayProxyResultV2> => 'created', { store });
const jwt: APIGatewayProxyHandlerV2WithJWTAuthorizer = makeIdempotentHttpHandler(
  async (event: Parameters<APIGatewayProxyHandlerV2WithJWTAuthorizer>[0]) => ({
    statusCode: 201,
    body: String(event.requestContext.authorizer.jwt.claims['sub']),
  }),
  { store, onInProgress: 'wait' },
);
const functionUrl: LambdaFunctionURLHandler = makeIdempotentHttpHandler(async () => ({ statusCode: 201, cookies: ['a=1'] }), { store });

// @ts-expect-error an SQS handler is not an HTTP handler
makeIdempotentHttpHandler(async (_event: SQSEvent) => undefined, { store });
