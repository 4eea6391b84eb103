import type { Logger } from '@telemetry/observability';
import type { SimMessage } from './generator.js';
import { getProfile, type ProfileName } from './profiles/index.js';
import type { StateStore } from './state-store.js';

/** What the device hands over to be saved: read when the save is made. */
export interface DeviceSnapshot {
  /** Undefined while the device has no identity yet. */
  deviceId: string | undefined;
  /** The sequence number the next event will carry. */
  nextSeq: number;
  state: object | undefined;
  pending: SimMessage[];
}

/**
 * A device's non-volatile memory (see state-store.ts): what it restored at start, the block of
 * sequence numbers reserved on disk ahead of use, and serialized saves.
 */
export interface DeviceMemory {
  /** Restores from the state dir; an unclean file moves the profile's counters forward. */
  load(): Promise<void>;
  /** The first sequence number to use: never used before. */
  readonly firstSeq: number;
  readonly restored: { deviceId: string | undefined; state: object | undefined; pending: SimMessage[] };
  /** Makes sure `count` more numbers from snapshot.nextSeq are reserved on disk before they are used. */
  reserve(count: number, snapshot: () => DeviceSnapshot): Promise<void>;
  /** The clean stop: the exact next sequence number, the state, the pending events. */
  saveClean(snapshot: DeviceSnapshot): Promise<void>;
}

export function createDeviceMemory(o: {
  store: StateStore;
  mac: string;
  profile: ProfileName;
  seqBlock: number;
  logger: Logger;
}): DeviceMemory {
  let firstSeq = 1;
  let reservedUntil = 1;
  let hadFile = false;
  let saving: Promise<void> = Promise.resolve();
  const restored: DeviceMemory['restored'] = { deviceId: undefined, state: undefined, pending: [] };

  function save(clean: boolean, next: number, s: DeviceSnapshot): Promise<void> {
    // A device that never got an identity and had no state has nothing to keep.
    if (s.deviceId === undefined && !hadFile) return saving;
    const file = {
      v: 1 as const,
      mac: o.mac,
      deviceId: s.deviceId ?? restored.deviceId ?? '',
      profile: o.profile,
      next,
      clean,
      savedAtSeq: s.nextSeq,
      state: structuredClone(s.state ?? restored.state ?? {}),
      pending: s.deviceId === undefined ? restored.pending : s.pending,
    };
    // Serialized, so a block reservation never lands after the clean stop.
    saving = saving
      .then(() => o.store.save(file))
      .catch((err) => o.logger.error({ err }, 'saving device state failed'));
    return saving;
  }

  return {
    get firstSeq() {
      return firstSeq;
    },
    restored,
    async load() {
      const file = await o.store.load(o.mac);
      if (!file) return;
      hadFile = true;
      firstSeq = file.next;
      reservedUntil = file.next;
      restored.deviceId = file.deviceId;
      if (file.profile !== o.profile) return; // another profile now: only the sequence carries over
      restored.state = file.state;
      restored.pending = file.pending ?? [];
      if (!file.clean) getProfile(o.profile).resume(restored.state, file.next - file.savedAtSeq);
    },
    async reserve(count, snapshot) {
      const s = snapshot();
      if (s.nextSeq + count <= reservedUntil) return;
      reservedUntil = s.nextSeq + Math.max(count, o.seqBlock);
      await save(false, reservedUntil, s);
    },
    saveClean: (s) => save(true, s.nextSeq, s),
  };
}
