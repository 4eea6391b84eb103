import { page, Rule, RuleTestResult } from '@telemetry/api-contract';
import { z } from 'zod';
import { assetType } from '../assets/service.js';
import { RuleCommand } from '../commands/rule-command.js';
import type { ApiContext } from '../context.js';
import { splitPage } from '../http/pagination.js';
import type { RouteTable } from '../http/route-table.js';
import { deviceId, id, pageQuery, qBool } from '../http/validation.js';
import { listRules, loadRule } from './repository.js';
import { createRuleService, presentRule, RULE_KINDS } from './service.js';

const RuleFields = z.object({
  name: z.string().min(1).max(200),
  kind: z.enum(RULE_KINDS),
  deviceId: deviceId.nullable().optional(),
  assetType: assetType.nullable().optional(),
  assetId: id.nullable().optional(),
  metric: z.string().min(1).max(64).nullable().optional(),
  operator: z.enum(['>', '>=', '<', '<=', 'outside']).nullable().optional(),
  threshold: z.number().finite().nullable().optional(),
  thresholdHigh: z.number().finite().nullable().optional(),
  clearThreshold: z.number().finite().nullable().optional(),
  clearHigh: z.number().finite().nullable().optional(),
  minDurationS: z
    .number()
    .int()
    .min(0)
    .max(86_400 * 30)
    .optional(),
  offlineFactor: z.number().positive().max(1000).optional(),
  serviceInterval: z.number().positive().nullable().optional(),
  taskDueDays: z.number().int().min(0).max(3650).optional(),
  severity: z.enum(['info', 'warning', 'critical']).optional(),
  preset: z.string().max(64).nullable().optional(),
  enabled: z.boolean().optional(),
  reminderS: z
    .number()
    .int()
    .min(0)
    .max(86_400 * 30)
    .optional(),
  /** Sent to the rule's device when it fires, once per episode (#18). */
  command: RuleCommand.nullable().optional(),
});

const RuleParams = z.object({ ruleId: id });

/** Transport of the rules resource: the route specs; rules in service.ts, SQL in repository.ts. */
export function registerRuleRoutes(table: RouteTable, ctx: ApiContext): void {
  const { store } = ctx;
  const rules = createRuleService({ publish: ctx.publish, now: ctx.now });

  table.add({
    method: 'get',
    path: '/api/rules',
    summary: 'Alert and maintenance rules',
    tags: ['rules'],
    access: 'rules:read',
    response: page(Rule),
    query: z.object({
      ...pageQuery,
      kind: z.enum(RULE_KINDS).optional(),
      enabled: qBool.optional(),
      deviceId: deviceId.optional(),
      tenantId: id.optional(),
    }),
    handler: ({ query, principal }) => listRules(store.pool, principal, ...splitPage(query), presentRule),
  });

  table.add({
    method: 'post',
    path: '/api/rules',
    summary: 'Create a rule (threshold with hysteresis and minimum duration, offline, maintenance, invalid data)',
    tags: ['rules'],
    access: 'rules:write',
    response: Rule,
    body: RuleFields.extend({ tenantId: id.optional() }),
    example: {
      name: 'Dispenser low level',
      kind: 'threshold',
      assetType: 'dispenser',
      metric: 'level',
      operator: '<',
      threshold: 20,
      clearThreshold: 25,
      severity: 'warning',
      preset: 'low_level',
    },
    status: 201,
    handler: ({ body, principal }) => {
      const { tenantId, ...rule } = body;
      return rules.create(principal, tenantId, rule);
    },
  });

  table.add({
    method: 'post',
    path: '/api/rules/test',
    summary:
      'Test a draft rule against a device’s recent stored data (at most 7 days, 5000 readings): when it would have fired and cleared; nothing is written',
    tags: ['rules'],
    access: 'rules:write',
    response: RuleTestResult,
    body: z.object({
      rule: RuleFields.omit({ deviceId: true, assetType: true, assetId: true }),
      deviceId,
      hours: z
        .number()
        .positive()
        .max(24 * 7)
        .default(24),
      tenantId: id.optional(),
    }),
    example: {
      rule: { name: 'Too warm', kind: 'threshold', metric: 'temperature', operator: '>', threshold: 30 },
      deviceId: 'dev-1',
      hours: 24,
    },
    handler: ({ body, principal }) =>
      rules.test(store.pool, principal, {
        tenantId: body.tenantId,
        deviceId: body.deviceId,
        hours: body.hours,
        rule: body.rule,
      }),
  });

  table.add({
    method: 'get',
    path: '/api/rules/:ruleId',
    summary: 'One rule',
    tags: ['rules'],
    access: 'rules:read',
    response: Rule,
    params: RuleParams,
    handler: async ({ params, principal }) => presentRule(await loadRule(store.pool, principal, params.ruleId)),
  });

  table.add({
    method: 'patch',
    path: '/api/rules/:ruleId',
    summary: 'Change a rule (the rules worker picks it up within its cache TTL); disabling it resolves its open alerts',
    tags: ['rules'],
    access: 'rules:write',
    response: Rule,
    params: RuleParams,
    body: RuleFields.partial(),
    example: { threshold: 15, enabled: true },
    handler: ({ params, body, principal }) => rules.update(principal, params.ruleId, body),
  });

  table.add({
    method: 'delete',
    path: '/api/rules/:ruleId',
    summary: 'Delete a rule: its open alerts are resolved; its alerts and tasks stay, without rule',
    tags: ['rules'],
    access: 'rules:write',
    params: RuleParams,
    status: 204,
    handler: ({ params, principal }) => rules.remove(principal, params.ruleId),
  });
}
