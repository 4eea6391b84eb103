/**
 * Raw rows only on change (the car-plant seed stores machine data sent every 20 s only when it
 * changed): device_types.deadband {"temperature": 0.5, "*": 0} keeps a reading when some metric moved
 * MORE than its band from the last kept value ("*" is the band of metrics not listed; default 0, i.e.
 * any change). A metric without a reference yet, a reading without metrics, and events (kind other
 * than telemetry) are always kept. Rollups and device state count every reading regardless.
 * References follow arrival order (the order the device sent, per partition).
 */
export function keepReading(
  metrics: Record<string, number>,
  band: Record<string, number>,
  ref: Record<string, number>,
): boolean {
  const names = Object.keys(metrics);
  if (names.length === 0) return true;
  for (const name of names) {
    const prev = ref[name];
    if (prev === undefined) return true;
    const width = band[name] ?? band['*'] ?? 0;
    if (Math.abs((metrics[name] as number) - prev) > width) return true;
  }
  return false;
}

/** Whether a device type has a deadband at all (an empty object means: keep every raw reading). */
export function hasDeadband(band: Record<string, number>): boolean {
  return Object.keys(band).length > 0;
}
