import type { Role } from '../lib/permissions.js';
import { download, http } from './http.js';
import type {
  Alert,
  AlertDetail,
  AlertState,
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
  DeviceQuery,
  DeviceType,
  Page,
  PasswordReset,
  Recipient,
  RegisteredDevice,
  Rejection,
  RejectionSummary,
  RotatedToken,
  Rule,
  RuleTestResult,
  SeriesPoints,
  Shadow,
  Site,
  Task,
  TaskStatus,
  Tenant,
  TenantPatch,
  User,
} from './types.js';

/**
 * Every REST call the dashboard makes, in one place: paths and shapes of services/api.
 */
const enc = encodeURIComponent;
const MAX = 500;

/** Walks a cursor-paginated list to the end (lists the UI shows whole: sites, assets, devices). */
async function all<T>(path: string, query: Record<string, string | number | undefined> = {}): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 50; i++) {
    const page = await http.get<Page<T>>(path, { ...query, limit: MAX, cursor });
    out.push(...page.items);
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  return out;
}

export const auth = {
  changePassword: (currentPassword: string, newPassword: string) =>
    http.post<void>('/api/auth/password', { currentPassword, newPassword }),
  completeProfile: (p: { firstName: string; lastName: string; email: string; phone: string }) =>
    http.put<User>('/api/auth/profile', p),
};

export const tenants = {
  list: () => all<Tenant>('/api/tenants'),
  create: (t: { name: string; timezone?: string }) => http.post<Tenant>('/api/tenants', t),
  get: (id: string) => http.get<Tenant>(`/api/tenants/${enc(id)}`),
  /** `settings` replaces the whole object: send the current one with the change. */
  update: (id: string, t: TenantPatch) => http.patch<Tenant>(`/api/tenants/${enc(id)}`, t),
};

export const sites = {
  list: (q: { tenantId?: string } = {}) => all<Site>('/api/sites', q),
  create: (s: { name: string; timezone: string; address?: string; contactPerson?: string; tenantId?: string }) =>
    http.post<Site>('/api/sites', s),
  update: (id: string, s: Partial<Site>) => http.patch<Site>(`/api/sites/${enc(id)}`, s),
  remove: (id: string) => http.del<void>(`/api/sites/${enc(id)}`),
};

export const assets = {
  list: (q: { siteId?: string; type?: string; tenantId?: string } = {}) => all<Asset>('/api/assets', q),
  create: (a: { name: string; type: string; siteId: string | null; parentId: string | null; tenantId?: string }) =>
    http.post<Asset>('/api/assets', a),
  /** `parentId` moves it in the tree (null: to the top of its site). */
  update: (id: string, a: { name?: string; parentId?: string | null; siteId?: string | null; isActive?: boolean }) =>
    http.patch<Asset>(`/api/assets/${enc(id)}`, a),
  /** Without `cascade` an asset with assets under it or devices on it is refused (409). */
  remove: (id: string, opts: { cascade?: boolean } = {}) =>
    http.del<void>(`/api/assets/${enc(id)}`, opts.cascade ? { cascade: 'true' } : undefined),
};

/** Tenant-wide counts of rejected messages (#14), the last 24 h by default. */
export const rejections = {
  summary: (signal?: AbortSignal) => http.get<RejectionSummary>('/api/rejections/summary', undefined, signal),
};

