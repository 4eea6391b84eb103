import { hasPermission, type Principal } from '@telemetry/auth';
import { AppError, fromReading, type Reading } from '@telemetry/contracts';
import type { ApiContext } from '../../context.js';
import { seedTime } from './time.js';

/**
 * The aggregator seed's upload (`POST /api/device/create/` with a customer's JWT): each reading
 * goes through the pipeline like a device's (same normalization as /api/device/readings/, event
 * id derived from device and timestamp, so re-posting stores nothing twice).
 */
export function createAggregatorService(ctx: ApiContext) {
  const { store, devices: registry } = ctx;

  return {
    async upload(p: Principal, batch: Reading[]) {
      const tenantId = p.tenantId;
      if (!tenantId) throw new AppError('FORBIDDEN', 'readings belong to a tenant: sign in as one of its users');
      for (const customer of new Set(batch.flatMap((r) => (r.customer_id ? [r.customer_id] : [])))) {
        if (!(await registry.tenants.isTenantAlias(tenantId, customer)))
          throw new AppError('FORBIDDEN', `customer_id ${customer} is not your tenant`);
      }
      const ids = [...new Set(batch.map((r) => r.device_id))];
      const active = new Set(await registry.tenants.activeInTenant(tenantId, ids));
      const unknown = ids.filter((id) => !active.has(id));
      if (unknown.length > 0) {
        // The seed's sensors exist only as ids in the data. A manager/admin uploading registers
        // them as devices of the tenant (without credentials: they never connect themselves);
        // an id taken anywhere else (another tenant's, revoked) is refused, never adopted.
        if (!hasPermission(p.role, 'devices:write'))
          throw new AppError('FORBIDDEN', `not devices of this tenant: ${unknown.slice(0, 20).join(', ')}`);
        const { rows } = await store.pool.query<{ id: string }>('SELECT id FROM devices WHERE id = ANY($1::text[])', [
          unknown,
        ]);
        if (rows.length > 0)
          throw new AppError(
            'FORBIDDEN',
            `not devices of this tenant: ${rows
              .map((r) => r.id)
              .slice(0, 20)
              .join(', ')}`,
          );
        for (const deviceId of unknown) {
          await registry.lifecycle.preRegister({
            tenantId,
            assetId: null,
            deviceId,
            deviceType: 'reading',
            actorId: p.userId,
            handshakePolicy: 'proof',
          });
        }
      }
      const receivedAt = new Date(ctx.now()).toISOString();
      const out = [];
      for (const [i, r] of batch.entries()) {
        let e: ReturnType<typeof fromReading>;
        try {
          e = fromReading(r);
        } catch (err) {
          throw new AppError('VALIDATION_FAILED', `[${i}].timestamp: ${(err as Error).message}`, {
            details: { field: `body.${i}.timestamp` },
          });
        }
        const ts = e.ts ?? receivedAt;
        // durable on the bus before we answer, one reading after the other (order per device)
        await ctx.publish.publishRaw({
          v: 1,
          tenantId,
          deviceId: r.device_id,
          eventId: e.eventId,
          kind: e.kind,
          ts,
          receivedAt,
          source: 'http',
          metrics: e.metrics,
          attributes: { ...e.attributes, reported_by: p.userId },
          trace: { device: Date.parse(ts), gateway: Date.now() },
        });
        out.push({
          timestamp: seedTime(ts),
          reading: r.reading,
          device_id: r.device_id,
          customer_id: r.customer_id ?? null,
        });
      }
      return out;
    },
  };
}
