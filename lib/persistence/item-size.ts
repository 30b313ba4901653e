/**
 * Sizes of DynamoDB items as DynamoDB counts them (attribute names and values in bytes), estimated from
 * plain JavaScript values in `@aws-sdk/lib-dynamodb`'s shape: what the engine checks a `commitWith` item
 * against before anything is sent, and what the DynamoDB store adds up before a completion's transaction.
 */
import { NumberValueImpl as NumberValue } from '@aws-sdk/util-dynamodb';
import type { StagedWrite } from './store';

/** Bytes DynamoDB counts for one attribute value (its name not included). */
export function valueBytes(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return Buffer.byteLength(value);
    case 'number':
    case 'bigint':
      return numberBytes(String(value));
    case 'boolean':
      return 1;
    case 'undefined':
      return 0;
    default:
      break;
  }
  if (value === null) return 1;
  if (value instanceof Uint8Array) return value.byteLength;
  if (ArrayBuffer.isView(value)) return value.byteLength;
  if (value instanceof ArrayBuffer) return value.byteLength;
  if (value instanceof Set) return [...(value as Set<unknown>)].reduce((sum: number, item) => sum + valueBytes(item), 0);
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + 1 + valueBytes(item), 3);
  // @aws-sdk/util-dynamodb's NumberValue keeps a number's exact text.
  if (value instanceof NumberValue) return numberBytes(value.value);
  return 3 + mapBytes(value as Record<string, unknown>);
}

/** Bytes of a map's (an item's) members: each name plus its value. */
export function mapBytes(item: Readonly<Record<string, unknown>> | undefined): number {
  if (item === undefined || item === null) return 0;
  let sum = 0;
  for (const [name, value] of Object.entries(item)) sum += Buffer.byteLength(name) + 1 + valueBytes(value);
  return sum;
}

/** A number's size: about one byte per two significant digits, plus one. */
function numberBytes(text: string): number {
  const digits = text
    .replace(/^-/, '')
    .replace(/[eE].*$/, '')
    .replace('.', '')
    .replace(/^0+/, '').length;
  return Math.ceil(digits / 2) + 1;
}

/**
 * What one `commitWith` item weighs in a transaction: a Put's item, or another write's key and the values
 * of its expressions (an update may make the item larger still; DynamoDB then refuses it on its own).
 */
export function stagedWriteBytes(write: StagedWrite): number {
  let sum = 0;
  for (const part of Object.values(write)) {
    if (part === null || typeof part !== 'object') continue;
    const p = part as {
      Item?: Record<string, unknown>;
      Key?: Record<string, unknown>;
      ExpressionAttributeValues?: Record<string, unknown>;
    };
    sum += mapBytes(p.Item) + mapBytes(p.Key) + mapBytes(p.ExpressionAttributeValues);
  }
  return sum;
}
