import { type CompiledDecoder, compileDecoder, DEFAULT_COMPILED_DECODER, DecoderSpec } from '@telemetry/contracts';

/**
 * The payload decoder of each connected device's type (#14), kept off the hot path: `prefetch` at
 * CONNECT (awaited, so the first PUBLISH is decoded right), `peek` per PUBLISH (sync, a Map lookup);
 * an entry older than `ttlMs` is reloaded in the background while the one held keeps being used,
 * so a manager's change reaches connected devices within about `ttlMs`. A decoder that fails to
 * load or to parse falls back to the built-in default (and is retried after `ttlMs`).
 */
export interface DecoderCache {
  prefetch(tenantId: string, deviceId: string): Promise<void>;
  peek(tenantId: string, deviceId: string): CompiledDecoder;
  forget(deviceId: string): void;
}

export function createDecoderCache(deps: {
  load: (tenantId: string, deviceId: string) => Promise<unknown>;
  ttlMs?: number;
  max?: number;
  now?: () => number;
  onError?: (err: unknown) => void;
}): DecoderCache {
  const ttlMs = deps.ttlMs ?? 30_000;
  const max = deps.max ?? 200_000;
  const now = deps.now ?? Date.now;
  const entries = new Map<string, { decoder: CompiledDecoder; at: number; loading: boolean }>();
  // spec JSON -> compiled: a fleet shares few decoders
  const compiled = new Map<string, CompiledDecoder>();

  const compile = (raw: unknown): CompiledDecoder => {
    if (raw === null || raw === undefined) return DEFAULT_COMPILED_DECODER;
    const key = JSON.stringify(raw);
    let d = compiled.get(key);
    if (!d) {
      const parsed = DecoderSpec.safeParse(raw);
      d = parsed.success ? compileDecoder(parsed.data) : DEFAULT_COMPILED_DECODER;
      if (compiled.size > 10_000) compiled.clear();
      compiled.set(key, d);
    }
    return d;
  };

  const load = async (tenantId: string, deviceId: string): Promise<void> => {
    const entry = entries.get(deviceId);
    if (entry) entry.loading = true;
    let decoder = entry?.decoder ?? DEFAULT_COMPILED_DECODER;
    try {
      decoder = compile(await deps.load(tenantId, deviceId));
    } catch (err) {
      deps.onError?.(err);
    }
    entries.delete(deviceId);
    entries.set(deviceId, { decoder, at: now(), loading: false });
    if (entries.size > max) {
      const oldest = entries.keys().next();
      if (!oldest.done) entries.delete(oldest.value);
    }
  };

  return {
    prefetch: load,
    peek(tenantId, deviceId) {
      const entry = entries.get(deviceId);
      if (!entry) {
        void load(tenantId, deviceId);
        return DEFAULT_COMPILED_DECODER;
      }
      if (!entry.loading && now() - entry.at > ttlMs) void load(tenantId, deviceId);
      return entry.decoder;
    },
    forget(deviceId) {
      entries.delete(deviceId);
    },
  };
}
