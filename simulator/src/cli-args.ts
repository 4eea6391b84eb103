import { type ParseArgsConfig, parseArgs } from 'node:util';
import { parseDuration } from '@telemetry/config';
import { AppError } from '@telemetry/contracts';
import { parseFaults } from './faults.js';
import type { FleetOptions } from './fleet.js';
import { isProfileName, PROFILE_NAMES, type ProfileName } from './profiles/index.js';

export const HELP = `pnpm simulate [options]: a fleet of virtual ESP32 devices for the telemetry stack

Each device handshakes over HTTP (POST {api}/api/handshake/ {mac, firmware}), then publishes
MQTT 3.1.1 QoS1 to devices/{id}/telemetry|events|status as username=device_id, password=token
(or, with --transport http, POSTs the ozone seed's /api/device/events/ with its Bearer token).
A device the api answers assigned=false waits, asking again every --handshake-retry, until an
admin assigns it. Event ids "<device_id>-<seq>" continue across restarts (--state-dir).

Options
  --api URL               api base URL                       (default http://localhost:8080)
  --mqtt URL              MQTT broker URL                    (default mqtt://localhost:1884)
  --devices N             number of devices                  (default 10)
  --rate R                messages per second per device     (default 1)
  --profile P             mixed | ${PROFILE_NAMES.join(' | ')}  (default mixed)
  --transport T           mqtt | http (http: ozone only)     (default mqtt)
  --duration D            stop after D (e.g. 60s, 10m)       (default: until Ctrl+C)
  --events N              stop each device after N events
  --seed S                same seed, same payloads           (default 42)
  --faults LIST           comma-separated key=value, e.g.
                          duplicates=0.2,reorder=0.1,offline=0.05,skew=30s,malformed=0.01,badcreds=1
                          duplicates|reorder|offline|burst|malformed: probability per event
                          reorder-window=N (3), offline-for=D (5s), burst-size=N (20),
                          skew=D (each device's clock off by up to ±D), badcreds=N devices
  --ota-drop-after N      firmware rollouts: drop each download once after N bytes, then resume with Range
  --ota-corrupt           firmware rollouts: corrupt the downloaded image (the device reports failed)
  --state-dir DIR         sequences and pending events       (default ./data/simulator)
  --first N               index of the first device (MAC 02:53:00:..)  (default 0)
  --status-every N        every N-th message is a status heartbeat, 0 = none  (default 60)
  --max-inflight N        unacknowledged sends per device    (default 32 mqtt, 4 http)
  --handshake-retry D     retry interval while pending       (default 10s)
  --drain-timeout D       on stop, wait this long for PUBACKs  (default 10s)
  --provision TENANT      register the devices' MACs with this tenant first, as an admin
                          (ADMIN_USERNAME, default admin, and ADMIN_PASSWORD from the environment);
                          the devices go to the tenant's site "Simulator" (created with an asset
                          per type), never onto real assets, unless --provision-site says where
  --provision-site SITE   with --provision: put the devices on this site's assets (by type)
  --log-level L           fatal|error|warn|info|debug        (default warn; logs go to stderr)
  -h, --help              this text

Examples
  pnpm simulate --devices 200 --rate 5 --duration 60s
  ADMIN_PASSWORD=... pnpm simulate --devices 200 --rate 5 --provision Demo
  pnpm simulate --profile ozone --transport http --devices 5
  pnpm simulate --faults duplicates=0.2,offline=0.01,skew=30s,badcreds=1

Ctrl+C stops publishing, waits for in-flight acknowledgements, saves sequences and disconnects;
a second Ctrl+C exits at once.`;

export interface CliOptions {
  fleet: Omit<FleetOptions, 'logger' | 'clock' | 'onPublish' | 'onAck' | 'onCommand'>;
  durationMs: number | undefined;
  logLevel: string;
  /** Register the fleet with this tenant before starting (admin credentials from the environment). */
  provisionTenant: string | undefined;
  /** The site whose assets the provisioned devices join; unset = the simulator's own site. */
  provisionSite: string | undefined;
}

export type CliCommand = { kind: 'help' } | { kind: 'run'; options: CliOptions };

