import { readFile } from 'node:fs/promises';

/** Kernel clock ticks per second for /proc/<pid>/stat times; 100 on every Linux we run on (getconf CLK_TCK). */
const CLK_TCK = 100;

export interface ProcSample {
  /** utime + stime, in seconds. */
  cpuSeconds: number;
  rssBytes: number;
}

/** CPU time and resident memory of one process from /proc, or undefined when it is gone. */
export async function readProc(pid: number): Promise<ProcSample | undefined> {
  try {
    const [stat, status] = await Promise.all([
      readFile(`/proc/${pid}/stat`, 'utf8'),
      readFile(`/proc/${pid}/status`, 'utf8'),
    ]);
    return { cpuSeconds: parseStatCpu(stat), rssBytes: parseStatusRss(status) };
  } catch {
    return undefined;
  }
}

/** utime + stime (fields 14 and 15) in seconds. The command name (field 2) may hold spaces and parentheses. */
export function parseStatCpu(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14, stime field 15
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** VmRSS in bytes (0 when absent, e.g. a zombie). */
export function parseStatusRss(status: string): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

export interface ProcUsage {
  name: string;
  /** Mean CPU over the window, % of one core (200 % = both cores of this machine). */
  cpuPct: number;
  rssPeakMb: number;
  rssEndMb: number;
}

/**
 * Samples named processes every `intervalMs` between start() and stop(): CPU as the difference of
 * /proc times over the wall time, memory as peak and last RSS. A name may stand for several pids
 * (PostgreSQL backends of the bench database), summed.
 */
export function createProcSampler(intervalMs = 500) {
  const targets = new Map<string, () => number[] | Promise<number[]>>();
  let timer: NodeJS.Timeout | undefined;
  let startedAt = 0;
  let first = new Map<string, Map<number, number>>();
  let last = new Map<string, Map<number, number>>();
  let peak = new Map<string, number>();
  let current = new Map<string, number>();

  const sample = async () => {
    for (const [name, pidsOf] of targets) {
      const pids = await pidsOf();
      let rss = 0;
      const f = first.get(name) ?? new Map<number, number>();
      const l = last.get(name) ?? new Map<number, number>();
      for (const pid of pids) {
        const s = await readProc(pid);
        if (!s) continue;
        rss += s.rssBytes;
        if (!f.has(pid)) f.set(pid, s.cpuSeconds);
        l.set(pid, s.cpuSeconds);
      }
      first.set(name, f);
      last.set(name, l);
      current.set(name, rss);
      peak.set(name, Math.max(peak.get(name) ?? 0, rss));
    }
  };

  return {
    /** Watch a process (or a set of them, re-resolved at each sample). */
    watch(name: string, pids: number | (() => number[] | Promise<number[]>)) {
      targets.set(name, typeof pids === 'number' ? () => [pids] : pids);
    },
    async start(): Promise<void> {
      first = new Map();
      last = new Map();
      peak = new Map();
      current = new Map();
      startedAt = performance.now();
      await sample();
      timer = setInterval(() => void sample().catch(() => undefined), intervalMs);
    },
    async stop(): Promise<ProcUsage[]> {
      clearInterval(timer);
      await sample();
      const seconds = (performance.now() - startedAt) / 1000;
      return [...targets.keys()].map((name) => {
        const f = first.get(name) ?? new Map<number, number>();
        let cpu = 0;
        for (const [pid, end] of last.get(name) ?? []) cpu += end - (f.get(pid) ?? end);
        return {
          name,
          cpuPct: seconds > 0 ? Math.round((cpu / seconds) * 100) : 0,
          rssPeakMb: Math.round((peak.get(name) ?? 0) / 1048576),
          rssEndMb: Math.round((current.get(name) ?? 0) / 1048576),
        };
      });
    },
  };
}
