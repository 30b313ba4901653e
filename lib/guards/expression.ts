/**
 * The version guard in DynamoDB's expression language: merged into the caller's UpdateExpression and
 * ConditionExpression, and the paths an UpdateExpression writes (so that the version is never written twice).
 */

/** Attribute-name placeholder of the version attribute (reserved: the caller's expressions may not use it). */
export const VERSION_NAME = '#eoVersion';
/** Attribute-value placeholder of the new version (reserved: the caller's expressions may not use it). */
export const VERSION_VALUE = ':eoVersion';

/**
 * The guard: the item has no version yet, or an older one. DynamoDB compares Numbers numerically; an item
 * without the version attribute (or no item at all) passes.
 */
export const GUARD_CONDITION = `(attribute_not_exists(${VERSION_NAME}) OR ${VERSION_NAME} < ${VERSION_VALUE})`;

/** The guard's own SET action. */
const VERSION_SET_ACTION = `${VERSION_NAME} = ${VERSION_VALUE}`;

/** Whether `text` uses `placeholder` as a whole token (`#eoVersion` but not `#eoVersionX`). */
export function usesPlaceholder(text: string, placeholder: string): boolean {
  return new RegExp(`${placeholder}(?![A-Za-z0-9_])`).test(text);
}

/**
 * The SET keyword of an UpdateExpression. SET is a reserved word, so outside a clause keyword it can only
 * appear inside a placeholder (`#set`, `:set`) or a longer name (`reset`, `set_a`), which the
 * surrounding-character tests exclude.
 */
const SET_KEYWORD = /(^|[^A-Za-z0-9_#:.-])SET(?![A-Za-z0-9_])/i;

/**
 * Adds the guard's `SET #eoVersion = :eoVersion` to an UpdateExpression: as the first action of the caller's
 * SET clause when there is one (the clauses may come in any order), as a new SET clause otherwise.
 */
export function mergeUpdateExpression(updateExpression: string | undefined): string {
  if (updateExpression === undefined) return `SET ${VERSION_SET_ACTION}`;
  const match = SET_KEYWORD.exec(updateExpression);
  if (match === null) return `SET ${VERSION_SET_ACTION} ${updateExpression.trim()}`;
  const keywordEnd = match.index + match[0].length;
  return `${updateExpression.slice(0, keywordEnd)} ${VERSION_SET_ACTION},${updateExpression.slice(keywordEnd)}`.trim();
}

const CLAUSE = /(^|[^A-Za-z0-9_#:.-])(SET|REMOVE|ADD|DELETE)(?![A-Za-z0-9_])/gi;

/** The paths an UpdateExpression writes: the left side of each SET action, each REMOVE path, each ADD/DELETE path. */
export function writtenTargets(updateExpression: string): string[] {
  const clauses: { keyword: string; body: string }[] = [];
  let last: { keyword: string; start: number } | undefined;
  for (const match of updateExpression.matchAll(CLAUSE)) {
    const keywordStart = (match.index ?? 0) + (match[1] ?? '').length;
    if (last !== undefined) clauses.push({ keyword: last.keyword, body: updateExpression.slice(last.start, keywordStart) });
    last = { keyword: (match[2] ?? '').toUpperCase(), start: keywordStart + (match[2] ?? '').length };
  }
  if (last !== undefined) clauses.push({ keyword: last.keyword, body: updateExpression.slice(last.start) });
  const targets: string[] = [];
  for (const { keyword, body } of clauses) {
    for (const action of topLevelParts(body)) {
      const text = action.trim();
      const target = keyword === 'SET' ? text.split('=')[0] : keyword === 'REMOVE' ? text : text.split(/\s+/)[0];
      if (target !== undefined && target.trim() !== '') targets.push(target.trim());
    }
  }
  return targets;
}

/** The comma-separated parts of a clause, commas inside function calls left alone. */
function topLevelParts(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < body.length; i += 1) {
    const c = body[i];
    if (c === '(') depth += 1;
    else if (c === ')') depth -= 1;
    else if (c === ',' && depth === 0) {
      parts.push(body.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(body.slice(start));
  return parts;
}

/** The top-level attribute a document path starts with, its placeholder resolved. */
export function rootName(path: string, names: Record<string, string> | undefined): string {
  const root = /^[^.[\s]+/.exec(path)?.[0] ?? path;
  return root.startsWith('#') ? (names?.[root] ?? root) : root;
}

/** Combines the guard with the caller's condition: both must hold. */
export function mergeConditionExpression(conditionExpression: string | undefined): string {
  return conditionExpression === undefined ? GUARD_CONDITION : `${GUARD_CONDITION} AND (${conditionExpression})`;
}
