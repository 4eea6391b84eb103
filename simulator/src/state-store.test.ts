import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateEvents } from './generator.js';
import { createStateStore, type DeviceStateFile } from './state-store.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('state store', () => {
  it('keeps a device sequence, counters and pending events across restarts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sim-state-'));
    dirs.push(dir);
    const file: DeviceStateFile = {
      v: 1,
      mac: '02:53:00:00:00:01',
      deviceId: 'esp32-001',
      profile: 'ozone',
      next: 42,
      clean: true,
      savedAtSeq: 42,
      state: { counter: 1234 },
      pending: generateEvents('ozone', 1, 2, { deviceId: 'esp32-001', firstSeq: 40 }),
    };
    await (await createStateStore(dir)).save(file);
    // A new process: a new store on the same dir.
    const again = await createStateStore(dir);
    expect(await again.load(file.mac)).toEqual(file);
    expect(await again.load('02:53:00:00:00:02')).toBeUndefined();
    // Atomic writes leave no temporary files behind.
    expect(await readdir(dir)).toEqual(['02-53-00-00-00-01.json']);
  });
});
