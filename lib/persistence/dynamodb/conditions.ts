/**
 * The conditions of the store's writes, each built once here from named parts. A condition carries the
 * placeholders it uses (`#name` for ExpressionAttributeNames, `:value` for ExpressionAttributeValues);
 * {@link conditioned} adds it to a request after the request's own placeholders.
 *
 * - {@link claimable}: claims and `putCompleted` (a batched claim is a PartiQL INSERT, which fails on any
 *   existing item, expired or not: those fall back to the single claim and this condition);
 * - {@link takeOverable}: `takeOver`;
 * - {@link ownedBy}: step checkpoints and lease extensions;
 * - {@link ownedInProgress}: completions and releases, and {@link partiqlOwnedInProgress} for batched
 *   completions.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { RecordStatus } from '../store';
import { partiqlName, partiqlParts } from './partiql';
import { A, nowSeconds, type Item, type Table } from './table';

/** A ConditionExpression and the placeholders it uses. */
export interface Condition {
  readonly expression: string;
  readonly names: Readonly<Record<string, string>>;
  readonly values: Readonly<Item>;
  /** The operator that joins the parts of a combined condition (parenthesised inside another combination). */
  readonly operator?: 'AND' | 'OR';
}

function combine(operator: 'AND' | 'OR', parts: readonly Condition[]): Condition {
  return {
    expression: parts
      .map((part) => (part.operator === undefined || part.operator === operator ? part.expression : `(${part.expression})`))
      .join(` ${operator} `),
    names: parts.reduce((names, part) => ({ ...names, ...part.names }), {}),
    values: parts.reduce((values, part) => ({ ...values, ...part.values }), {}),
    operator,
  };
}

// The named parts.

/** No item has the key. */
function absent(table: Table): Condition {
  return { expression: 'attribute_not_exists(#key)', names: { '#key': table.keyAttr }, values: {} };
}

/** The record has expired (epoch seconds), whether or not TTL has deleted it yet. */
function expired(table: Table, now: number): Condition {
  return { expression: '#ttl <= :nowSec', names: { '#ttl': table.ttlAttr }, values: { ':nowSec': { N: String(nowSeconds(now)) } } };
}

/** The record has not expired. */
function live(table: Table, now: number): Condition {
  return { expression: '#ttl > :nowSec', names: { '#ttl': table.ttlAttr }, values: { ':nowSec': { N: String(nowSeconds(now)) } } };
}

/** The lease token is `token` (`:previous` when the request writes a new `:token`). */
function heldBy(token: string, placeholder: ':token' | ':previous'): Condition {
  return { expression: `#token = ${placeholder}`, names: { '#token': A.token }, values: { [placeholder]: { S: token } } };
}

/** The record is in progress (not completed). */
function inProgress(): Condition {
  return { expression: '#status = :inProgress', names: { '#status': A.status }, values: { ':inProgress': { S: RecordStatus.InProgress } } };
}

/** The lease has ended (epoch milliseconds). */
function leaseEnded(now: number): Condition {
  return { expression: '#lease < :now', names: { '#lease': A.lease }, values: { ':now': { N: String(now) } } };
}

/** The record is owned by the durable execution `owner` (its ARN). */
function ownedByExecution(owner: string): Condition {
  return { expression: '#owner = :owner', names: { '#owner': A.owner }, values: { ':owner': { S: owner } } };
}

// The conditions of the writes.

/** Claimable: there is no record, or the record has expired but TTL has not deleted it yet. */
export function claimable(table: Table, now: number): Condition {
  return combine('OR', [absent(table), expired(table, now)]);
}

/**
 * Only the lease holder we saw, only while the record is live, and only once its lease ended, or at any time
 * by the durable execution that owns the record (`owner`: the same execution, resumed).
 */
export function takeOverable(table: Table, previousToken: string, now: number, owner?: string): Condition {
  const free = owner === undefined ? leaseEnded(now) : combine('OR', [leaseEnded(now), ownedByExecution(owner)]);
  return combine('AND', [heldBy(previousToken, ':previous'), inProgress(), free, live(table, now)]);
}

/** Only our own record (the lease is still ours). */
export function ownedBy(token: string): Condition {
  return heldBy(token, ':token');
}

/** Only our own record, only while in progress: a completed record is never written again. */
export function ownedInProgress(token: string): Condition {
  return combine('AND', [heldBy(token, ':token'), inProgress()]);
}

/**
 * The request parameters of `condition`, after the request's own placeholders `names` and `values` (a
 * placeholder of both must mean the same: the condition's wins).
 */
export function conditioned(
  condition: Condition,
  names: Readonly<Record<string, string>> = {},
  values: Readonly<Item> = {},
): { ConditionExpression: string; ExpressionAttributeNames: Record<string, string>; ExpressionAttributeValues: Item } {
  return {
    ConditionExpression: condition.expression,
    ExpressionAttributeNames: { ...names, ...condition.names },
    ExpressionAttributeValues: { ...values, ...condition.values },
  };
}

/**
 * {@link ownedInProgress} for the item `key`, as the WHERE clause of a PartiQL statement (the key, the
 * token, the status) and its parameters.
 */
export function partiqlOwnedInProgress(table: Table, key: string, token: string): { where: string; parameters: AttributeValue[] } {
  const parts: [string, AttributeValue][] = [
    [table.keyAttr, { S: key }],
    [A.token, { S: token }],
    [A.status, { S: RecordStatus.InProgress }],
  ];
  const { parts: where, parameters } = partiqlParts(parts, (name, value) => `${partiqlName(name)}=${value}`);
  return { where: where.join(' AND '), parameters };
}
