import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SimMessage } from './generator.js';
import type { ProfileName } from './profiles/index.js';

/**
 * What a virtual device keeps across restarts, one JSON file per MAC in the state dir, as an
 * ESP32 keeps it in NVS/SD: its event sequence, its profile counters, and what it had not got
 * acknowledged yet (replayed at the next start, with the original ts).
 *
 * `next` is always a sequence number never used before. While running, the device reserves a
 * block ahead (clean=false, next = end of the block); a clean stop writes the exact next. After a
 * crash the device resumes past the block: a gap in the ids, never a reused id (a reused id would
 * be deduplicated away, i.e. lost).
 */
export interface DeviceStateFile {
  v: 1;
  mac: string;
  deviceId: string;
  profile: ProfileName;
  next: number;
  clean: boolean;
  /** Sequence number the profile state was saved at (for resume after an unclean stop). */
  savedAtSeq: number;
  state: object;
  pending: SimMessage[];
}

export interface StateStore {
  readonly dir: string;
  load(mac: string): Promise<DeviceStateFile | undefined>;
  save(file: DeviceStateFile): Promise<void>;
}

export async function createStateStore(dir: string): Promise<StateStore> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const pathOf = (mac: string) => join(dir, `${mac.replace(/[^0-9A-Za-z]/g, '-')}.json`);
  let tmpCounter = 0;
  return {
    dir,
    async load(mac) {
      let text: string;
      try {
        text = await readFile(pathOf(mac), 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
      const parsed = JSON.parse(text) as DeviceStateFile;
      if (parsed.v !== 1 || !Number.isInteger(parsed.next))
        throw new Error(`state file for ${mac} is not a v1 device state`);
      return parsed;
    },
    async save(file) {
      // Write then rename: a crash mid-write leaves the previous file, never a torn one.
      const target = pathOf(file.mac);
      const tmp = `${target}.${process.pid}.${tmpCounter++}.tmp`;
      // device tokens: owner-only (#20)
      await writeFile(tmp, JSON.stringify(file), { mode: 0o600 });
      await rename(tmp, target);
    },
  };
}
