import * as fs from 'node:fs';
import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as constructsApi from '../../constructs';

const SOURCES = ['idempotency-table.ts', 'idempotent-queue-consumer.ts'].map((file) =>
  fs.readFileSync(path.join(__dirname, '..', '..', 'constructs', file), 'utf8'),
);

/** Every `@default` paragraph of the construct sources, joined onto one line. */
const DEFAULT_TAGS: string[] = SOURCES.flatMap((source) =>
  [...source.matchAll(/@default ([^@]*?)\n\s*\*\/?\s*(?:\n|$)/g)].map((match) =>
    (match[1] ?? '').replace(/\n\s*\*\s*/g, ' ').trim(),
  ),
);

/** Evaluates the literal forms a `@default` starts with: booleans, numbers, Duration.x(n), RemovalPolicy.X. */
function literal(text: string): unknown {
  if (text === 'true' || text === 'false') return text === 'true';
  if (/^\d+$/.test(text)) return Number(text);
  const duration = /^Duration\.(seconds|minutes|hours|days)\((\d+)\)$/.exec(text);
  if (duration) return Duration[duration[1] as 'seconds' | 'minutes' | 'hours' | 'days'](Number(duration[2])).toSeconds();
  const policy = /^RemovalPolicy\.([A-Z_]+)$/.exec(text);
  if (policy) return RemovalPolicy[policy[1] as keyof typeof RemovalPolicy];
  throw new Error(`no literal form for ${text}`);
}

function valueOf(constant: unknown): unknown {
  return constant instanceof Duration ? constant.toSeconds() : constant;
}

describe('construct defaults', () => {
  it('document a default on every optional prop', () => {
    for (const source of SOURCES) {
      const optionalProps = [...source.matchAll(/readonly (\w+)\?:/g)].length;
      const documented = [...source.matchAll(/@default /g)].length;
      expect(documented).toBe(optionalProps);
    }
  });

  it('name only constants that the constructs module exports', () => {
    const named = DEFAULT_TAGS.flatMap((tag) => [...tag.matchAll(/(?<![.\w])([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\b/g)].map((m) => m[1] as string));
    expect(named.length).toBeGreaterThan(10);
    for (const name of named) {
      expect(Object.keys(constructsApi)).toContain(name);
    }
  });

  it('state the value their constant holds whenever they start with a literal', () => {
    let checked = 0;
    for (const tag of DEFAULT_TAGS) {
      const match = /^(\S+) \(([A-Z][A-Z0-9_]+)\)/.exec(tag);
      if (!match) continue;
      const constant = (constructsApi as Record<string, unknown>)[match[2] as string];
      expect({ tag, value: valueOf(constant) }).toEqual({ tag, value: literal(match[1] as string) });
      checked += 1;
    }
    expect(checked).toBe(8);
  });
});
