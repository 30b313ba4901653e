// The SDK warns once per process that its 2027 releases need Node 22; the lockfile pins today's releases.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';

/**
 * The library's default logger writes JSON lines to stdout, which jest does not capture: between the test
 * results they are noise (tests that check log lines pass their own `logger`). They are dropped here, and only
 * they: a line of the library's default logger (`"service":"effectively-once"`). `EO_TEST_LOGS=1` shows them.
 */
if (process.env['EO_TEST_LOGS'] !== '1') {
  const write = process.stdout.write.bind(process.stdout) as (...args: unknown[]) => boolean;
  const isLibraryLogLine = (chunk: unknown): boolean =>
    typeof chunk === 'string' && chunk.startsWith('{"level":') && chunk.includes('"service":"effectively-once"');
  process.stdout.write = ((chunk: unknown, ...rest: unknown[]): boolean =>
    isLibraryLogLine(chunk) ? true : write(chunk, ...rest)) as typeof process.stdout.write;
}
