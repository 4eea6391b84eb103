import { randomUUID } from 'node:crypto';
import type { Principal } from '@telemetry/auth';
import type { AssetRow } from '../../assets/repository.js';
import { getAsset } from '../../assets/service.js';
import { audit } from '../../audit.js';
import type { ApiContext } from '../../context.js';

/** The level the seed's Django model assumed when a dispenser has none of its own. */
export const DEFAULT_LOW_LEVEL = 20;

/**
 * The dispenser seed's level update (`POST /dispensers/<id>/update-level/`): the level goes through
 * the pipeline as a reading of the dispenser's device, so the rules raise the low-level alert (and
 * the notifier mails it) exactly as for a device reporting over MQTT.
 */
export function createDispenserService(ctx: ApiContext) {
  const { store, publish } = ctx;

  /**
   * The device reporting for a dispenser. The seed's dispensers had none (its simulator posted
   * levels for them), so one without a bound device gets its own virtual device, bound to it,
   * that can never connect (no MAC, proof handshake, no claim code shown): the level is its reading.
   */
  async function reportingDevice(p: Principal, dispenser: AssetRow): Promise<string> {
    const bound = await store.pool.query<{ device_id: string }>(
      'SELECT device_id FROM device_bindings WHERE asset_id = $1 AND tenant_id = $2 AND unbound_at IS NULL ORDER BY bound_at DESC LIMIT 1',
      [dispenser.id, dispenser.tenant_id],
    );
    const found = bound.rows[0]?.device_id;
    if (found) return found;
    const virtual = `dispenser-${dispenser.id}`;
    const existing = await store.pool.query('SELECT 1 FROM devices WHERE id = $1 AND tenant_id = $2', [
      virtual,
      dispenser.tenant_id,
    ]);
    if (!existing.rowCount) {
      await ctx.devices.lifecycle.preRegister({
        tenantId: dispenser.tenant_id,
        assetId: dispenser.id,
        deviceId: virtual,
        name: `${dispenser.name} (level reports)`,
        deviceType: 'dispenser',
        actorId: p.userId,
        handshakePolicy: 'proof',
      });
    }
    return virtual;
  }

  return {
    async reportLevel(p: Principal, dispenserId: string, level: number) {
      const dispenser = await getAsset(store.pool, p, dispenserId, 'dispenser');
      const device = await reportingDevice(p, dispenser);
      const now = new Date(ctx.now()).toISOString();
      const eventId = `level-${randomUUID()}`;
      // durable on the bus before we answer (memory bus: stored by the pipeline; Kafka: acks=all)
      await publish.publishRaw({
        v: 1,
        tenantId: dispenser.tenant_id,
        deviceId: device,
        eventId,
        kind: 'telemetry',
        ts: now,
        receivedAt: now,
        source: 'http',
        metrics: { level },
        attributes: { reported_by: p.userId },
        trace: { gateway: Date.now() },
      });
      await store.pool.query(
        `UPDATE assets SET attributes = attributes || jsonb_build_object('current_level', $2::float8), updated_at = now() WHERE id = $1`,
        [dispenser.id, level],
      );
      await audit(store.pool, p, {
        action: 'update_level',
        entity: 'asset',
        entityId: dispenser.id,
        tenantId: dispenser.tenant_id,
        details: { level, eventId },
      });
      const own = dispenser.attributes.low_level_threshold;
      const threshold = typeof own === 'number' ? own : DEFAULT_LOW_LEVEL;
      return { id: dispenser.id, device_id: device, event_id: eventId, current_level: level, low: level < threshold };
    },
  };
}
