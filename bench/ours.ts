/**
 * Ours as users run it. `npm run bench` builds first and sets `EO_BENCH_OURS=dist`: its contenders then load
 * the compiled package (dist/lib, tsc's output, as published and as a bundler reads it) like the incumbent's
 * from node_modules, not the TypeScript sources through tsx, whose transform wraps every named function and
 * class in a `__name` call (esbuild's keepNames): 7–12% more Node CPU per record on an SQS batch of 10
 * (in-process A/B, alternating blocks, 2026-12-06). Without it (quick looks, tests) the sources load, so an
 * edit needs no build.
 */
import type * as Lib from '../lib';
import type * as Sqs from '../lib/sqs';
import type * as Streams from '../lib/streams';

/** Whether ours loads from dist/ (`EO_BENCH_OURS=dist`). */
export const oursCompiled = process.env['EO_BENCH_OURS'] === 'dist';

/* eslint-disable @typescript-eslint/no-require-imports -- one copy of the library, chosen at run time */
/** `effectively-once`. */
export const ours: typeof Lib = oursCompiled ? (require('../dist/lib') as typeof Lib) : (require('../lib') as typeof Lib);
/** `effectively-once/sqs`. */
export const oursSqs: typeof Sqs = oursCompiled ? (require('../dist/lib/sqs') as typeof Sqs) : (require('../lib/sqs') as typeof Sqs);
/** `effectively-once/streams`. */
export const oursStreams: typeof Streams = oursCompiled
  ? (require('../dist/lib/streams') as typeof Streams)
  : (require('../lib/streams') as typeof Streams);
/* eslint-enable @typescript-eslint/no-require-imports */
