export type Check = () => boolean | Promise<boolean>;

/**
 * Liveness is "the process answers"; readiness is every registered engine check passing
 * (bus reachable, store answering...). Services register the checks of what they use.
 */
export interface Health {
  addReadiness(name: string, check: Check): void;
  readiness(): Promise<{ ready: boolean; checks: Record<string, boolean> }>;
}

export function createHealth(): Health {
  const checks = new Map<string, Check>();
  return {
    addReadiness(name, check) {
      checks.set(name, check);
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
      return { ready: Object.values(results).every(Boolean), checks: results };
    },
  };
}
