import type { Command } from '@telemetry/commands';
import type { Role } from '../lib/permissions.js';
import { download, http } from './http.js';
import type {
  Alert,
  AlertState,
  Asset,
  Dashboard,
  DashboardSummary,
  Device,
  DeviceEvent,
  DeviceType,
  Page,
  Recipient,
  Rejection,
  Rule,
  SeriesPoint,
  Site,
  Task,
  TaskStatus,
  Tenant,
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
    http.put<void>('/api/auth/profile', p),
};

export const tenants = {
  list: () => all<Tenant>('/api/tenants'),
  create: (t: { name: string; timezone?: string }) => http.post<Tenant>('/api/tenants', t),
};

export const sites = {
  list: () => all<Site>('/api/sites'),
  create: (s: { name: string; timezone: string; address?: string; contactPerson?: string; tenantId?: string }) =>
    http.post<Site>('/api/sites', s),
  update: (id: string, s: Partial<Site>) => http.patch<Site>(`/api/sites/${enc(id)}`, s),
  remove: (id: string) => http.del<void>(`/api/sites/${enc(id)}`),
};

export const assets = {
  list: (q: { siteId?: string; type?: string } = {}) => all<Asset>('/api/assets', q),
  create: (a: { name: string; type: string; siteId: string | null; parentId: string | null }) =>
    http.post<Asset>('/api/assets', a),
  remove: (id: string) => http.del<void>(`/api/assets/${enc(id)}`),
};

/** Tenant-wide counts of rejected messages (#14), the last 24 h by default. */
export const rejections = {
  summary: (signal?: AbortSignal) =>
    http.get<{ byDevice: { deviceId: string; count: number }[] }>('/api/rejections/summary', undefined, signal),
};

export const devices = {
  list: (q: { state?: 'pending' | 'active' | 'revoked' } = {}) => all<Device>('/api/devices', q),
  get: (id: string, signal?: AbortSignal) => http.get<Device>(`/api/devices/${enc(id)}`, undefined, signal),
  /** One page (a picker, a dashboard's device table): not the whole fleet. */
  page: (q: { assetId?: string; state?: 'active'; limit: number }, signal?: AbortSignal) =>
    http.get<Page<Device>>('/api/devices', q, signal),
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
      .get<{ items: SeriesPoint[] }>(
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
    http
      .get<{ items: Command[] }>(`/api/devices/${enc(deviceId)}/commands`, { limit: 20 }, signal)
      .then((r) => r.items),
  /** `waitS`: the API holds the answer until the device replied (or that many seconds passed). */
  send: (
    deviceId: string,
    body: { name: string; params?: Record<string, unknown>; ttl?: number; expectReply?: boolean },
    waitS = 0,
  ) => http.post<Command>(`/api/devices/${enc(deviceId)}/commands?wait=${waitS}`, body),
};

export const deviceTypes = {
  list: (tenantId: string | undefined, signal?: AbortSignal) =>
    http.get<{ items: DeviceType[] }>('/api/device-types', { tenantId }, signal).then((r) => r.items),
  update: (name: string, body: { deadband?: Record<string, number>; tenantId?: string }) =>
    http.put<DeviceType>(`/api/device-types/${enc(name)}`, body),
};

export const alerts = {
  list: (
    q: { state?: AlertState | 'active'; deviceId?: string; assetId?: string; severity?: string; limit?: number } = {},
    signal?: AbortSignal,
  ) => http.get<Page<Alert>>('/api/alerts', { limit: 200, ...q }, signal),
  acknowledge: (id: string, note?: string) => http.post<Alert>(`/api/alerts/${enc(id)}/acknowledge`, { note }),
  resolve: (id: string, note?: string) => http.post<Alert>(`/api/alerts/${enc(id)}/resolve`, { note }),
};

export const tasks = {
  list: (signal?: AbortSignal) => http.get<Page<Task>>('/api/tasks', { limit: 200 }, signal),
  create: (t: { title: string; description?: string; deviceId?: string; assetId?: string; dueAt?: string }) =>
    http.post<Task>('/api/tasks', t),
  setStatus: (id: string, status: TaskStatus) => http.post<Task>(`/api/tasks/${enc(id)}/status`, { status }),
};

export const users = {
  list: () => all<User>('/api/users'),
  /** The generated password is in the answer once, never again. */
  create: (u: { role: Role; username?: string; email?: string; firstName?: string; lastName?: string }) =>
    http.post<{ user: User; username: string; password: string | null }>('/api/users', u),
  remove: (id: string) => http.del<void>(`/api/users/${enc(id)}`),
};

export const rules = {
  list: () => all<Rule>('/api/rules'),
  create: (r: Partial<Rule> & { tenantId?: string }) => http.post<Rule>('/api/rules', r),
  update: (id: string, r: Partial<Rule>) => http.patch<Rule>(`/api/rules/${enc(id)}`, r),
  remove: (id: string) => http.del<void>(`/api/rules/${enc(id)}`),
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
