/**
 * The API's resources as the dashboard uses them. Those services/api describes with a response
 * schema come from @telemetry/api-contract (types only: no zod in the bundle); the others are
 * still hand-written here until their resource has a schema (#17).
 */
import type { Tenant } from '@telemetry/api-contract';

export type {
  Asset,
  Assignment,
  AuditEntry,
  BulkOutcome,
  Dashboard,
  DashboardSummary,
  Device,
  DeviceEvent,
  DevicePage,
  DeviceType,
  Rejection,
  SeriesPoint,
  Site,
  Tenant,
  User,
} from '@telemetry/api-contract';

export interface Page<T> {
  items: T[];
  nextCursor?: string | null;
  total?: number;
}

export type TenantPatch = Partial<Pick<Tenant, 'name' | 'timezone' | 'settings' | 'externalId'>>;

/** Query of the fleet table (services/api/src/devices/schemas.ts DeviceListQuery). */
export interface DeviceQuery {
  status?: 'all' | 'online' | 'offline' | 'pending' | 'unbound';
  state?: 'pending' | 'active' | 'revoked';
  siteId?: string;
  assetId?: string;
  deviceType?: string;
  q?: string;
  sort?: 'name' | 'id' | 'type' | 'created';
  dir?: 'asc' | 'desc';
  limit?: number;
  cursor?: string;
  count?: boolean;
}

export interface LatestValue {
  v: number;
  /** epoch ms, device time */
  t: number;
}

export type AlertState = 'open' | 'acknowledged' | 'resolved';
export type Severity = 'info' | 'warning' | 'critical';

export interface Alert {
  id: string;
  tenantId: string;
  ruleId: string | null;
  deviceId: string | null;
  assetId: string | null;
  kind: 'threshold' | 'offline' | 'maintenance' | 'manual' | 'invalid_data';
  severity: Severity;
  state: AlertState;
  metric: string | null;
  value: number | null;
  threshold: number | null;
  message: string;
  openedAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
  /** Read with the alert (GET /api/alerts); absent on a live update until the list reloads. */
  deviceName?: string | null;
  deviceType?: string | null;
  assetName?: string | null;
  siteId?: string | null;
  siteName?: string | null;
  /** The site's zone (the tenant's when there is no site): the one zone the alert's times are shown in. */
  timezone?: string;
  resolution?: string | null;
  acknowledgedByName?: string | null;
  resolvedByName?: string | null;
  assigneeId?: string | null;
  assigneeName?: string | null;
}

/** GET /api/alerts/{id}: the alert with its history. */
export interface AlertDetail extends Alert {
  acknowledgementNote: string | null;
  events: { change: string; actorId: string | null; actorName: string | null; note: string | null; at: string }[];
}

export type TaskStatus = 'not_started' | 'in_progress' | 'finished';

export interface Task {
  id: string;
  tenantId: string;
  title: string;
  description: string;
  status: TaskStatus;
  dueAt: string | null;
  deviceId: string | null;
  assetId: string | null;
  assignees: string[];
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  deviceName?: string | null;
  assetName?: string | null;
  siteId?: string | null;
  /** The site's zone, else the tenant's. */
  timezone?: string;
}

export type RuleKind = 'threshold' | 'offline' | 'maintenance' | 'invalid_data';

export interface Rule {
  id: string;
  tenantId: string;
  name: string;
  kind: RuleKind;
  deviceId: string | null;
  assetType: string | null;
  assetId: string | null;
  metric: string | null;
  operator: '>' | '>=' | '<' | '<=' | 'outside' | null;
  threshold: number | null;
  thresholdHigh: number | null;
  clearThreshold: number | null;
  clearHigh: number | null;
  minDurationS: number;
  offlineFactor: number;
  serviceInterval: number | null;
  taskDueDays: number;
  severity: Severity;
  enabled: boolean;
  reminderS: number;
}

/** POST /api/rules/test: when a draft rule would have fired over a device's recent data. */
export interface RuleTestResult {
  deviceId: string;
  timezone: string;
  from: string;
  to: string;
  samples: number;
  evaluated: number;
  truncated: boolean;
  wouldFire: boolean;
  episodes: {
    openedAt: string;
    resolvedAt: string | null;
    value: number | null;
    threshold: number | null;
    message: string;
    task: string | null;
  }[];
}

export interface Recipient {
  id: string;
  assetId: string | null;
  ruleId: string | null;
  email: string;
  name: string;
  cooldownS: number;
}

/** How a device type's metric reads to people (#21). */
export type MetricDisplay = import('@telemetry/api-contract').DeviceType['metrics'][string];
