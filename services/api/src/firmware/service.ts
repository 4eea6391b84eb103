import { createHash } from 'node:crypto';
import type { Principal } from '@telemetry/auth';
import type { CommandStore } from '@telemetry/commands';
import { AppError, DeviceCommandV1, encodeMessage } from '@telemetry/contracts';
import type { Store } from '@telemetry/store';
import { audit } from '../audit.js';
import { auditRow } from '../http/audited.js';
import type { Publisher } from '../publish.js';
import {
  CHUNK_BYTES,
  getImage,
  getRollout,
  type ImageRow,
  insertChunk,
  insertImage,
  insertRollout,
  insertRolloutDevice,
  openRolloutsOf,
  presentImage,
  type RolloutRow,
  rolloutDevices,
  targetDevices,
} from './repository.js';

/** Devices one rollout may name: each gets a command and a row in one transaction. */
export const MAX_ROLLOUT_DEVICES = 1000;
const STATES = ['pending', 'notified', 'downloading', 'installing', 'updated', 'failed'] as const;

export interface NewImage {
  /** Resolved by the route (writeTenant) before the body is read. */
  tenantId: string;
  deviceType: string;
  version: string;
  /** The checksum the uploader computed: the upload is refused when the bytes do not match it. */
  sha256?: string;
  notes: string;
  data: Buffer;
}

/** The path devices download a rollout's image from (with their token), relative to the API. */
const downloadPath = (rolloutId: string) => `/api/device/firmware/image?rolloutId=${rolloutId}`;

/**
 * Firmware images and rollouts (#18). A rollout is announced to each device as a
 * `firmware_update` command (version, url, sha256, size): the command mechanism already delivers
 * once per id at QoS 1 over MQTT, survives restarts, never after its ttl, and reaches HTTP-only
 * firmware by the long poll. A topic of our own would have had to rebuild all of that.
 */
