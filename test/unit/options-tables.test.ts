/**
 * The options tables of the docs follow the option sets declared in lib/: a row per option (a row may name
 * several options that are "as for makeIdempotent"), no row for an option that does not exist, and each
 * literal default (a number, a string, a boolean) shown as the code applies it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IDEMPOTENCY_SPEC } from '../../lib/config/idempotency';
import type { OptionSpec } from '../../lib/config/spec';
import { HTTP_OPTIONS } from '../../lib/http/options';
import { EMF_OPTIONS } from '../../lib/metrics/emf';
import { DYNAMODB_STORE_OPTIONS } from '../../lib/persistence/dynamodb/options';
import { SQS_OPTIONS } from '../../lib/sqs/options';
import { VALKEY_STORE_OPTIONS } from '../../lib/valkey/options';

const ROOT = join(__dirname, '../..');

interface Row {
  readonly names: readonly string[];
  readonly defaultCell: string;
}

/** The rows of the first table after the heading `heading` in `file`. */
function tableAfter(file: string, heading: string): Row[] {
  const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
  const start = lines.findIndex((line) => line.startsWith('#') && line.includes(heading));
  if (start < 0) throw new Error(`${file}: no heading with ${heading}`);
  const first = lines.findIndex((line, index) => index > start && line.startsWith('|'));
  const rows: Row[] = [];
  // The header and the separator line come first.
  for (let index = first + 2; index < lines.length && lines[index]!.startsWith('|'); index++) {
    const cells = lines[index]!.split(/(?<!\\)\|/).map((cell) => cell.trim());
    const names = [...(cells[1] ?? '').matchAll(/`([A-Za-z]+)`/g)].map((match) => match[1]!);
    rows.push({ names, defaultCell: cells[2] ?? '' });
  }
  return rows;
}

/** A default as the docs write it: `3600`, `'lease'`, `false`. */
function literal(value: unknown): string | undefined {
  if (typeof value === 'number' || typeof value === 'boolean') return `\`${String(value)}\``;
  if (typeof value === 'string') return `\`'${value}'\``;
  return undefined;
}

const TABLES: readonly (readonly [file: string, heading: string, spec: OptionSpec])[] = [
  ['docs/api.md', '`makeIdempotent(fn, options)`', IDEMPOTENCY_SPEC],
  ['docs/api.md', '`DynamoDBStore(options)`', DYNAMODB_STORE_OPTIONS.spec],
  ['docs/sqs.md', 'Options', SQS_OPTIONS.spec],
  ['docs/http.md', 'Options', HTTP_OPTIONS.spec],
  ['docs/metrics.md', 'Sinks', EMF_OPTIONS.spec],
  ['docs/valkey.md', 'Valkey and Redis OSS', VALKEY_STORE_OPTIONS.spec],
];

describe.each(TABLES)('%s, the table after %s', (file, heading, spec) => {
  const rows = tableAfter(file, heading);
  const documented = rows.flatMap((row) => row.names);

  it('has a row for every option', () => {
    expect(Object.keys(spec).filter((name) => !documented.includes(name))).toEqual([]);
  });

  it('has no row for an option that does not exist', () => {
    expect(documented.filter((name) => !(name in spec))).toEqual([]);
  });

  it('names each option once', () => {
    expect(documented.filter((name, index) => documented.indexOf(name) !== index)).toEqual([]);
  });

  it('shows each literal default as the code applies it, and `required` for a required option', () => {
    const drift = rows
      .filter((row) => row.names.length === 1 && !row.defaultCell.startsWith('as for'))
      .flatMap((row) => {
        const entry = spec[row.names[0]!];
        if (entry === undefined) return [];
        if (entry.required === true) return row.defaultCell === 'required' ? [] : [`${row.names[0]!}: ${row.defaultCell} (required)`];
        const expected = literal(entry.default);
        if (expected === undefined) return [];
        return row.defaultCell.startsWith(expected) ? [] : [`${row.names[0]!}: ${row.defaultCell} (the code: ${expected})`];
      });
    expect(drift).toEqual([]);
  });
});
