/**
 * The functions jmespath.js knows, with how many arguments each takes (`[least, most]`); any other name, or
 * another count, fails on every call. Made on the first check of an expression, not when the library loads.
 */
let jmespathFunctions: ReadonlyMap<string, readonly [number, number]> | undefined;

const knownFunctions = (): ReadonlyMap<string, readonly [number, number]> =>
  (jmespathFunctions ??= new Map(
    Object.entries({
      abs: [1, 1],
      avg: [1, 1],
      ceil: [1, 1],
      contains: [2, 2],
      ends_with: [2, 2],
      floor: [1, 1],
      join: [2, 2],
      keys: [1, 1],
      length: [1, 1],
      map: [2, 2],
      max: [1, 1],
      max_by: [2, 2],
      merge: [1, Infinity],
      min: [1, 1],
      min_by: [2, 2],
      not_null: [1, Infinity],
      reverse: [1, 1],
      sort: [1, 1],
      sort_by: [2, 2],
      starts_with: [2, 2],
      sum: [1, 1],
      to_array: [1, 1],
      to_number: [1, 1],
      to_string: [1, 1],
      type: [1, 1],
      values: [1, 1],
    } as const),
  ));

/** What is wrong with a call of a jmespath.js function: an unknown name or a wrong number of arguments. */
function functionProblem(node: AstNode): string | undefined {
  const name = node.name ?? '';
  const arity = knownFunctions().get(name);
  if (arity === undefined) return `unknown function ${name}()`;
  const given = node.children?.length ?? 0;
  const [least, most] = arity;
  if (given >= least && given <= most) return undefined;
  const expected = least === most ? `${least} argument${least === 1 ? '' : 's'}` : `at least ${least} argument${least === 1 ? '' : 's'}`;
  return `${name}() takes ${expected}, got ${given}`;
}

interface AstNode {
  readonly type: string;
  readonly name?: string;
  readonly children?: readonly (AstNode | null | undefined)[];
  /** The value of a `KeyValuePair` of a multi-select hash. */
  readonly value?: AstNode | null;
}

/** The sub-expressions of a node (a slice's children are its numbers, not expressions). */
function childrenOf(node: AstNode): readonly (AstNode | null | undefined)[] {
  if (node.type === 'Slice') return [];
  if (node.type === 'KeyValuePair') return [node.value];
  return node.children ?? [];
}

/**
 * What is wrong with a compiled expression that jmespath.js accepts but that cannot select a key: an
 * incomplete one (`a.`, `a..b`), an unknown function, or one that does not read its input at all (an
 * unterminated `'raw string`, an `&expression` reference, a literal), which would give every event the same key.
 */
export function checkExpression(ast: unknown): string | undefined {
  const problems: string[] = [];
  const visit = (node: AstNode | null | undefined): void => {
    if (node === null || node === undefined || typeof node !== 'object') {
      problems.push('it is incomplete (a missing field name, as in `a.` or `a..b`)');
      return;
    }
    if (node.type === 'Function') {
      const problem = functionProblem(node);
      if (problem !== undefined) problems.push(problem);
    }
    for (const child of childrenOf(node)) visit(child);
  };
  visit(ast as AstNode);
  if (problems.length > 0) return problems[0];
  if (!readsInput(ast as AstNode)) {
    return 'it does not read the input (a literal, a raw string or an &expression reference), so every event would get the same key';
  }
  return undefined;
}

/** Whether evaluating the node reads the value it is applied to. */
function readsInput(node: AstNode): boolean {
  switch (node.type) {
    case 'Field':
    case 'Current':
    case 'Identity':
      return true;
    case 'Literal':
    case 'ExpressionReference':
      return false;
    case 'Subexpression':
    case 'Pipe':
    case 'Projection':
    case 'ValueProjection':
    case 'FilterProjection':
    case 'Flatten':
    case 'IndexExpression':
      // The right-hand side is applied to what the left-hand side selected.
      return node.children?.[0] ? readsInput(node.children[0]) : false;
    default:
      return childrenOf(node).some((child) => child !== null && child !== undefined && readsInput(child));
  }
}