export const devices = {
  list: (q: { state?: 'pending' | 'active' | 'revoked' } = {}) => all<Device>('/api/devices', q),
  /** One page (the fleet table, a picker, a dashboard's device table): sorted, filtered, counted on the server. */
  page: (q: DeviceQuery, signal?: AbortSignal) =>
    http.get<DevicePage>('/api/devices', { ...q, count: q.count ? 'true' : undefined }, signal),
  /** Pre-registers a device; its claim code is in the answer once, never again. */
  create: (body: { id?: string; name?: string; deviceType?: string; assetId?: string; tenantId?: string }) =>
    http.post<RegisteredDevice>('/api/devices', body),
  update: (id: string, body: { name?: string; notes?: string }) => http.patch<Device>(`/api/devices/${enc(id)}`, body),
  bind: (id: string, assetId: string) => http.post<Device>(`/api/devices/${enc(id)}/bind`, { assetId }),
  unbind: (id: string) => http.post<Device>(`/api/devices/${enc(id)}/unbind`),
  revoke: (id: string) => http.post<Device>(`/api/devices/${enc(id)}/revoke`),
  /** The new token is in the answer once, never again; the old one dies now. */
  rotateToken: (id: string) => http.post<RotatedToken>(`/api/devices/${enc(id)}/rotate-token`, { graceSeconds: 0 }),
  remove: (id: string) => http.del<void>(`/api/devices/${enc(id)}`),
  bulk: (body: { action: 'move' | 'unbind' | 'revoke' | 'delete'; deviceIds: string[]; assetId?: string }) =>
    http.post<BulkOutcome>('/api/devices/bulk', body),
  get: (id: string, signal?: AbortSignal) => http.get<Device>(`/api/devices/${enc(id)}`, undefined, signal),
  assign: (id: string, body: { tenantId?: string; assetId: string | null; name?: string }) =>
    http.post<Device>(`/api/devices/${enc(id)}/assign`, body),
  /** What the edge and the pipeline refused from this device (#14), newest first. */
  rejections: (id: string, q: { limit?: number; cursor?: string } = {}, signal?: AbortSignal) =>
    http.get<Page<Rejection>>(`/api/devices/${enc(id)}/rejections`, q, signal),
  events: (id: string, q: { from: string; to: string; limit?: number; cursor?: string }, signal?: AbortSignal) =>
    http.get<Page<DeviceEvent>>(`/api/devices/${enc(id)}/events`, q, signal),
  series: (
    id: string,
    q: { from: string; to: string; bucket: string; tz: string; metrics?: string[] },
    signal?: AbortSignal,
  ) =>
    http
      .get<SeriesPoints>(
        '/api/telemetry/aggregate',
        { deviceId: id, from: q.from, to: q.to, bucket: q.bucket, tz: q.tz, metric: q.metrics },
        signal,
      )
      .then((r) => r.items),
  exportCsv: (id: string, q: { from: string; to: string; bucket?: string; tz: string }) =>
    download('/api/telemetry/export.csv', { deviceId: id, ...q }, `${id}.csv`),
};

export const commands = {
  list: (deviceId: string, signal?: AbortSignal) =>
    http.get<CommandList>(`/api/devices/${enc(deviceId)}/commands`, { limit: 20 }, signal).then((r) => r.items),
  /** `waitS`: the API holds the answer until the device replied (or that many seconds passed). */
  send: (
    deviceId: string,
    body: { name: string; params?: Record<string, unknown>; ttl?: number; expectReply?: boolean },
    waitS = 0,
  ) => http.post<Command>(`/api/devices/${enc(deviceId)}/commands?wait=${waitS}`, body),
};

/** Desired configuration of a device (#18). */
export const shadows = {
  get: (deviceId: string, signal?: AbortSignal) => http.get<Shadow>(`/api/devices/${enc(deviceId)}/shadow`, {}, signal),
  /** A merge patch (null removes); `expectedVersion` makes a concurrent change a 409. */
  patch: (deviceId: string, desired: Record<string, unknown>, expectedVersion?: number) =>
    http.patch<Shadow>(`/api/devices/${enc(deviceId)}/shadow/desired`, { desired, expectedVersion }),
};

export const deviceTypes = {
  list: (tenantId: string | undefined, signal?: AbortSignal) =>
    http.get<Page<DeviceType>>('/api/device-types', { tenantId }, signal).then((r) => r.items),
  update: (
    name: string,
    body: { deadband?: Record<string, number>; metrics?: DeviceType['metrics']; tenantId?: string },
  ) => http.put<DeviceType>(`/api/device-types/${enc(name)}`, body),
};

/** Filters of the alerts list (server-side, paged by cursor). */
export interface AlertQuery {
  state?: AlertState | 'active';
  severity?: string;
  deviceId?: string;
  assetId?: string;
  siteId?: string;
  ruleId?: string;
  since?: string;
  until?: string;
  limit?: number;
  cursor?: string;
}

export const alerts = {
  list: (q: AlertQuery = {}, signal?: AbortSignal) =>
    http.get<Page<Alert>>('/api/alerts', { limit: 200, ...q }, signal),
  get: (id: string, signal?: AbortSignal) => http.get<AlertDetail>(`/api/alerts/${enc(id)}`, undefined, signal),
  acknowledge: (id: string, note?: string) => http.post<Alert>(`/api/alerts/${enc(id)}/acknowledge`, { note }),
  resolve: (id: string, note?: string) => http.post<Alert>(`/api/alerts/${enc(id)}/resolve`, { note }),
  assign: (id: string, userId: string | null) => http.post<Alert>(`/api/alerts/${enc(id)}/assignee`, { userId }),
};

