import type { FirmwareImage, FirmwareImageList, Rollout, RolloutDetail, RolloutList } from '@telemetry/api-contract';
import { http } from './http.js';

/** Calls of services/api/src/firmware (#18); the shapes are the API's response schemas. */
export type { FirmwareImage, Rollout, RolloutDetail, RolloutDeviceState } from '@telemetry/api-contract';

const enc = encodeURIComponent;

export const firmware = {
  list: (signal?: AbortSignal) =>
    http.get<FirmwareImageList>('/api/firmware', { limit: 200 }, signal).then((r) => r.items),
  upload: (q: { deviceType: string; version: string; notes?: string; tenantId?: string }, file: Blob) =>
    http.upload<FirmwareImage>('/api/firmware', q, file),
  remove: (id: string) => http.del<void>(`/api/firmware/${enc(id)}`),
  rollouts: (signal?: AbortSignal) =>
    http.get<RolloutList>('/api/firmware/rollouts', { limit: 50 }, signal).then((r) => r.items),
  rollout: (id: string, signal?: AbortSignal) =>
    http.get<RolloutDetail>(`/api/firmware/rollouts/${enc(id)}`, undefined, signal),
  startRollout: (body: { imageId: string; deviceIds?: string[]; ttl?: number }) =>
    http.post<Rollout>('/api/firmware/rollouts', body),
};
