/**
 * Minimal structural types of the HTTP events and results `makeIdempotentHttpHandler` reads. They name only
 * the fields the adapter uses, so the event and result types of `@types/aws-lambda` (`APIGatewayProxyEvent`,
 * `APIGatewayProxyEventV2`, `LambdaFunctionURLEvent` and their authorizer variants; `APIGatewayProxyResult`,
 * `APIGatewayProxyResultV2`) fit them, without our declarations importing `aws-lambda`.
 */

/** Request headers as API Gateway and Function URLs deliver them (a missing map is `null` in REST events). */
export interface HttpRequestHeaders {
  readonly [name: string]: string | undefined;
}

/** REST API `multiValueHeaders`: every value of every header, in order. */
export interface HttpRequestMultiValueHeaders {
  readonly [name: string]: readonly string[] | undefined;
}

/**
 * An API Gateway REST API (payload format 1.0) proxy event; HTTP APIs configured for payload format 1.0
 * send the same shape.
 */
export interface RestApiHttpEvent {
  readonly httpMethod: string;
  /** The resource template, e.g. `/orders/{id}`. */
  readonly resource: string;
  readonly path: string;
  readonly headers: HttpRequestHeaders | null;
  readonly multiValueHeaders?: HttpRequestMultiValueHeaders | null;
  readonly body: string | null;
  readonly isBase64Encoded: boolean;
  readonly requestContext: {
    /**
     * `principalId` and the context of a Lambda authorizer, `claims` of a Cognito authorizer. Present with
     * `null` members when no authorizer ran.
     */
    readonly authorizer?: object | null;
    /** `userArn` is set under IAM authorization. */
    readonly identity?: { readonly userArn?: string | null } | null;
  };
}

/** An API Gateway HTTP API (payload format 2.0) event, or a Lambda Function URL event (same shape). */
export interface HttpApiHttpEvent {
  readonly version: string;
  /** `POST /orders`, or `$default` (always `$default` for Function URLs). */
  readonly routeKey: string;
  readonly rawPath: string;
  readonly headers: HttpRequestHeaders;
  readonly body?: string;
  readonly isBase64Encoded: boolean;
  readonly requestContext: {
    readonly http: { readonly method: string };
    readonly authorizer?: {
      /** A JWT authorizer's verified claims. */
      readonly jwt?: { readonly claims?: { readonly [name: string]: unknown } | null } | null;
      /** The context a Lambda authorizer returned. */
      readonly lambda?: unknown;
      /** The caller under IAM authorization (HTTP APIs and Function URLs with `AWS_IAM`). */
      readonly iam?: { readonly userArn?: string | null } | null;
    } | null;
  };
}

/** Any event the adapter accepts. */
export type HttpEvent = RestApiHttpEvent | HttpApiHttpEvent;

/**
 * A response the adapter writes itself: a problem response (400, 409, 422), or the replay of an HTTP API or
 * Function URL result whose format the gateway inferred. It fits both `APIGatewayProxyResult` and
 * `APIGatewayProxyStructuredResultV2`.
 */
export interface HttpStructuredResponse {
  readonly statusCode: number;
  readonly headers: { readonly [name: string]: string };
  readonly body: string;
  readonly isBase64Encoded: boolean;
}
