/**
 * `pnpm bench`: the end-to-end benchmark (see --help). Composition root of bench/: reads argv and
 * the environment once, runs, writes BENCHMARKS.md and the plot.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HELP, parseBenchArgs } from './args.js';
import { assembleBenchmarks, componentResults } from './report/benchmarks-file.js';
import { markdown, sustainedMax } from './report/markdown.js';
import { COLORS, type Panel, writePlot } from './report/plot.js';
import { REPO_ROOT } from './rpc.js';
import { type BenchResult, runBench } from './run.js';

const t0 = performance.now();
const log = (m: string) => process.stderr.write(`[bench +${((performance.now() - t0) / 1000).toFixed(1)}s] ${m}\n`);

async function main(): Promise<number> {
  const options = parseBenchArgs(process.argv.slice(2), process.env);
  if (options.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (options.assemble) {
    const file = join(REPO_ROOT, options.out ?? 'BENCHMARKS.md');
    const existing = await readFile(file, 'utf8').catch(() => undefined);
    await writeFile(
      file,
      assembleBenchmarks(existing, await componentResults(join(REPO_ROOT, 'bench/results')), undefined),
    );
    log(`rebuilt ${file} (component results, runs kept)`);
    return 0;
  }
  const command = `pnpm bench ${process.argv.slice(2).join(' ')}`.trim();
  const result = await runBench(options, command, log);

  let plotRel: string | undefined;
  if (!options.smoke && options.out) {
    const stamp = result.machine.date.replace(/[-:]/g, '').replace('T', '-').slice(0, 13);
    plotRel = `bench/results/e2e-${stamp}.png`;
    await mkdir(join(REPO_ROOT, 'bench/results'), { recursive: true });
    await writePlot(
      join(REPO_ROOT, plotRel),
      panels(result),
      `${command} - ${result.machine.nproc} cores - ${result.machine.date}`,
    );
    log(`plot: ${plotRel}`);
  }
  const section = markdown(result, plotRel);
  process.stdout.write(`${section}\n`);
  if (options.out) {
    const file = join(REPO_ROOT, options.out);
    const existing = await readFile(file, 'utf8').catch(() => undefined);
    await writeFile(
      file,
      assembleBenchmarks(existing, await componentResults(join(REPO_ROOT, 'bench/results')), section),
    );
    log(`appended to ${options.out}`);
  }
  // the smoke run's verdict: the promises, not speed
  const broken = result.backends.flatMap((b) =>
    b.steps
      .filter((s) => s.check.lost > 0 || s.check.duplicates > 0 || !s.drained)
      .map((s) => `${b.backend} @ ${s.rate}/s`),
  );
  if (broken.length > 0) {
    log(`loss, duplicates or an undrained backlog in: ${broken.join(', ')}`);
    return 1;
  }
  for (const b of result.backends) {
    const best = sustainedMax(b.steps);
    log(`${b.backend}: sustained ${best ? Math.round(best.storedPerSec) : 0} msg/s with zero loss`);
  }
  return 0;
}

function panels(r: BenchResult): Panel[] {
  const color = (b: string, socket = false) =>
    (COLORS[socket ? `${b}Socket` : b] ?? [0, 0, 0]) as [number, number, number];
  const maxRate = Math.max(...r.options.rates);
  return [
    {
      title: 'Stored msg/s vs offered',
      xLabel: 'offered msg/s',
      yLabel: 'stored msg/s',
      series: [
        {
          label: 'offered = stored',
          color: COLORS.ideal as [number, number, number],
          points: [
            [0, 0],
            [maxRate, maxRate],
          ],
          dashed: true,
        },
        ...r.backends.map((b) => ({
          label: b.backend,
          color: color(b.backend),
          points: [[0, 0] as [number, number], ...b.steps.map((s) => [s.rate, s.storedPerSec] as [number, number])],
        })),
      ],
    },
    {
      title: 'p99 latency vs offered',
      xLabel: 'offered msg/s',
      yLabel: 'p99 ms',
      series: r.backends.flatMap((b) => [
        {
          label: `${b.backend} to stored`,
          color: color(b.backend),
          points: b.steps.map((s) => [s.rate, s.observer.toStored.p99] as [number, number]),
        },
        {
          label: `${b.backend} to socket`,
          color: color(b.backend, true),
          dashed: true,
          points: b.steps.map((s) => [s.rate, s.observer.toSocket.p99] as [number, number]),
        },
      ]),
    },
    {
      title: 'p99 publish to alert opened',
      xLabel: 'offered msg/s',
      yLabel: 'p99 ms',
      series: r.backends.map((b) => ({
        label: `${b.backend} to alert`,
        color: color(b.backend),
        points: b.steps
          .filter((s) => s.observer.toAlert.n > 0)
          .map((s) => [s.rate, s.observer.toAlert.p99] as [number, number]),
      })),
    },
  ];
}

// a SIGTERM ends the run through 'exit', where the services' processes are stopped (stack/services.ts)
process.once('SIGTERM', () => process.exit(143));

main()
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      log(err instanceof Error ? (err.stack ?? err.message) : String(err));
      process.exitCode = 1;
    },
  )
  // a client library's lingering socket must not keep a finished run alive
  .finally(() => setTimeout(() => process.exit(), 2_000).unref());
