/**
 * The API's resources as the dashboard uses them. Those services/api describes with a response
 * schema come from @telemetry/api-contract (types only: no zod in the bundle); the others are
 * still hand-written here until their resource has a schema (#17).
 */
import type { Alert as ContractAlert, Task as ContractTask, Rule, Tenant } from '@telemetry/api-contract';

export type {
  AlertDetail,
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
  Recipient,
  Rejection,
  Rule,
  RuleTestResult,
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

export type AlertState = ContractAlert['state'];
export type Severity = ContractAlert['severity'];

/** The names and zone an alert is read with: absent on one built from a live update until it is read again. */
type AlertExtras =
  | 'deviceName'
  | 'deviceType'
  | 'assetName'
  | 'siteId'
  | 'siteName'
  | 'timezone'
  | 'historical'
  | 'resolution'
  | 'acknowledgedByName'
  | 'resolvedByName'
  | 'assigneeId'
  | 'assigneeName';
export type Alert = Omit<ContractAlert, AlertExtras> & Partial<Pick<ContractAlert, AlertExtras>>;

export type TaskStatus = ContractTask['status'];
/** As for alerts: a task built from a live update lacks what only a read gives. */
type TaskCore =
  | 'id'
  | 'tenantId'
  | 'title'
  | 'description'
  | 'status'
  | 'dueAt'
  | 'deviceId'
  | 'assetId'
  | 'assignees'
  | 'createdAt'
  | 'startedAt'
  | 'finishedAt';
export type Task = Pick<ContractTask, TaskCore> & Partial<Omit<ContractTask, TaskCore>>;

export type RuleKind = Rule['kind'];

/** How a device type's metric reads to people (#21). */
export type MetricDisplay = import('@telemetry/api-contract').DeviceType['metrics'][string];
