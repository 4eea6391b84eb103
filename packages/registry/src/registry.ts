import { createDeviceCredentials, type DeviceCredentials } from './credentials.js';
import { createDeviceDirectory, type DeviceDirectory } from './directory.js';
import { createDeviceLifecycle, type DeviceLifecycle, type LifecycleOptions } from './lifecycle.js';
import { createDevicePresence, type DevicePresence } from './presence.js';
import { createTenantLookups, type TenantLookups } from './tenants.js';

/**
 * Device identity over the store's pool, one part per concern. A composition root builds it once;
 * each consumer takes only the parts it uses (the MQTT gateway's CONNECT handler the credentials,
 * its presence writer the presence, ...).
 */
export interface DeviceRegistry {
  lifecycle: DeviceLifecycle;
  credentials: DeviceCredentials;
  presence: DevicePresence;
  directory: DeviceDirectory;
  tenants: TenantLookups;
}

export type DeviceRegistryOptions = LifecycleOptions;

export function createDeviceRegistry(options: DeviceRegistryOptions): DeviceRegistry {
  const { pool } = options;
  return {
    lifecycle: createDeviceLifecycle(options),
    credentials: createDeviceCredentials({ pool }),
    presence: createDevicePresence({ pool }),
    directory: createDeviceDirectory({ pool }),
    tenants: createTenantLookups({ pool }),
  };
}
