import { http } from './http.js';

/** Shapes and calls of services/api/src/firmware (#18). */
export interface FirmwareImage {
  id: string;
  tenantId: string;
  deviceType: string;
  version: string;
  size: number;
  sha256: string;
  notes: string;
  createdBy: string | null;
  createdAt: string;
}

export type RolloutDeviceState = 'pending' | 'notified' | 'downloading' | 'installing' | 'updated' | 'failed';

export interface Rollout {
  id: string;
  tenantId: string;
  imageId: string | null;
  deviceType: string;
  version: string;
  sha256: string;
  size: number;
  expiresAt: string;
  createdAt: string;
  status: 'active' | 'done' | 'expired';
  summary: Record<RolloutDeviceState, number> & { total: number };
}

export interface RolloutDevice {
  deviceId: string;
  state: RolloutDeviceState;
  fromVersion: string | null;
  bytes: number;
  downloads: number;
  error: string | null;
  updatedAt: string;
  finishedAt: string | null;
}

const enc = encodeURIComponent;

export const firmware = {
  list: (signal?: AbortSignal) =>
    http.get<{ items: FirmwareImage[] }>('/api/firmware', { limit: 200 }, signal).then((r) => r.items),
  upload: (q: { deviceType: string; version: string; notes?: string; tenantId?: string }, file: Blob) =>
    http.upload<FirmwareImage>('/api/firmware', q, file),
  remove: (id: string) => http.del<void>(`/api/firmware/${enc(id)}`),
  rollouts: (signal?: AbortSignal) =>
    http.get<{ items: Rollout[] }>('/api/firmware/rollouts', { limit: 50 }, signal).then((r) => r.items),
  rollout: (id: string, signal?: AbortSignal) =>
    http.get<Rollout & { devices: RolloutDevice[] }>(`/api/firmware/rollouts/${enc(id)}`, undefined, signal),
  startRollout: (body: { imageId: string; deviceIds?: string[]; ttl?: number }) =>
    http.post<Rollout>('/api/firmware/rollouts', body),
};
