import { isAppError } from '@telemetry/contracts';
import { createLogger } from '@telemetry/observability';
import { type CliCommand, HELP, parseCliArgs } from './cli-args.js';
import { formatFaults } from './faults.js';
import { createFleet, type Fleet, resolveProfiles } from './fleet.js';
import { startProgress } from './progress.js';
import { provisionFleet } from './provision.js';
import type { FleetStats } from './stats.js';

// Composition root of the simulator CLI (`pnpm simulate --help`).

function fail(message: string, code: number): never {
  process.stderr.write(`simulator: ${message}\n`);
  process.exit(code);
}

let command: CliCommand;
try {
  command = parseCliArgs(process.argv.slice(2));
} catch (err) {
  fail(isAppError(err) ? err.message : String(err), 2);
}
if (command.kind === 'help') {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}

const { fleet: options, durationMs, logLevel, provisionTenant, provisionSite } = command.options;
const logger = createLogger({ name: 'simulator', level: logLevel, destination: process.stderr });
let fleet: Fleet;
try {
  fleet = createFleet({ ...options, logger });
} catch (err) {
  fail(isAppError(err) ? err.message : String(err), 2);
}

process.stdout.write(
  `simulating ${options.devices} ${options.profile} device(s) over ${options.transport} at ${options.ratePerDevice} msg/s each` +
    ` -> api ${options.apiUrl}${options.transport === 'mqtt' ? `, mqtt ${options.mqttUrl}` : ''}` +
    ` | seed ${options.seed} | faults: ${formatFaults(fleet.faults)}` +
    `${durationMs ? ` | for ${durationMs / 1000}s` : ''} | state ${options.stateDir}\n`,
);

if (provisionTenant !== undefined) {
  const password = process.env.ADMIN_PASSWORD;
  if (!password) fail('--provision needs the admin password in ADMIN_PASSWORD (and ADMIN_USERNAME, default admin)', 2);
  try {
    const r = await provisionFleet({
      apiUrl: options.apiUrl,
      tenant: provisionTenant,
      site: provisionSite,
      username: process.env.ADMIN_USERNAME ?? 'admin',
      password,
      profiles: resolveProfiles(options.devices, options.profile, options.profiles),
      firstDevice: options.firstDevice ?? 0,
      macNamespace: options.macNamespace ?? 0,
    });
    process.stdout.write(
      `provisioned with tenant ${provisionTenant}: ${r.created} new device(s), ${r.existing} already registered\n`,
    );
  } catch (err) {
    fail(isAppError(err) ? err.message : String(err), 1);
  }
}

const progress = startProgress({ stats: fleet.stats, out: process.stdout });
let stopping: Promise<void> | undefined;

function shutdown(reason: string): Promise<void> {
  stopping ??= (async () => {
    progress.stop();
    process.stdout.write(`${reason}: stopping publishing, waiting for in-flight acknowledgements...\n`);
    const stats = await fleet.stop();
    process.stdout.write(summary(stats));
    process.exit(0);
  })();
  return stopping;
}

process.on('SIGINT', () => {
  if (stopping) {
    process.stderr.write('\nsecond Ctrl+C: exiting without waiting\n');
    process.exit(130);
  }
  void shutdown('\nCtrl+C');
});
process.on('SIGTERM', () => void shutdown('SIGTERM'));

try {
  await fleet.start();
} catch (err) {
  progress.stop();
  fail(isAppError(err) ? err.message : String((err as Error)?.stack ?? err), 1);
}

if (durationMs !== undefined) setTimeout(() => void shutdown(`${durationMs / 1000}s elapsed`), durationMs);
if (options.eventsPerDevice !== undefined) {
  const all = options.devices * options.eventsPerDevice;
  setInterval(() => {
    const s = fleet.stats();
    if (s.generated >= all && s.queued === 0 && s.inflight === 0)
      void shutdown(`${options.eventsPerDevice} events per device sent`);
  }, 200);
}

function summary(s: FleetStats): string {
  const lines = [
    `devices: ${s.devices.total} (${s.devices.pending} still pending, ${s.devices.auth_failed} refused)`,
    `events: generated ${s.generated}, sent ${s.sent}, acked ${s.acked}, errors ${s.errors}, rejected ${s.rejected}`,
    `faults: duplicates ${s.duplicatesSent}, reordered ${s.reordered}, malformed ${s.malformedSent}, bursts ${s.bursts},` +
      ` offline gaps ${s.offlineEpisodes}, replayed ${s.replayed}, dropped ${s.dropped}, auth failures ${s.authFailures}`,
    `not acknowledged at stop (saved, replayed next start): ${s.inflight + s.queued}`,
    `elapsed: ${(s.elapsedMs / 1000).toFixed(1)} s`,
  ];
  return `${lines.join('\n')}\n`;
}