export function createFirmwareService(deps: {
  store: Store;
  publish: Publisher;
  commands: CommandStore;
  commandsTopic: string;
  /** PUBLIC_URL: absolute download URLs; without it the device resolves the path against its API. */
  publicUrl: string | undefined;
}) {
  const { store, publish } = deps;

  function presentRollout(r: RolloutRow) {
    const summary: Record<string, number> = Object.fromEntries(STATES.map((s) => [s, r.summary?.[s] ?? 0]));
    const total = Object.values(summary).reduce((a, b) => a + b, 0);
    return {
      id: r.id,
      tenantId: r.tenant_id,
      imageId: r.image_id,
      deviceType: r.device_type,
      version: r.version,
      sha256: r.sha256,
      size: Number(r.size),
      expiresAt: r.expires_at.toISOString(),
      createdBy: r.created_by,
      createdAt: r.created_at.toISOString(),
      status: !r.open ? 'done' : r.expired ? 'expired' : 'active',
      summary: { ...summary, total },
    };
  }

  return {
    presentRollout,

    async upload(p: Principal, i: NewImage) {
      const { tenantId } = i;
      const sha256 = createHash('sha256').update(i.data).digest('hex');
      if (i.sha256 && i.sha256.toLowerCase() !== sha256)
        throw new AppError('VALIDATION_FAILED', `sha256 mismatch: the upload hashes to ${sha256}, not ${i.sha256}`);
      if (i.data.length === 0) throw new AppError('VALIDATION_FAILED', 'the firmware image is empty');
      // the data is in memory already: the transaction holds the (possibly only) DB session briefly
      return store.withTransaction(async (client) => {
        const row = await insertImage(client, {
          tenantId,
          deviceType: i.deviceType,
          version: i.version,
          size: i.data.length,
          sha256,
          notes: i.notes,
          createdBy: p.userId,
        });
        if (!row)
          throw new AppError('CONFLICT', `version ${i.version} of device type ${i.deviceType} is uploaded already`);
        for (let seq = 0; seq * CHUNK_BYTES < i.data.length; seq++) {
          await insertChunk(client, row.id, seq, i.data.subarray(seq * CHUNK_BYTES, (seq + 1) * CHUNK_BYTES));
        }
        await auditRow(client, p, 'upload', 'firmware_image', row, {
          deviceType: row.device_type,
          version: row.version,
          size: i.data.length,
          sha256,
        });
        return presentImage(row);
      });
    },

    async remove(p: Principal, id: string): Promise<void> {
      await store.withTransaction(async (client) => {
        const row = await getImage(client, p, id);
        const open = await openRolloutsOf(client, row.id);
        if (open > 0)
          throw new AppError('CONFLICT', `firmware ${row.version} is being rolled out (${open} open rollout(s))`);
        await client.query('DELETE FROM firmware_images WHERE id = $1', [row.id]);
        await auditRow(client, p, 'delete', 'firmware_image', row, {
          deviceType: row.device_type,
          version: row.version,
        });
      });
    },

    async createRollout(p: Principal, r: { imageId: string; deviceIds?: string[]; ttlS: number }) {
      const image: ImageRow = await getImage(store.pool, p, r.imageId);
      const devices = await targetDevices(
        store.pool,
        image.tenant_id,
        image.device_type,
        r.deviceIds,
        MAX_ROLLOUT_DEVICES + 1,
      );
      if (devices.length > MAX_ROLLOUT_DEVICES)
        throw new AppError('VALIDATION_FAILED', `a rollout takes at most ${MAX_ROLLOUT_DEVICES} devices: name them`);
      if (r.deviceIds) {
        const found = new Set(devices.map((d) => d.id));
        const missing = r.deviceIds.filter((d) => !found.has(d));
        // another tenant's device is as missing as one that does not exist (no existence oracle)
        if (missing.length > 0)
          throw new AppError(
            'NOT_FOUND',
            `not devices of type ${image.device_type} in this tenant: ${missing.slice(0, 10).join(', ')}`,
          );
      }
      if (devices.length === 0)
        throw new AppError('VALIDATION_FAILED', `no device of type ${image.device_type} to roll out to`);
      const id = await publish.inTransaction(async (client, emit) => {
        const rollout = await insertRollout(client, {
          tenantId: image.tenant_id,
          image,
          ttlS: r.ttlS,
          createdBy: p.userId,
        });
        const url = `${deps.publicUrl?.replace(/\/$/, '') ?? ''}${downloadPath(rollout.id)}`;
        for (const d of devices) {
          const command = await deps.commands.create(client, {
            tenantId: image.tenant_id,
            deviceId: d.id,
            name: 'firmware_update',
            params: {
              rolloutId: rollout.id,
              version: image.version,
              url,
              sha256: image.sha256,
              size: Number(image.size),
            },
            ttlS: r.ttlS,
            expectReply: false,
            createdBy: p.userId,
          });
          await insertRolloutDevice(client, {
            rolloutId: rollout.id,
            deviceId: d.id,
            tenantId: image.tenant_id,
            commandId: command.id,
            fromVersion: d.firmware,
          });
          emit({
            topic: deps.commandsTopic,
            key: d.id,
            payload: encodeMessage(DeviceCommandV1, {
              v: 1,
              tenantId: image.tenant_id,
              deviceId: d.id,
              commandId: command.id,
              at: new Date().toISOString(),
            }).toString(),
          });
        }
        await audit(client, p, {
          action: 'rollout',
          entity: 'firmware_image',
          entityId: image.id,
          tenantId: image.tenant_id,
          details: { rolloutId: rollout.id, version: image.version, devices: devices.length, ttlS: r.ttlS },
        });
        return rollout.id;
      });
      return presentRollout(await getRollout(store.pool, p, id));
    },

    async rollout(p: Principal, id: string, limit: number) {
      const r = await getRollout(store.pool, p, id);
      const devices = await rolloutDevices(store.pool, r.id, limit);
      return {
        ...presentRollout(r),
        devices: devices.map((d) => ({
          deviceId: d.device_id,
          state: d.state,
          fromVersion: d.from_version,
          bytes: Number(d.bytes),
          downloads: d.downloads,
          error: d.error,
          commandId: d.command_id,
          updatedAt: d.updated_at.toISOString(),
          finishedAt: d.finished_at?.toISOString() ?? null,
        })),
      };
    },
  };
}

export type FirmwareService = ReturnType<typeof createFirmwareService>;
