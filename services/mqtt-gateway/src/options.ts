import type { Config } from '@telemetry/config';
import type { GatewayOptions } from './gateway.js';

/** The gateway's options from the configuration, for every composition root that runs it. */
export function gatewayOptions(cfg: Pick<Config, 'mqtt' | 'devices'>): GatewayOptions {
  return {
    host: cfg.mqtt.host,
    port: cfg.mqtt.port,
    wsPort: cfg.mqtt.wsPort,
    maxPacketBytes: cfg.mqtt.maxPacketBytes,
    maxPayloadBytes: cfg.mqtt.maxPayloadBytes,
    maxInflight: cfg.mqtt.maxInflight,
    connectsPerIpPerMinute: cfg.mqtt.connectsPerIpPerMinute,
    connectTimeoutMs: cfg.mqtt.connectTimeoutMs,
    revalidateIntervalMs: cfg.mqtt.revalidateIntervalMs,
    strictClientId: cfg.mqtt.strictClientId,
    pendingTtlMs: cfg.devices.pendingTtlMs,
    proxyPort: cfg.mqtt.proxyPort,
    wsProxyPort: cfg.mqtt.wsProxyPort,
    heartbeatIntervalMs: cfg.mqtt.clusterHeartbeatMs,
  };
}
