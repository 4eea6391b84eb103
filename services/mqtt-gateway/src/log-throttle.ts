/**
 * True at most once per key per interval: what a misconfigured firmware repeats many times a second
 * is logged visibly (info/warn), not once per message.
 */
export function createLogThrottle(intervalMs: number, maxKeys = 10_000): (key: string) => boolean {
  const last = new Map<string, number>();
  return (key) => {
    const now = Date.now();
    const at = last.get(key);
    if (at !== undefined && now - at < intervalMs) return false;
    // A bound on the keys kept: past it, start over (at worst one more line per key).
    if (last.size >= maxKeys) last.clear();
    last.set(key, now);
    return true;
  };
}
