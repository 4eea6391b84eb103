import {
  compileDecoder,
  DEFAULT_DECODER,
  type DecodeResult,
  DecoderSpec,
  decodeDevicePayload,
  type EventKind,
} from '@telemetry/contracts';

/** The decoder a type uses: its own when set and valid, else the built-in default. */
export function effectiveDecoder(stored: unknown): { spec: DecoderSpec; builtIn: boolean } {
  if (stored === null || stored === undefined) return { spec: DEFAULT_DECODER, builtIn: true };
  const parsed = DecoderSpec.safeParse(stored);
  return parsed.success ? { spec: parsed.data, builtIn: false } : { spec: DEFAULT_DECODER, builtIn: true };
}

/**
 * What a sample payload becomes with a decoder, exactly as the MQTT gateway decodes it (same
 * function), for POST /api/device-types/{name}/decoder/test. The receive time is now; the device
 * id is a placeholder unless given (it only enters derived event ids).
 */
export function testDecoder(
  spec: DecoderSpec,
  sample: { payload: string; kind: EventKind; deviceId: string },
  receivedAt: Date,
): DecodeResult & { receivedAt: string } {
  const result = decodeDevicePayload({
    deviceId: sample.deviceId,
    kind: sample.kind,
    payload: sample.payload,
    receivedAt,
    decoder: compileDecoder(spec),
  });
  return { ...result, receivedAt: receivedAt.toISOString() };
}
