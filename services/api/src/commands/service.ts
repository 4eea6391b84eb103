import type { Principal } from '@telemetry/auth';
import type { Command, CommandStore } from '@telemetry/commands';
import { AppError, DeviceCommandV1, encodeMessage } from '@telemetry/contracts';
import { audit } from '../audit.js';
import type { DeviceViews } from '../context.js';
import type { Publisher } from '../publish.js';

export interface SendCommand {
  name: string;
  params: Record<string, unknown>;
  ttlS: number;
  expectReply: boolean;
}

const FINAL = new Set(['replied', 'failed', 'expired']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Commands to devices (#18): created in the store with their audit entry and a device.commands.v1
 * announcement in one transaction (the outbox publishes it after COMMIT); the gateway holding the
 * device's connection delivers it, and HTTP-only firmware fetches it with the long-poll route.
 */
export function createCommandService(deps: {
  store: CommandStore;
  publish: Publisher;
  devices: DeviceViews;
  commandsTopic: string;
}) {
  const { store, publish } = deps;

  /** The device the caller may command (404 for another tenant's), with its tenant. */
  async function deviceOf(p: Principal, deviceId: string): Promise<{ id: string; tenantId: string }> {
    const d = await deps.devices.get(p, deviceId);
    // a pre-registered device gets its commands once it connects; a revoked one never connects again
    if (!d.tenant_id || d.state === 'revoked')
      throw new AppError('CONFLICT', `device ${deviceId} is ${d.state}: it takes no commands`);
    return { id: d.id, tenantId: d.tenant_id };
  }

  return {
    async send(p: Principal, deviceId: string, c: SendCommand): Promise<Command> {
      const device = await deviceOf(p, deviceId);
      return publish.inTransaction(async (client, emit) => {
        const command = await store.create(client, {
          tenantId: device.tenantId,
          deviceId: device.id,
          name: c.name,
          params: c.params,
          ttlS: c.ttlS,
          expectReply: c.expectReply,
          createdBy: p.userId,
        });
        await audit(client, p, {
          action: 'command',
          entity: 'device',
          entityId: device.id,
          tenantId: device.tenantId,
          details: { commandId: command.id, name: c.name, ttlS: c.ttlS },
        });
        emit({
          topic: deps.commandsTopic,
          key: device.id,
          payload: encodeMessage(DeviceCommandV1, {
            v: 1,
            tenantId: device.tenantId,
            deviceId: device.id,
            commandId: command.id,
            at: new Date().toISOString(),
          }).toString(),
        });
        return command;
      });
    },

    /** Polls the store until the command is final or `waitMs` passed (bounded: one indexed query per step). */
    async await(p: Principal, command: Command, waitMs: number): Promise<Command> {
      const deadline = Date.now() + waitMs;
      let current = command;
      while (!FINAL.has(current.status) && Date.now() < deadline) {
        await sleep(Math.min(250, Math.max(0, deadline - Date.now())));
        current = (await store.get(p.tenantId, command.deviceId, command.id)) ?? current;
      }
      return current;
    },

    async list(p: Principal, deviceId: string, limit: number): Promise<Command[]> {
      await deps.devices.get(p, deviceId);
      return store.list(p.tenantId, deviceId, limit);
    },

    async get(p: Principal, deviceId: string, commandId: string): Promise<Command> {
      await deps.devices.get(p, deviceId);
      const c = await store.get(p.tenantId, deviceId, commandId);
      if (!c) throw new AppError('NOT_FOUND', 'command not found');
      return c;
    },
  };
}

export type CommandService = ReturnType<typeof createCommandService>;
