import type { PasswordHasher, Principal, RefreshTokens, TokenService } from '@telemetry/auth';
import type { Bus } from '@telemetry/bus';
import type { Config } from '@telemetry/config';
import type { Logger } from '@telemetry/observability';
import type { DeviceRegistry } from '@telemetry/registry';
import type { Store } from '@telemetry/store';
import type { DeviceView } from './devices/repository.js';
import type { Authenticate } from './http/route-table.js';
import type { Publisher } from './publish.js';

/** What every route module gets: the engines and the services built once in createApi. */
export interface ApiContext {
  store: Store;
  bus: Bus;
  logger: Logger;
  config: Config;
  tokens: TokenService;
  refreshTokens: RefreshTokens;
  passwords: PasswordHasher;
  devices: DeviceRegistry;
  publish: Publisher;
  /**
   * The devices resource's lookup for the others (telemetry, rejections, conflicts, commands,
   * shadow): a device the caller may see, else 404. They never import devices/repository.ts.
   */
  deviceViews: DeviceViews;
  now: () => number;
  /** Principal of a request (bearer or cookie), as the routes see it. */
  authenticate: Authenticate;
}

/** One device as the devices routes show it, through the caller's scope (tenant, assets for viewers). */
export interface DeviceViews {
  get(p: Principal, deviceId: string): Promise<DeviceView>;
}
