/**
 * The API's resources as the dashboard uses them: the answers are the response schemas of
 * @telemetry/api-contract (types only: no zod in the bundle), never hand copies (#17). What is
 * written here is derived from them, or describes a request.
 */
import type { Alert as ContractAlert, Task as ContractTask, DeviceType, Rule, Tenant } from '@telemetry/api-contract';

export type {
  AlertDetail,
  Asset,
  Assignment,
  AuditEntry,
  BulkOutcome,
  Command,
  CommandList,
  CreatedUser,
  Dashboard,
  DashboardSummary,
  Device,
  DeviceEvent,
  DevicePage,
  DeviceType,
  LatestValue,
  LoginResult,
  Page,
  PasswordReset,
  Recipient,
  RegisteredDevice,
  Rejection,
  RejectionSummary,
  RotatedToken,
  Rule,
  RuleTestResult,
  SeriesPoint,
  SeriesPoints,
  SessionTokens,
  Shadow,
  Site,
  Tenant,
  User,
} from '@telemetry/api-contract';

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
export type MetricDisplay = DeviceType['metrics'][string];