export interface TaskQuery {
  status?: TaskStatus;
  deviceId?: string;
  siteId?: string;
  assignee?: string;
  limit?: number;
  cursor?: string;
}

export const tasks = {
  list: (q: TaskQuery = {}, signal?: AbortSignal) => http.get<Page<Task>>('/api/tasks', { limit: 50, ...q }, signal),
  create: (t: { title: string; description?: string; deviceId?: string; assetId?: string; dueAt?: string }) =>
    http.post<Task>('/api/tasks', t),
  setStatus: (id: string, status: TaskStatus) => http.post<Task>(`/api/tasks/${enc(id)}/status`, { status }),
};

export const users = {
  list: (q: { tenantId?: string } = {}) => all<User>('/api/users', q),
  /** The generated password is in the answer once, never again. */
  create: (u: {
    role: Role;
    username?: string;
    email?: string;
    firstName?: string;
    lastName?: string;
    tenantId?: string;
  }) => http.post<CreatedUser>('/api/users', u),
  update: (id: string, u: { role?: Role; email?: string | null; firstName?: string; lastName?: string }) =>
    http.patch<User>(`/api/users/${enc(id)}`, u),
  /** A new generated password, shown once; the user changes it at next sign-in. */
  resetPassword: (id: string) => http.post<PasswordReset>(`/api/users/${enc(id)}/reset-password`),
  remove: (id: string) => http.del<void>(`/api/users/${enc(id)}`),
  assignments: (id: string) => http.get<Page<Assignment>>(`/api/users/${enc(id)}/assignments`).then((r) => r.items),
  assign: (id: string, target: { siteId: string } | { assetId: string }) =>
    http.post<Assignment>(`/api/users/${enc(id)}/assignments`, target),
  unassign: (id: string, assignmentId: string) =>
    http.del<void>(`/api/users/${enc(id)}/assignments/${enc(assignmentId)}`),
};

export interface AuditQuery {
  actorId?: string;
  action?: string;
  entity?: string;
  from?: string;
  to?: string;
  tenantId?: string;
  cursor?: string;
  limit?: number;
}

/** One page of the audit log, newest first (filters and paging on the server). */
export const audit = {
  page: (q: AuditQuery, signal?: AbortSignal) => http.get<Page<AuditEntry>>('/api/audit', { limit: 50, ...q }, signal),
};

export const rules = {
  list: () => all<Rule>('/api/rules'),
  create: (r: Partial<Rule> & { tenantId?: string }) => http.post<Rule>('/api/rules', r),
  update: (id: string, r: Partial<Rule>) => http.patch<Rule>(`/api/rules/${enc(id)}`, r),
  remove: (id: string) => http.del<void>(`/api/rules/${enc(id)}`),
  /** A draft (no target) against one device's stored data of the last `hours`; nothing is written. */
  test: (body: { rule: Partial<Rule>; deviceId: string; hours: number; tenantId?: string }) =>
    http.post<RuleTestResult>('/api/rules/test', body),
};

export const recipients = {
  list: () => all<Recipient>('/api/recipients'),
  create: (r: {
    email: string;
    name?: string;
    assetId?: string;
    ruleId?: string;
    cooldownS?: number;
    tenantId?: string;
  }) => http.post<Recipient>('/api/recipients', r),
  remove: (id: string) => http.del<void>(`/api/recipients/${enc(id)}`),
};

type DashboardDraft = Pick<Dashboard, 'name' | 'description' | 'layout'>;

/** Dashboards people compose (#21): everybody in the tenant reads them, managers and admins save them. */
export const dashboards = {
  list: (signal?: AbortSignal) => http.get<Page<DashboardSummary>>('/api/dashboards', { limit: 200 }, signal),
  get: (id: string, signal?: AbortSignal) => http.get<Dashboard>(`/api/dashboards/${enc(id)}`, undefined, signal),
  create: (d: Partial<DashboardDraft> & { name: string; tenantId?: string }) =>
    http.post<Dashboard>('/api/dashboards', d),
  /** `version`: the one loaded; a 409 says someone saved since. */
  save: (id: string, d: DashboardDraft & { version: number }) => http.put<Dashboard>(`/api/dashboards/${enc(id)}`, d),
  remove: (id: string) => http.del<void>(`/api/dashboards/${enc(id)}`),
};
