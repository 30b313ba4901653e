import { findCpuController, groupFiles, lambdaCpuQuota, MAX_WEIGHT, ownGroup } from '../../bench/confine';

const V1_MOUNTS = [
  'tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0',
  'cgroup /sys/fs/cgroup/cpu cgroup rw,relatime,cpu 0 0',
  'cgroup /sys/fs/cgroup/cpuacct cgroup rw,relatime,cpuacct 0 0',
  'cgroup /sys/fs/cgroup/cpuset cgroup rw,relatime,cpuset 0 0',
  'cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0',
].join('\n');

describe('bench CPU confinement', () => {
  it('gives 512 MB 512/1,769 of a core per period', () => {
    expect(lambdaCpuQuota(512, 20_000)).toEqual({ quotaUs: 5789, periodUs: 20_000, share: 5789 / 20_000 });
  });

  it('gives 1,769 MB one whole core', () => {
    expect(lambdaCpuQuota(1769, 100_000)).toEqual({ quotaUs: 100_000, periodUs: 100_000, share: 1 });
  });

  it('never goes below the kernel’s 1 ms quota', () => {
    expect(lambdaCpuQuota(128, 1000).quotaUs).toBe(1000);
  });

  it('refuses a memory size that is not positive and a period under 1 ms', () => {
    expect(() => lambdaCpuQuota(0, 20_000)).toThrow(new RangeError('Expected the memory size to be a positive number of MB, got 0'));
    expect(() => lambdaCpuQuota(512, 999)).toThrow(
      new RangeError('Expected the CFS period to be a whole number of microseconds ≥ 1000, got 999'),
    );
  });

  it('prefers a cgroup v1 mount with the cpu controller over the v2 mount', () => {
    expect(findCpuController(V1_MOUNTS)).toEqual({ version: 1, root: '/sys/fs/cgroup/cpu' });
  });

  it('finds the v1 cpu controller mounted together with cpuacct', () => {
    expect(findCpuController('cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,nosuid,cpu,cpuacct 0 0')).toEqual({
      version: 1,
      root: '/sys/fs/cgroup/cpu,cpuacct',
    });
  });

  it('falls back to the cgroup2 mount, and to nothing without one', () => {
    expect(findCpuController('cgroup2 /sys/fs/cgroup cgroup2 rw,nsdelegate 0 0')).toEqual({ version: 2, root: '/sys/fs/cgroup' });
    expect(findCpuController('proc /proc proc rw 0 0')).toBeUndefined();
  });

  it('reads this process’s group from /proc/self/cgroup for each version', () => {
    const text = ['4:memory:/a/b', '1:cpu,cpuacct:/bench/x', '0::/user.slice/session'].join('\n');

    expect(ownGroup(text, 1)).toBe('/bench/x');
    expect(ownGroup(text, 2)).toBe('/user.slice/session');
    expect(ownGroup('9:name=systemd:/', 1)).toBe('/');
  });

  it('writes the quota as cfs quota and period on v1, as cpu.max on v2, with the highest weight', () => {
    const quota = lambdaCpuQuota(512, 20_000);

    expect(groupFiles(1, quota)).toEqual({ 'cpu.shares': String(MAX_WEIGHT[1]), 'cpu.cfs_period_us': '20000', 'cpu.cfs_quota_us': '5789' });
    expect(groupFiles(2, quota)).toEqual({ 'cpu.weight': String(MAX_WEIGHT[2]), 'cpu.max': '5789 20000' });
  });

  it('writes only the weight for a group without quota', () => {
    expect(groupFiles(1, undefined)).toEqual({ 'cpu.shares': '262144' });
    expect(groupFiles(2, undefined)).toEqual({ 'cpu.weight': '10000' });
  });
});
