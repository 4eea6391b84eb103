import { createServer } from 'node:net';
import type { Config } from '@telemetry/config';

export interface PortClaim {
  /** The environment variable that sets it, named in the error. */
  variable: string;
  port: number;
  host: string;
}

/** The ports the all-in-one stack binds, by the variable that sets each. */
export function stackPorts(config: Config): PortClaim[] {
  return [
    { variable: 'HTTP_PORT', port: config.http.port, host: config.http.host },
    { variable: 'MQTT_PORT', port: config.mqtt.port, host: config.mqtt.host },
    ...(config.mqtt.wsPort > 0 ? [{ variable: 'MQTT_WS_PORT', port: config.mqtt.wsPort, host: config.mqtt.host }] : []),
    ...(config.metrics.port > 0
      ? [{ variable: 'METRICS_PORT', port: config.metrics.port, host: config.metrics.host }]
      : []),
  ];
}

/** Resolves when the port can be bound; 0 (any free port) always can. */
function isFree({ port, host }: PortClaim): Promise<boolean> {
  if (port === 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}

/**
 * Checks every port before anything starts, so a clash is reported up front, by variable,
 * instead of as an EADDRINUSE stack trace halfway through start-up with half the engines open.
 */
export async function assertPortsFree(claims: PortClaim[]): Promise<void> {
  const taken: PortClaim[] = [];
  for (const claim of claims) if (!(await isFree(claim))) taken.push(claim);
  if (taken.length === 0) return;
  const lines = taken.map(
    (c) =>
      `  - port ${c.port} (${c.variable}) is already in use: stop what runs there, or start with ${c.variable}=<another port>`,
  );
  throw new PortInUseError(
    `Cannot start: ${taken.length === 1 ? 'a port is' : 'ports are'} taken\n${lines.join('\n')}`,
  );
}

export class PortInUseError extends Error {
  override name = 'PortInUseError';
}
