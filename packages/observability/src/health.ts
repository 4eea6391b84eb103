export type Check = () => boolean | Promise<boolean>;

/**
 * Liveness is "the process answers"; readiness is every registered engine check passing
 * (bus reachable, store answering...). Services register the checks of what they use.
 */
export interface Health {
  addReadiness(name: string, check: Check): void;
  /** Shown under `detail` in /readyz without deciding readiness (e.g. failing TimescaleDB jobs). */
  addDetail(name: string, detail: () => unknown): void;
  readiness(): Promise<{ ready: boolean; checks: Record<string, boolean>; detail?: Record<string, unknown> }>;
}

export function createHealth(): Health {
  const checks = new Map<string, Check>();
  const details = new Map<string, () => unknown>();
  return {
    addReadiness(name, check) {
      checks.set(name, check);
    },
    addDetail(name, detail) {
      details.set(name, detail);
    },
    async readiness() {
      const results: Record<string, boolean> = {};
      for (const [name, check] of checks) {
        try {
          results[name] = Boolean(await check());
        } catch {
          results[name] = false;
        }
      }
      const ready = Object.values(results).every(Boolean);
      if (details.size === 0) return { ready, checks: results };
      const detail: Record<string, unknown> = {};
      for (const [name, read] of details) detail[name] = read();
      return { ready, checks: results, detail };
    },
  };
}
