/**
 * The relay's Lambda entry point, bundled by the `OutboxRelay` construct: `relayOutbox` with clients made
 * once per execution environment (the SDK's defaults, the function's Region and role).
 */
import { relayOutbox, type RelayOutboxResponse } from './relay';
import type { DynamoDBStreamEvent } from '../streams/types';

export const handler = (event: DynamoDBStreamEvent): Promise<RelayOutboxResponse> => relayOutbox(event);
