import { createHash } from 'node:crypto';

/**
 * Deterministic device tokens for the bench: the gateway child stores their hashes, the load
 * generator derives the same tokens, so 10 000 credentials never cross the RPC channel. Shaped
 * like real tokens (43 base64url characters = 32 bytes).
 */
export function benchToken(seed: string, deviceId: string): string {
  return createHash('sha256').update(`${seed}:${deviceId}`).digest('base64url');
}

export function benchDeviceIds(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
}
