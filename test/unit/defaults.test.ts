/**
 * One place per default: every `@default <value> (`CONSTANT`)` in the public TSDoc quotes a named
 * constant, and the constant has that value.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as defaults from '../../lib/defaults';
import * as schema from '../../lib/persistence/schema';

const constants: Record<string, unknown> = { ...defaults, ...schema };

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

const pattern = /@default\s+(\S+)\s+\(`([A-Z_]+)`/g;
const quoted = sources(join(__dirname, '../../lib')).flatMap((file) =>
  [...readFileSync(file, 'utf8').matchAll(pattern)].map((m) => ({ file, text: m[1] ?? '', constant: m[2] ?? '' })),
);

describe('documented defaults', () => {
  it('are found in the TSDoc', () => {
    expect(quoted.length).toBeGreaterThan(5);
  });

  it.each(quoted.filter((q) => q.constant in constants).map((q) => [q.constant, q.text, q.file]))(
    '%s matches its @default %s',
    (constant, text) => {
      const value = constants[constant];
      const documented = text.replace(/^'(.*)'$/, '$1');
      expect(String(value)).toBe(documented);
    },
  );
});
