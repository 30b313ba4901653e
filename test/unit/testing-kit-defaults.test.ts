import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as kit from '../../lib/testing';

/** Every `@default {@link CONSTANT} (value)` in the kit's TSDoc, with the file it is in. */
function documentedDefaults(): Array<[string, string, string]> {
  const dir = join(__dirname, '..', '..', 'lib', 'testing');
  const found: Array<[string, string, string]> = [];
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.ts'))) {
    const source = readFileSync(join(dir, file), 'utf8');
    for (const match of source.matchAll(/@default \{@link (\w+)\} \(([^)]*)\)/g)) {
      found.push([file, match[1] as string, match[2] as string]);
    }
  }
  return found;
}

describe('test kit defaults', () => {
  const defaults = documentedDefaults();

  it('are documented with a named constant', () => {
    expect(defaults.length).toBeGreaterThanOrEqual(15);
  });

  it.each(defaults)('%s: %s is exported and agrees with its TSDoc (%s)', (_file, name, documented) => {
    const value = (kit as Record<string, unknown>)[name];
    expect(value).toBeDefined();
    const shown = documented.split(':')[0]?.trim().replace(/^`|`$/g, '');
    if (value === Number.POSITIVE_INFINITY) expect(documented).toBe('no limit');
    else expect(String(value)).toBe(shown);
  });
});
