/** The publishing interval a desired configuration may set, in seconds: 0.05 s .. 1 day. */
const MIN_INTERVAL_S = 0.05;
const MAX_INTERVAL_S = 86_400;

/**
 * A virtual device's desired configuration (#18), as firmware handles it: a document
 * `{"version","desired"}` is applied once per version (a resend or an older one is ignored),
 * the attributes it understands are applied (`interval_s`: the publishing interval), and the
 * report says what was applied, with the version, so the platform can show what is still pending.
 */
export function createDesiredConfig() {
  let version = -1;
  let intervalS: number | undefined;

  const validInterval = (v: unknown): number | undefined =>
    typeof v === 'number' && Number.isFinite(v) && v >= MIN_INTERVAL_S && v <= MAX_INTERVAL_S ? v : undefined;

  return {
    /** Seconds between readings when the platform set it (desired or set_interval); else the fleet's rate. */
    get intervalS(): number | undefined {
      return intervalS;
    },

    /** Applies a document; returns the report to send, or undefined when there is nothing new or it is no document. */
    apply(payload: string): string | undefined {
      let doc: { version?: unknown; desired?: unknown };
      try {
        doc = JSON.parse(payload) as typeof doc;
      } catch {
        return undefined;
      }
      if (typeof doc.version !== 'number' || typeof doc.desired !== 'object' || doc.desired === null) return undefined;
      if (doc.version <= version) return undefined;
      version = doc.version;
      const desired = doc.desired as Record<string, unknown>;
      const reported: Record<string, unknown> = {};
      if ('interval_s' in desired) {
        const v = validInterval(desired.interval_s);
        if (v !== undefined) intervalS = v;
      }
      // what the device runs with now; unknown attributes are not reported, so they show as pending
      if (intervalS !== undefined) reported.interval_s = intervalS;
      return JSON.stringify({ version, reported });
    },

    /** The set_interval command; false when the value is out of range. */
    setInterval(seconds: unknown): boolean {
      const v = validInterval(seconds);
      if (v === undefined) return false;
      intervalS = v;
      return true;
    },
  };
}
