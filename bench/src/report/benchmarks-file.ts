/**
 * BENCHMARKS.md: a fixed head, the component benches' latest results (bench/results/*.md, the
 * files their own runners write), then the end-to-end runs, each appended by `pnpm bench`.
 * The head and the component part are rebuilt at each write; the runs are kept as they were.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const RUNS_MARKER = '<!-- end-to-end runs: appended by `pnpm bench`, newest last -->';

const HEAD = `# Benchmarks

Figures of this codebase on a real machine, and how to get them again.

- \`pnpm bench --help\`: the end-to-end benchmark (\`bench/src/main.ts\`). It starts the stack
  as it is deployed: on the embedded backend the all-in-one process (\`services/stack\`: in-process
  bus, PGlite + TimescaleDB), on Kafka + PostgreSQL + Redis each service of docker-compose.yml in
  a process of its own. It provisions devices and an alert rule over the REST API (pre-register by
  MAC, then the device handshake), drives the stack over MQTT QoS 1 with a lean load generator in
  its own process at increasing rates, checks that every acknowledged event is stored exactly
  once, and times publish → stored, → dashboard push and → alert opened, with the rules' consumer
  lag and each process's CPU and memory. In the same run it measures the machine's ceilings
  (mosquitto = the load generator alone, a raw kafkajs producer, COPY into PostgreSQL) and reports
  our figures as a ratio of each. Each run appends a section below and a plot to \`bench/results/\`.
- \`pnpm bench --smoke\`: a few seconds at a low rate on the embedded stack; asserts zero loss
  and zero duplicates, not speed (run by \`bench/src/smoke.test.ts\` in CI).
- Component benches (their own runners, results in \`bench/results/*.md\`, copied below):
  \`bench/src/pipeline/run.ts\` (Kafka → store), \`bench/src/realtime/run.ts\` (publish → socket,
  fan-out), \`bench/src/gateway/\` (MQTT gateway); sections measured by tests or by hand are files
  there too (\`pnpm bench --assemble\` rebuilds this part from them and keeps the runs).

Figures from a shared 2-core development machine are noisy: each section gives the load average
during its run. Compare runs of the same machine only.
`;

/** Markdown headings pushed `by` levels down, outside code fences. */
export function demoteHeadings(md: string, by: number): string {
  let fenced = false;
  return md
    .split('\n')
    .map((line) => {
      if (line.startsWith('```')) fenced = !fenced;
      if (fenced || !/^#{1,6} /.test(line)) return line;
      return `${'#'.repeat(by)}${line}`;
    })
    .join('\n');
}

/** The component sections in reading order (the path of a message, then the rest by name). */
const ORDER = ['gateway.md', 'pipeline.md', 'commands.md', 'realtime.md'];

/** Results files in ORDER, then the others by name. */
export function orderResults(files: string[]): string[] {
  const rank = (f: string) => (ORDER.includes(f) ? ORDER.indexOf(f) : ORDER.length);
  return files.filter((f) => f.endsWith('.md')).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

export async function componentResults(resultsDir: string): Promise<string> {
  const files = orderResults(await readdir(resultsDir).catch(() => [] as string[]));
  const parts: string[] = [];
  for (const f of files) {
    const text = (await readFile(join(resultsDir, f), 'utf8')).trim();
    parts.push(`<!-- from bench/results/${f} -->`, demoteHeadings(text, 2), '');
  }
  return parts.join('\n');
}

/** The new BENCHMARKS.md: head, components, the runs already there, then `newRun` (if any). */
export function assembleBenchmarks(
  existing: string | undefined,
  components: string,
  newRun: string | undefined,
): string {
  const idx = existing?.indexOf(RUNS_MARKER) ?? -1;
  const runs = existing && idx >= 0 ? existing.slice(idx + RUNS_MARKER.length).trim() : '';
  return [
    HEAD,
    '## Component benches',
    '',
    components.trim() || '_No component results yet._',
    '',
    '## End-to-end runs',
    '',
    RUNS_MARKER,
    '',
    runs,
    runs && newRun ? '' : undefined,
    newRun?.trim(),
    '',
  ]
    .filter((l) => l !== undefined)
    .join('\n');
}
