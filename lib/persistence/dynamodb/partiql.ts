/** Quoting for the PartiQL statements of batched writes, and the constants written into their text. */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { A } from './table';

/** A PartiQL quoted identifier (table or attribute name). */
export function partiqlName(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A PartiQL string literal (a tuple key). */
export function partiqlString(name: string): string {
  return `'${name.replace(/'/g, "''")}'`;
}

/** The record's attributes whose values are the library's own constants (statuses, outcomes, encodings). */
const CONSTANT_ATTRIBUTES: ReadonlySet<string> = new Set([A.status, A.outcome, A.encoding, A.steps, A.lease]);

/**
 * How the value of attribute `name` appears in a statement: the library's constants (a status, an outcome,
 * an encoding, an empty steps map, a lease of 0) as a literal in the statement's text, anything else as a
 * `?` parameter. Every parameter is one more AttributeValue the SDK serialises and signs: a batch's
 * statements carry only what differs per record (key, token, times, result).
 */
export function partiqlValue(name: string, value: AttributeValue): string {
  if (!CONSTANT_ATTRIBUTES.has(name)) return '?';
  if (value.S !== undefined) return partiqlString(value.S);
  if (value.N === '0') return '0';
  if (value.M !== undefined && Object.keys(value.M).length === 0) return '{}';
  return '?';
}

/**
 * The attributes as `<name><operator><value>` parts (values by {@link partiqlValue}) and the parameters of
 * those that are `?`, in order.
 */
export function partiqlParts(
  attributes: readonly (readonly [string, AttributeValue])[],
  part: (name: string, value: string) => string,
): { parts: string[]; parameters: AttributeValue[] } {
  const parts: string[] = [];
  const parameters: AttributeValue[] = [];
  for (const [name, value] of attributes) {
    const text = partiqlValue(name, value);
    parts.push(part(name, text));
    if (text === '?') parameters.push(value);
  }
  return { parts, parameters };
}
