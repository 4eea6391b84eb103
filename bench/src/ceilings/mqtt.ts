/**
 * MQTT ceiling: the load generator, unpaced, against mosquitto (QoS 1, anonymous, same number of
 * connections, same in-flight window, same payloads). It is also the load generator measured
 * alone: whatever the stack reaches, the generator could offer this much. The same goes for the
 * connect storm: `stormDevices` connections at once, without auth.
 */
import { anonymousDevices, type ConnectResult, startLoadGenerator } from '../loadgen/index.js';
import { readProc } from '../proc.js';
import type { CeilingResult } from './kafka.js';

export interface MqttCeiling extends CeilingResult {
  generatorCpuPct: number;
  pubackP99: number;
  storm?: ConnectResult & { devices: number };
}

export async function mqttCeiling(o: {
  url: string;
  devices: number;
  window: number;
  durationMs: number;
  /** Connections for the connect-storm reference; 0 or absent = none. */
  stormDevices?: number;
}): Promise<MqttCeiling> {
  const run = `c${Date.now().toString(36)}`;
  const lg = startLoadGenerator();
  try {
    const connected = await lg.connect({ url: o.url, devices: anonymousDevices(run, o.devices), concurrency: 50 });
    if (connected.failed > 0)
      throw new Error(`mosquitto at ${o.url}: ${connected.failed} connections failed: ${connected.errors.join('; ')}`);
    const cpu0 = (await readProc(lg.pid))?.cpuSeconds ?? 0;
    const r = await lg.run({ rate: 0, durationMs: o.durationMs, window: o.window, tag: 'c', drainTimeoutMs: 10_000 });
    const cpu = ((await readProc(lg.pid))?.cpuSeconds ?? 0) - cpu0;
    await lg.disconnect();
    let storm: MqttCeiling['storm'];
    if ((o.stormDevices ?? 0) > 0) {
      const devices = anonymousDevices(`${run}s`, o.stormDevices ?? 0);
      const s = await lg.storm({ url: o.url, devices, concurrency: Math.min(1000, devices.length) });
      storm = { ...s, devices: devices.length };
      await lg.disconnect();
    }
    return {
      messages: r.acked,
      seconds: r.seconds,
      perSec: r.acked / r.seconds,
      generatorCpuPct: Math.round((cpu / r.seconds) * 100),
      pubackP99: r.pubackMs.p99,
      storm,
      note: `mosquitto ${o.url}, QoS 1, ${o.devices} connections, window ${o.window}`,
    };
  } finally {
    await lg.close();
  }
}
