import { page, Recipient } from '@telemetry/api-contract';
import { z } from 'zod';
import { audit } from '../audit.js';
import type { ApiContext } from '../context.js';
import { auditRow, deleteAudited } from '../http/audited.js';
import { splitPage } from '../http/pagination.js';
import type { RouteTable } from '../http/route-table.js';
import { id, pageQuery } from '../http/validation.js';
import { writeTenant } from '../scope.js';
import {
  assertRecipientTarget,
  insertRecipient,
  listRecipients,
  loadRecipient,
  type RecipientRow,
  updateRecipient,
} from './repository.js';

const present = (r: RecipientRow) => ({
  id: r.id,
  tenantId: r.tenant_id,
  assetId: r.asset_id,
  ruleId: r.rule_id,
  email: r.email,
  name: r.name,
  cooldownS: r.cooldown_s,
  createdAt: r.created_at.toISOString(),
});

const Params = z.object({ recipientId: id });
const cooldownS = z
  .number()
  .int()
  .min(0)
  .max(86_400 * 7);

/** Who is emailed about alerts: per asset (inherited by its subtree) or per rule. */
export function registerRecipientRoutes(table: RouteTable, ctx: ApiContext): void {
  const { store } = ctx;

  table.add({
    method: 'get',
    path: '/api/recipients',
    summary: 'Notification recipients',
    tags: ['rules'],
    access: 'rules:read',
    response: page(Recipient),
    query: z.object({ ...pageQuery, assetId: id.optional(), ruleId: id.optional(), tenantId: id.optional() }),
    handler: ({ query, principal }) => listRecipients(store.pool, principal, ...splitPage(query), present),
  });

  table.add({
    method: 'post',
    path: '/api/recipients',
    summary: 'Add a notification recipient for an asset (and its subtree) or a rule',
    tags: ['rules'],
    access: 'recipients:write',
    response: Recipient,
    body: z
      .object({
        email: z.email().max(254),
        name: z.string().max(200).optional(),
        assetId: id.optional(),
        ruleId: id.optional(),
        cooldownS: cooldownS.optional(),
        tenantId: id.optional(),
      })
      .refine((b) => (b.assetId === undefined) !== (b.ruleId === undefined), 'give exactly one of assetId and ruleId'),
    example: { email: 'facilities@example.com', name: 'Facilities', assetId: '00000000-0000-4000-8000-000000000000' },
    status: 201,
    handler: ({ body, principal }) =>
      store.withTransaction(async (client) => {
        const tenantId = writeTenant(principal, body.tenantId);
        await assertRecipientTarget(client, tenantId, body);
        const row = await insertRecipient(client, {
          tenantId,
          assetId: body.assetId ?? null,
          ruleId: body.ruleId ?? null,
          email: body.email,
          name: body.name ?? '',
          cooldownS: body.cooldownS ?? 900,
        });
        await audit(client, principal, {
          action: 'create',
          entity: 'recipient',
          entityId: row.id,
          tenantId,
          details: { email: body.email },
        });
        return present(row);
      }),
  });

  table.add({
    method: 'get',
    path: '/api/recipients/:recipientId',
    summary: 'One notification recipient',
    tags: ['rules'],
    access: 'rules:read',
    response: Recipient,
    params: Params,
    handler: async ({ params, principal }) => present(await loadRecipient(store.pool, principal, params.recipientId)),
  });

  table.add({
    method: 'patch',
    path: '/api/recipients/:recipientId',
    summary: 'Change a recipient’s email, name or cooldown',
    tags: ['rules'],
    access: 'recipients:write',
    response: Recipient,
    params: Params,
    body: z.object({
      email: z.email().max(254).optional(),
      name: z.string().max(200).optional(),
      cooldownS: cooldownS.optional(),
    }),
    example: { cooldownS: 1800 },
    handler: ({ params, body, principal }) =>
      store.withTransaction(async (client) => {
        const current = await loadRecipient(client, principal, params.recipientId);
        const row = await updateRecipient(client, current.id, body);
        await auditRow(client, principal, 'update', 'recipient', current, body);
        return present(row);
      }),
  });

  table.add({
    method: 'delete',
    path: '/api/recipients/:recipientId',
    summary: 'Remove a recipient',
    tags: ['rules'],
    access: 'recipients:write',
    params: Params,
    status: 204,
    handler: ({ params, principal }) =>
      deleteAudited(store, principal, {
        entity: 'recipient',
        table: 'notification_recipients',
        load: (db) => loadRecipient(db, principal, params.recipientId),
        details: (recipient) => ({ email: recipient.email }),
      }),
  });
}
