import type { Config } from '@telemetry/config';
import type { GatewayOptions } from './gateway.js';

/** The gateway's options from the configuration, for every composition root that runs it. */
export function gatewayOptions(cfg: Pick<Config, 'mqtt' | 'devices'> & Partial<Pick<Config, 'tls'>>): GatewayOptions {
  const tls = cfg.tls;
  return {
    ...(tls?.certFile && tls.keyFile
      ? {
          tls: {
            certFile: tls.certFile,
            keyFile: tls.keyFile,
            ...(tls.caFile ? { caFile: tls.caFile } : {}),
            port: tls.mqttPort,
            wssPort: tls.mqttWssPort,
          },
        }
      : {}),
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
