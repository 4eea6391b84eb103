import { z } from 'zod';

/**
 * A payload decoder: how the payloads of one device type become metrics, attributes, an event id
 * and a device time. Declarative JSON a manager sets through the API (PUT /api/device-types/{name}/decoder),
 * the way LoRaWAN servers and ThingsBoard map uplinks: no code runs, so a tenant's decoder can't
 * harm the edge. Paths are dotted (`sensors.t` is `{"sensors":{"t":…}}`).
 *
 * The built-in default (`DEFAULT_DECODER`, every field's default below) reads what ordinary
 * firmware sends: JSON objects (nested ones flattened to dotted names), bare numbers, and
 * `key=value` pairs separated by `&`, `,`, `;` or new lines.
 */
const Path = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^.\s]+(\.[^.\s]+)*$/, 'a dotted path like sensors.t');
const MetricName = z.string().min(1).max(64);

export const MetricMapping = z.union([
  MetricName,
  z
    .object({
      /** Metric name; default: the path. */
      name: MetricName.optional(),
      /** value * scale + offset (e.g. tenths of a degree: scale 0.1). */
      scale: z.number().finite().optional(),
      offset: z.number().finite().optional(),
    })
    .strict(),
]);
export type MetricMapping = z.infer<typeof MetricMapping>;

export const DecoderSpec = z
  .object({
    /** auto: JSON when it parses, else key=value pairs. */
    format: z.enum(['auto', 'json', 'kv', 'number']).default('auto'),
    /** Where the event id is, first present wins; numbers are stringified. None: derived (see event-id.ts). */
    eventId: z.array(Path).max(8).default(['event_id', 'eventId']),
    /** A reading without an id is dead-lettered `no_event_id` instead of getting a derived one. */
    requireEventId: z.boolean().default(false),
    /** Where the device time is, first present wins. */
    ts: z.array(Path).max(8).default(['ts', 'timestamp']),
    /** auto: seconds vs milliseconds by magnitude, strings as ISO 8601 (device-time.ts). */
    tsUnit: z.enum(['auto', 's', 'ms', 'us', 'ns', 'iso']).default('auto'),
    /** Explicit metrics: path -> name, or {name, scale, offset}. */
    metrics: z
      .record(Path, MetricMapping)
      .refine((m) => Object.keys(m).length <= 256, 'at most 256 metric mappings')
      .default({}),
    /** Every other numeric leaf (numbers, numeric strings, booleans as 0/1) becomes a metric named by its path. */
    flatten: z.boolean().default(true),
    /** Objects whose members are named without the object's own prefix (`{"metrics":{"t":1}}` -> t). */
    containers: z.array(Path).max(16).default(['metrics']),
    /** Paths (and everything under them) left out entirely. */
    ignore: z.array(Path).max(256).default(['device_id']),
    /** Paths kept as attributes even when numeric (firmware versions like "1.2"). */
    attributes: z.array(Path).max(256).default(['firmware', 'fw', 'version']),
    /** Metric name of a bare number payload (`22.1`). */
    value: MetricName.default('value'),
  })
  .strict();
export type DecoderSpec = z.infer<typeof DecoderSpec>;
export type DecoderSpecInput = z.input<typeof DecoderSpec>;

export const DEFAULT_DECODER: DecoderSpec = DecoderSpec.parse({});

interface Mapping {
  name: string;
  scale: number;
  offset: number;
}

/** A decoder with its lookups prepared once (the edges cache these per device type). */
export interface CompiledDecoder {
  readonly spec: DecoderSpec;
  readonly format: DecoderSpec['format'];
  readonly idPaths: readonly (readonly string[])[];
  readonly tsPaths: readonly (readonly string[])[];
  readonly tsUnit: DecoderSpec['tsUnit'];
  readonly requireEventId: boolean;
  readonly mapped: ReadonlyMap<string, Mapping>;
  readonly flatten: boolean;
  readonly containers: ReadonlySet<string>;
  readonly ignore: ReadonlySet<string>;
  /** The id and ts candidate paths: never metrics. */
  readonly reserved: ReadonlySet<string>;
  readonly attributes: ReadonlySet<string>;
  readonly value: string;
}

export function compileDecoder(spec: DecoderSpec): CompiledDecoder {
  const mapped = new Map<string, Mapping>();
  for (const [path, m] of Object.entries(spec.metrics)) {
    mapped.set(
      path,
      typeof m === 'string'
        ? { name: m, scale: 1, offset: 0 }
        : { name: m.name ?? path, scale: m.scale ?? 1, offset: m.offset ?? 0 },
    );
  }
  return {
    spec,
    format: spec.format,
    idPaths: spec.eventId.map((p) => p.split('.')),
    tsPaths: spec.ts.map((p) => p.split('.')),
    tsUnit: spec.tsUnit,
    requireEventId: spec.requireEventId,
    mapped,
    flatten: spec.flatten,
    containers: new Set(spec.containers),
    ignore: new Set(spec.ignore),
    reserved: new Set([...spec.eventId, ...spec.ts]),
    attributes: new Set(spec.attributes),
    value: spec.value,
  };
}

export const DEFAULT_COMPILED_DECODER: CompiledDecoder = compileDecoder(DEFAULT_DECODER);
