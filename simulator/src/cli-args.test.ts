import { isAppError } from '@telemetry/contracts';
import { describe, expect, it } from 'vitest';
import { HELP, parseCliArgs } from './cli-args.js';

const run = (argv: string[]) => {
  const cmd = parseCliArgs(argv);
  if (cmd.kind !== 'run') throw new Error('expected run');
  return cmd.options;
};

describe('parseCliArgs', () => {
  it('has defaults that reach a local `pnpm start`', () => {
    const o = run([]);
    expect(o.fleet).toMatchObject({
      apiUrl: 'http://localhost:8080',
      mqttUrl: 'mqtt://localhost:1884',
      devices: 10,
      ratePerDevice: 1,
      profile: 'mixed',
      transport: 'mqtt',
      seed: 42,
      stateDir: './data/simulator',
    });
    expect(o.durationMs).toBeUndefined();
    expect(o.fleet.firmwareFaults).toEqual({});
  });

  it('reads the firmware rollout faults', () => {
    const o = run(['--ota-drop-after', '200000', '--ota-corrupt']);
    expect(o.fleet.firmwareFaults).toEqual({ dropAfterBytes: 200_000, corrupt: true });
  });

  it('reads the issue example', () => {
    const o = run(
      '--api http://h:1 --mqtt mqtt://h:2 --devices 200 --rate 5 --profile energy --duration 60s --seed 7 --faults duplicates=0.2,reorder=0.1,offline=0.05,skew=30s,malformed=0.01,badcreds=1'.split(
        ' ',
      ),
    );
    expect(o.fleet).toMatchObject({
      apiUrl: 'http://h:1',
      mqttUrl: 'mqtt://h:2',
      devices: 200,
      ratePerDevice: 5,
      profile: 'energy',
      seed: 7,
    });
    expect(o.fleet.faults).toMatchObject({
      duplicates: 0.2,
      reorder: 0.1,
      offline: 0.05,
      skewMs: 30_000,
      malformed: 0.01,
      badcreds: 1,
    });
    expect(o.durationMs).toBe(60_000);
  });

  it('answers --help', () => {
    expect(parseCliArgs(['--help'])).toEqual({ kind: 'help' });
    expect(parseCliArgs(['-h'])).toEqual({ kind: 'help' });
    expect(HELP).toContain('--faults');
  });

  it('refuses bad input with a readable message', () => {
    for (const argv of [
      ['--devices', '0'],
      ['--rate', 'fast'],
      ['--profile', 'toaster'],
      ['--transport', 'coap'],
      ['--api', 'localhost:8080'],
      ['--duration', 'soon'],
      ['--nope'],
      ['--faults', 'x=1'],
    ]) {
      try {
        parseCliArgs(argv);
        expect.unreachable(argv.join(' '));
      } catch (err) {
        expect(isAppError(err) && err.code === 'VALIDATION_FAILED').toBe(true);
        expect((err as Error).message.length).toBeGreaterThan(10);
      }
    }
  });
});