const OPTIONS = {
  api: { type: 'string', default: 'http://localhost:8080' },
  mqtt: { type: 'string', default: 'mqtt://localhost:1884' },
  devices: { type: 'string', default: '10' },
  rate: { type: 'string', default: '1' },
  profile: { type: 'string', default: 'mixed' },
  transport: { type: 'string', default: 'mqtt' },
  duration: { type: 'string' },
  events: { type: 'string' },
  seed: { type: 'string', default: '42' },
  faults: { type: 'string', default: '' },
  'ota-drop-after': { type: 'string' },
  'ota-corrupt': { type: 'boolean', default: false },
  'state-dir': { type: 'string', default: './data/simulator' },
  first: { type: 'string', default: '0' },
  'status-every': { type: 'string', default: '60' },
  'max-inflight': { type: 'string' },
  'handshake-retry': { type: 'string', default: '10s' },
  'drain-timeout': { type: 'string', default: '10s' },
  'log-level': { type: 'string', default: 'warn' },
  provision: { type: 'string' },
  'provision-site': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsConfig['options'];

function readArgs(argv: string[]) {
  try {
    return parseArgs({ args: argv, strict: true, allowPositionals: false, options: OPTIONS }).values;
  } catch (err) {
    throw new AppError('VALIDATION_FAILED', `${(err as Error).message} (see --help)`);
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** argv (without node and script) -> what to run; bad input throws AppError VALIDATION_FAILED with a readable message. */
export function parseCliArgs(argv: string[]): CliCommand {
  const values = readArgs(argv);
  if (values.help) return { kind: 'help' };

  const profile = values.profile;
  if (profile !== 'mixed' && !isProfileName(profile)) {
    throw invalid(`--profile ${profile}: use mixed, ${PROFILE_NAMES.join(', ')}`);
  }
  const transport = values.transport;
  if (transport !== 'mqtt' && transport !== 'http') throw invalid(`--transport ${transport}: use mqtt or http`);
  if (!LOG_LEVELS.includes(values['log-level']))
    throw invalid(`--log-level ${values['log-level']}: use ${LOG_LEVELS.join(', ')}`);

  if (values['provision-site'] !== undefined && values.provision === undefined)
    throw invalid('--provision-site needs --provision TENANT');

  return {
    kind: 'run',
    options: {
      fleet: {
        apiUrl: url('--api', values.api, ['http:', 'https:']),
        mqttUrl: url('--mqtt', values.mqtt, ['mqtt:', 'mqtts:', 'tcp:', 'ws:', 'wss:']),
        devices: int('--devices', values.devices, 1),
        ratePerDevice: positive('--rate', values.rate),
        profile: profile as ProfileName | 'mixed',
        transport,
        seed: int('--seed', values.seed, 0),
        faults: parseFaults(values.faults),
        firmwareFaults: {
          ...(values['ota-drop-after'] === undefined
            ? {}
            : { dropAfterBytes: int('--ota-drop-after', values['ota-drop-after'], 1) }),
          ...(values['ota-corrupt'] ? { corrupt: true } : {}),
        },
        stateDir: values['state-dir'],
        eventsPerDevice: values.events === undefined ? undefined : int('--events', values.events, 1),
        firstDevice: int('--first', values.first, 0),
        statusEvery: int('--status-every', values['status-every'], 0),
        maxInflight:
          values['max-inflight'] === undefined ? undefined : int('--max-inflight', values['max-inflight'], 1),
        handshakeRetryMs: duration('--handshake-retry', values['handshake-retry']),
        drainTimeoutMs: duration('--drain-timeout', values['drain-timeout']),
      },
      durationMs: values.duration === undefined ? undefined : duration('--duration', values.duration),
      provisionTenant: values.provision,
      provisionSite: values['provision-site'],
      logLevel: values['log-level'],
    },
  };
}

const invalid = (message: string) => new AppError('VALIDATION_FAILED', `${message} (see --help)`);

function int(flag: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw invalid(`${flag} ${text}: a whole number >= ${min}`);
  return n;
}

function positive(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw invalid(`${flag} ${text}: a number > 0`);
  return n;
}

function duration(flag: string, text: string): number {
  try {
    return parseDuration(text);
  } catch (err) {
    throw invalid(`${flag}: ${(err as Error).message}`);
  }
}

function url(flag: string, text: string, protocols: string[]): string {
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw invalid(`${flag} ${text}: not a URL`);
  }
  if (!protocols.includes(parsed.protocol))
    throw invalid(`${flag} ${text}: use ${protocols.map((p) => `${p}//`).join(' or ')}`);
  return text;
}
