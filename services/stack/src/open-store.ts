import type { Config } from '@telemetry/config';
import type { Logger } from '@telemetry/observability';
import { createStore, type Store } from '@telemetry/store';

/** Opens the stack's store (the embedded database starts in its own thread). */
export function openStackStore(config: Config, logger: Logger): Promise<Store> {
  return createStore(config.store, {
    applicationName: 'stack',
    onPoolError: (err) => logger.warn({ err }, 'store connection lost'),
    onSqlAccessEvent: (event) =>
      event.kind === 'login'
        ? logger.info(event, 'embedded SQL access: login')
        : logger.warn(event, 'embedded SQL access: connection refused'),
  });
}
