import type { Redis } from 'ioredis';

/**
 * The redis adapter sends several commands fire-and-forget: PUBLISH (serverSideEmit,
 * broadcasts) and (P)UNSUBSCRIBE on close. With Redis gone, ioredis rejects each queued command
 * (MaxRetriesPerRequestError, or "Connection is closed" at shutdown) and nobody handles the
 * rejection, so Node ended the process after ~10 s of telemetry (#15). This view of the client
 * catches those commands and reports them instead; the other instances' clients miss those
 * deliveries and catch up with their resume cursor once Redis is back. Everything else is the
 * client itself (the adapter also listens to its events and sends PUBSUB through it).
 */
export function guardCommands(redis: Redis, commands: readonly string[], onError: (err: Error) => void): Redis {
  const guarded = new Map<PropertyKey, unknown>();
  for (const name of commands) {
    const command = (redis as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[name];
    if (typeof command !== 'function') continue;
    guarded.set(name, (...args: unknown[]) =>
      command.apply(redis, args).catch((err: Error) => {
        onError(err);
        return 0;
      }),
    );
  }
  return new Proxy(redis, {
    get(target, prop) {
      if (guarded.has(prop)) return guarded.get(prop);
      const value = Reflect.get(target, prop, target) as unknown;
      // methods run on the real client (ioredis keeps its state on `this`)
      return typeof value === 'function' && prop !== 'constructor' ? value.bind(target) : value;
    },
  });
}

/** What the adapter publishes with. */
export const PUBLISHER_COMMANDS = ['publish'] as const;
/** What the adapter subscribes with; ioredis re-subscribes by itself after a reconnect. */
export const SUBSCRIBER_COMMANDS = ['subscribe', 'psubscribe', 'unsubscribe', 'punsubscribe'] as const;
