/**
 * Keeps the code blocks of README.md and docs/*.md equal to the example files they show: a block whose first
 * line is `// docs/examples/<file>` or `// examples/user-project/<file>` holds that file's content. `tsx scripts/doc-examples.ts` rewrites
 * the blocks from the files (after a reformat, say); `--check` lists the blocks that differ and exits 1.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
const BLOCK = /```(ts|typescript|js|jsonc)\n(\/\/ ((?:docs\/)?examples\/[^\s]+)[^\n]*\n)([\s\S]*?)```/g;

/** The markdown files whose blocks show examples. */
export function markdownFiles(): string[] {
  return [
    'README.md',
    ...readdirSync(join(ROOT, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => join('docs', f)),
  ];
}

/** The blocks of `file` that differ from their example file, and the file's text with them synced. */
export function syncBlocks(file: string): { stale: string[]; text: string } {
  const stale: string[] = [];
  const text = readFileSync(join(ROOT, file), 'utf8').replace(
    BLOCK,
    (block, lang: string, header: string, example: string, body: string) => {
      const source = readFileSync(join(ROOT, example), 'utf8');
      // The example file starts with the same header line the block shows.
      const expected = source.startsWith(header) ? source.slice(header.length) : source;
      if (body === expected) return block;
      stale.push(`${file}: ${example}`);
      return `\`\`\`${lang}\n${header}${expected}\`\`\``;
    },
  );
  return { stale, text };
}

if (require.main === module) {
  const check = process.argv.includes('--check');
  const stale = markdownFiles().flatMap((file) => {
    const synced = syncBlocks(file);
    if (!check && synced.stale.length > 0) writeFileSync(join(ROOT, file), synced.text);
    return synced.stale;
  });
  for (const line of stale) console.log(`${check ? 'differs' : 'synced'}: ${line}`);
  if (check && stale.length > 0) process.exitCode = 1;
}
