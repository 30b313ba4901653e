import { Logger } from '@aws-lambda-powertools/logger';
import { InMemoryStore, makeIdempotent } from '../../lib';
import { createDefaultLogger } from '../../lib/logger';

function captureStdout(): { lines: () => Record<string, unknown>[]; restore: () => void } {
  const written: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  return {
    lines: () =>
      written
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    restore: () => spy.mockRestore(),
  };
}

describe('the default logger', () => {
  it('writes WARN and ERROR lines as JSON with the Powertools fields, and drops DEBUG and INFO', () => {
    const out = captureStdout();
    try {
      const logger = createDefaultLogger();
      logger.debug('hidden');
      logger.info('hidden too');
      logger.warn('careful', { key: 'k1' });
      logger.error('failed', Object.assign(new Error('boom'), { key: 'k2' }));
    } finally {
      out.restore();
    }
    const lines = out.lines();
    expect(lines.map((l) => [l['level'], l['message']])).toEqual([
      ['WARN', 'careful'],
      ['ERROR', 'failed'],
    ]);
    expect(lines[0]).toMatchObject({ service: 'effectively-once', key: 'k1', timestamp: expect.stringMatching(/^\d{4}-/) });
    expect(lines[1]?.['error']).toMatchObject({ name: 'Error', message: 'boom', key: 'k2' });
  });
});

describe('a Powertools Logger as the logger option', () => {
  it("receives the library's warnings", async () => {
    const logger = new Logger({ serviceName: 'orders', logLevel: 'WARN' });
    const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    const handler = makeIdempotent(async (_event: { id?: string }) => 'ran', {
      store: new InMemoryStore(),
      key: 'id',
      name: 'logger-option',
      onMissingKey: 'run',
      logger,
    });
    await handler({});
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/running without idempotency/));
  });
});
