import Valkey from 'iovalkey';
import { startLocalValkey, TestKitConfigError, TestKitDependencyError } from '../../lib/testing';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('startLocalValkey', () => {
  it('starts a server from the PATH on a free port without persistence, and stops exactly its process', async () => {
    const server = await startLocalValkey();
    const client = new Valkey(server.url);
    try {
      await expect(client.call('PING')).resolves.toBe('PONG');
      await expect(client.call('CONFIG', 'GET', 'appendonly')).resolves.toEqual(['appendonly', 'no']);
      await expect(client.call('CONFIG', 'GET', 'save')).resolves.toEqual(['save', '']);
    } finally {
      client.disconnect();
    }
    const pid = server.pid;
    await server.stop();
    expect(alive(pid)).toBe(false);
    await expect(server.stop()).resolves.toBeUndefined();
  });

  it('keeps the data across a restart with appendOnly, on the same port', async () => {
    const server = await startLocalValkey({ appendOnly: true });
    const client = new Valkey(server.url);
    try {
      await client.call('SET', 'kept', 'yes');
      const before = server.pid;
      await server.restart();
      expect(server.pid).not.toBe(before);
      await expect(client.call('GET', 'kept')).resolves.toBe('yes');
    } finally {
      client.disconnect();
      await server.stop();
    }
  });

  it('names the package to install when no server is on the PATH', async () => {
    const path = process.env['PATH'];
    process.env['PATH'] = '/nonexistent';
    try {
      const error = await startLocalValkey().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TestKitDependencyError);
      expect((error as Error).message).toMatch(/needs `valkey-server` or `redis-server` on the PATH: .*`apt-get install redis-server`/);
    } finally {
      process.env['PATH'] = path;
    }
  });

  it('refuses an unknown option', async () => {
    await expect(startLocalValkey({ persist: true } as never)).rejects.toThrow(TestKitConfigError);
  });
});
