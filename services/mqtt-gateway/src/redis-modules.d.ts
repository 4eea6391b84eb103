// aedes-persistence-redis ships no types: only what src/cluster.ts uses (aedes takes it as `any`).
declare module 'aedes-persistence-redis' {
  import type { Redis } from 'ioredis';

  namespace aedesPersistenceRedis {
    interface Persistence {
      /** Without a callback: a promise (unsubscribes from the broker, disconnects `conn`). */
      destroy(): Promise<void>;
    }
  }
  function aedesPersistenceRedis(opts: { conn: Redis; maxSessionDelivery?: number }): aedesPersistenceRedis.Persistence;
  export = aedesPersistenceRedis;
}
