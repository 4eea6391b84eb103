import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';

export interface MachineInfo {
  date: string;
  nproc: number;
  memoryGb: number;
  cpuModel: string;
  node: string;
  commit: string;
  /** 1-minute load average; sampled by the caller during the run too. */
  load: number[];
}

/** Where and on what the figures were taken (the header of a BENCHMARKS.md section). */
export function machineInfo(repoRoot: string): MachineInfo {
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    nproc: cpus().length,
    memoryGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    node: process.versions.node,
    commit: gitCommit(repoRoot),
    load: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** HEAD's short hash, "+dirty" when the tree has changes (read-only git calls). */
function gitCommit(cwd: string): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd,
      encoding: 'utf8',
    }).trim();
    return dirty ? `${head}+dirty` : head;
  } catch {
    return 'unknown';
  }
}

/** The 1-minute load average, sampled while the bench runs: other work on the machine skews the figures. */
export function createLoadWatch(intervalMs = 2000) {
  const samples: number[] = [];
  const timer = setInterval(() => samples.push(loadavg()[0] ?? 0), intervalMs);
  timer.unref();
  samples.push(loadavg()[0] ?? 0);
  return {
    stop(): { min: number; max: number; mean: number } {
      clearInterval(timer);
      const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
      const r = (x: number) => Math.round(x * 10) / 10;
      return { min: r(Math.min(...samples)), max: r(Math.max(...samples)), mean: r(mean) };
    },
  };
}
