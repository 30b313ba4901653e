/**
 * Every TypeScript block of the README and the guides is an example file the typecheck compiles: the block
 * shows that file exactly (`tsx scripts/doc-examples.ts` rewrites stale blocks).
 */
import { markdownFiles, syncBlocks } from '../../scripts/doc-examples';

describe('documentation examples', () => {
  it.each(markdownFiles())('%s shows its example files as they are', (file) => {
    expect(syncBlocks(file).stale).toEqual([]);
  });
});
