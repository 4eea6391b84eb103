import { describe, expect, it } from 'vitest';
import { createProcSampler, parseStatCpu, parseStatusRss, readProc } from './proc.js';

describe('/proc parsing', () => {
  it('reads utime + stime past a command name with spaces and parentheses', () => {
    const stat = '4242 (node (worker) x) S 1 4242 4242 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 11 0 100 0 0';
    expect(parseStatCpu(stat)).toBe(3);
  });

  it('reads VmRSS in bytes', () => {
    expect(parseStatusRss('Name:\tnode\nVmRSS:\t   2048 kB\nThreads: 7\n')).toBe(2048 * 1024);
    expect(parseStatusRss('Name:\tzombie\n')).toBe(0);
  });

  it('samples this process', async () => {
    const self = await readProc(process.pid);
    expect(self?.rssBytes).toBeGreaterThan(0);
    const sampler = createProcSampler(20);
    sampler.watch('self', process.pid);
    await sampler.start();
    let x = 0;
    for (let i = 0; i < 2e6; i++) x += Math.sqrt(i);
    const [usage] = await sampler.stop();
    expect(x).toBeGreaterThan(0);
    expect(usage?.name).toBe('self');
    expect(usage?.rssPeakMb).toBeGreaterThan(0);
  });
});
