import type { PasswordHasher, RefreshTokens, TokenService } from '@telemetry/auth';
import type { Bus } from '@telemetry/bus';
import type { Config } from '@telemetry/config';
import type { Logger } from '@telemetry/observability';
import type { DeviceRegistry } from '@telemetry/registry';
import type { Store } from '@telemetry/store';
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
  now: () => number;
  /** Principal of a request (bearer or cookie), as the routes see it. */
  authenticate: Authenticate;
}
