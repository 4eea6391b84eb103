import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from './processes.js';
import { embeddedStackEnv } from './scenario.js';

// Issue 23: `npm start` runs the build of infra/build-stack.mjs (plain JavaScript, no tsx in either
// thread), not the sources the other tests start. This starts that build as `npm start` does.
describe('npm start from its build (node infra/bootstrap.mjs start)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stack-built-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('answers --help without starting anything', () => {
    const r = spawnSync(process.execPath, ['infra/bootstrap.mjs', 'start', '--help'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/npm start \[-- --help\]/);
    expect(r.stdout).toMatch(/DATA_DIR/);
  }, 120_000);

  it('starts the embedded stack, is ready, and stops on SIGTERM', async () => {
    const embedded = await embeddedStackEnv(dataDir);
    const child = spawn(process.execPath, ['infra/bootstrap.mjs', 'start'], {
      cwd: ROOT,
      env: { ...process.env, ...embedded.env, METRICS_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        const check = () => /Ctrl\+C stops it/.test(out) && resolve();
        child.stdout.on('data', check);
        exited.then((code) => reject(new Error(`exited (${code}) before the banner:\n${out}`)));
      });
      expect(out).toMatch(/embedded TimescaleDB/);
      const ready = await fetch(`${embedded.d.http}/readyz`);
      expect(ready.status, out).toBe(200);
      child.kill('SIGTERM');
      expect(await exited, out).toBe(0);
      expect(out).toMatch(/Stopped\./);
    } finally {
      child.kill('SIGKILL');
    }
  }, 240_000);
});
