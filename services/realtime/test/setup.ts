import type { Bus } from '@telemetry/bus';
import { createTestStore, type TestStore } from '@telemetry/testing';
import { type Instance, seedWorld, startInstance, type World } from './fixtures.js';

// Apart from fixtures.ts because it imports @telemetry/testing, which the bench (through bench-deps.ts) must not.

/** A fresh embedded store with fixtures' world in it. */
export async function seededStore(): Promise<{ db: TestStore; w: World }> {
  const db = await createTestStore('embedded');
  try {
    return { db, w: await seedWorld(db.store) };
  } catch (err) {
    await db.drop();
    throw err;
  }
}

export interface Gateway {
  db: TestStore;
  w: World;
  bus: Bus;
  gw: Instance;
}

/** A seeded store, the bus `makeBus` builds once the store is ready, and one gateway on both. */
export async function startGateway(makeBus: () => Bus): Promise<Gateway> {
  const { db, w } = await seededStore();
  let bus: Bus | undefined;
  try {
    bus = makeBus();
    return { db, w, bus, gw: await startInstance({ bus, store: db.store }) };
  } catch (err) {
    await stopGateway({ bus, db });
    throw err;
  }
}

/** Closes what startGateway started, in reverse; a part that is missing (a setup that failed) is skipped. */
export async function stopGateway(g: Partial<Gateway>): Promise<void> {
  await g.gw?.realtime.close();
  await g.bus?.close();
  await g.db?.drop();
}
