/** The run as a BENCHMARKS.md section. */
import type { StepResult } from '../backend.js';
import type { BenchResult } from '../run.js';

const n0 = (v: number) => Math.round(v).toLocaleString('en-US').replace(/,/g, ' ');
const ratio = (v: number, of: number | undefined) => (of ? `${(v / of).toFixed(2)}×` : '–');
const pct = (p: { p50: number; p99: number; n: number }) => (p.n ? `${p.p50} / ${p.p99}` : '–');

/** The highest offered rate that was sustained (see StepResult.sustained), with its step. */
export function sustainedMax(steps: StepResult[]): StepResult | undefined {
  return steps.filter((s) => s.sustained).sort((a, b) => b.storedPerSec - a.storedPerSec)[0];
}

/** The step nearest to `rate` (for "p99 at 5k msg/s"). */
function stepAt(steps: StepResult[], rate: number): StepResult | undefined {
  return [...steps].sort((a, b) => Math.abs(a.rate - rate) - Math.abs(b.rate - rate))[0];
}

export function markdown(r: BenchResult, plotPath: string | undefined): string {
  const { machine: m, ceilings: c, options: o } = r;
  const out: string[] = [];
  out.push(`### ${m.date.slice(0, 16).replace('T', ' ')} UTC · commit ${m.commit}`, '');
  out.push(
    `\`${r.command}\` · ${m.nproc} cores (${m.cpuModel}), ${m.memoryGb} GB, Node ${m.node} · ` +
      `load average during the run ${r.load.min}–${r.load.max} (mean ${r.load.mean}) · ${Math.round(r.seconds)} s in all.`,
    '',
  );
  if (r.load.mean > m.nproc) {
    out.push(
      `> The machine was shared: a load average above ${m.nproc} means other work (other engineers' test runs) competed for the ` +
        'same cores during the run, so every figure below is lower and noisier than on a quiet machine.',
      '',
    );
  }
  out.push(
    `Each step offers the rate over ${o.devices} MQTT connections (QoS 1, ≤ ${o.window} unacknowledged per device) for ${o.durationMs / 1000} s. ` +
      'Stored = events of the step in the database / (last commit − step start); lost = acknowledged (PUBACK) but not stored; ' +
      'dup = stored more than once. Latency is per event from the device publish (payload ts) to the pipeline commit ' +
      '(trace.stored) and to the Socket.IO push reaching a dashboard client subscribed to the tenant; one machine clock. ' +
      'Both are taken from the pushes the client saw ("pushes seen"): the realtime gateway coalesces readings of one device ' +
      'handled together (latest wins), so that is a sample, not every event. PUBACK latency covers every event: on the embedded ' +
      'backend a PUBACK is sent once the event is stored (publish → stored for all), on Kafka once Kafka acknowledged it. ' +
      '"limited by": the offered rate fell short of the target because of the load generator (at ≥ 90 % of a core, or behind ' +
      "its schedule while the devices' windows had room: it is the limit, not the stack; compare its mosquitto ceiling) or of " +
      "back-pressure (the devices' windows full of unacknowledged publishes most of the time).",
    '',
    'Rules: one threshold rule over every bench device (created over the REST API on an asset the devices are bound to) that ' +
      'fires on 5 % of the messages: each device opens an episode once per 100 messages and resolves it with the next one. ' +
      '"expected" = episodes the generator sent (breach after a clear, on samples with increasing device time, as the rule ' +
      'evaluates them); "opened" = distinct alerts of the step pushed (`alert`, change opened) to the dashboard client. ' +
      'Publish → alert opened = push received − alert.openedAt, which is the payload ts of the event that opened the episode: ' +
      'gateway, bus, pipeline, rules (its transaction), alerts.v1 and the realtime gateway. Rules lag = messages the rules ' +
      'consumer group had not processed when every event of the step was stored; "caught up" = seconds until it was 0 ' +
      '(the bench waits up to 60 s, then goes on with the next step).',
    '',
  );

  // ceilings
  if (c.mqtt || c.kafka || c.copy) {
    out.push('#### Ceilings on this machine', '', '| ceiling | msg/s | how |', '|---|---:|---|');
    if (c.mqtt)
      out.push(
        `| MQTT: mosquitto, QoS 1 (= the load generator alone) | ${n0(c.mqtt.perSec)} | ${c.mqtt.note}; generator CPU ${c.mqtt.generatorCpuPct} % of a core, PUBACK p99 ${c.mqtt.pubackP99} ms |`,
      );
    if (c.mqtt?.storm)
      out.push(
        `| MQTT connect storm: mosquitto, no auth (= the generator alone) | ${n0(c.mqtt.storm.connectsPerSec)} CONNECT/s | ${c.mqtt.storm.connected}/${c.mqtt.storm.devices} connections (bare CONNECT packets), ≤ 1000 outstanding, CONNACK p99 ${c.mqtt.storm.connackMs.p99} ms |`,
      );
    if (c.kafka) out.push(`| Kafka: raw kafkajs producer | ${n0(c.kafka.perSec)} | ${c.kafka.note} |`);
    if (c.copy) out.push(`| Store: COPY into PostgreSQL | ${n0(c.copy.perSec)} | ${c.copy.note} |`);
    out.push('');
  }

  // summary
  out.push(
    '#### Summary',
    '',
    '| backend | sustained QoS 1, zero loss (msg/s) | × mosquitto | × Kafka | × COPY | at ~5k msg/s: p99 → stored / → socket (ms) | at ~5k msg/s: p99 → alert opened (ms), rules lag, alerts | connect storm (CONNECT/s) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const b of r.backends) {
    const best = sustainedMax(b.steps);
    const v = best?.storedPerSec ?? 0;
    const at5 = stepAt(b.steps, 5000);
    const storm = b.connectStorm
      ? `${n0(b.connectStorm.connectsPerSec)} (${b.connectStorm.connected}/${b.connectStorm.devices})${c.mqtt?.storm ? `, ${ratio(b.connectStorm.connectsPerSec, c.mqtt.storm.connectsPerSec)} mosquitto` : ''}`
      : '–';
    out.push(
      `| ${b.backend} | ${best ? `${n0(v)} (step ${n0(best.rate)})` : 'none sustained'} | ${ratio(v, c.mqtt?.perSec)} | ${ratio(v, c.kafka?.perSec)} | ` +
        `${ratio(v, c.copy?.perSec)} | ${at5 ? `${at5.observer.toStored.p99} / ${at5.observer.toSocket.p99} (step ${n0(at5.rate)})` : '–'} | ` +
        `${at5 ? `${at5.observer.toAlert.n ? at5.observer.toAlert.p99 : '–'}, lag ${n0(at5.rules.lagAtStored)}, ${n0(at5.observer.alertsOpened)}/${n0(at5.rules.expected)}` : '–'} | ${storm} |`,
    );
  }
  out.push('');
  if (plotPath) out.push(`![throughput and latency against offered rate](${plotPath})`, '');

  // per backend
  for (const b of r.backends) {
    out.push(`#### ${b.backend}: ${b.engines}`, '');
    out.push(
      '| offered target | offered | stored msg/s | acked | lost | dup | drain s | PUBACK p50 / p99 ms | → stored p50 / p99 ms | → socket p50 / p99 ms | pushes seen | sustained |',
      '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|',
    );
    for (const s of b.steps) {
      out.push(
        `| ${n0(s.rate)} | ${n0(s.run.offeredPerSec)} | ${n0(s.storedPerSec)} | ${n0(s.run.acked)} | ${s.check.lost} | ${s.check.duplicates} | ` +
          `${s.drainSeconds.toFixed(1)}${s.drained ? '' : ' (timed out)'} | ${pct(s.run.pubackMs)} | ${pct(s.observer.toStored)} | ${pct(s.observer.toSocket)} | ` +
          `${n0(s.observer.received)} | ${s.sustained ? 'yes' : 'no'}${s.limitedBy ? ` (limited by ${s.limitedBy})` : ''} |`,
      );
    }
    out.push('');
    out.push(
      `Rules under load (${b.rule.describe}; lag: ${b.rule.lagHow}):`,
      '',
      '| offered target | episodes expected | alerts opened | publish → alert opened p50 / p99 ms | rules lag when stored (messages) | rules caught up s | kept up |',
      '|---:|---:|---:|---:|---:|---:|:---:|',
    );
    for (const s of b.steps) {
      out.push(
        `| ${n0(s.rate)} | ${n0(s.rules.expected)} | ${n0(s.observer.alertsOpened)} | ${pct(s.observer.toAlert)} | ${n0(s.rules.lagAtStored)} | ` +
          `${s.rules.catchUpSeconds === undefined ? `no: ${n0(s.rules.lagAtEnd)} left at the next step` : s.rules.catchUpSeconds.toFixed(1)} | ${s.rules.keptUp ? 'yes' : 'no'} |`,
      );
    }
    out.push('');
    const names = [...new Set(b.steps.flatMap((s) => s.procs.map((p) => p.name)))];
    // several processes make the stack (Kafka): their sum, to compare with the all-in-one process
    const sum = b.stackProcesses.length > 1;
    out.push(
      `CPU (% of one core, mean over the step) and peak RSS (MB) per process${sum ? ' (services Σ: the stack’s processes together; RSS summed over their peaks)' : ''}:`,
      '',
      `| offered | ${names.join(' | ')}${sum ? ' | services Σ' : ''} |`,
      `|---:|${names.map(() => '---:').join('|')}${sum ? '|---:' : ''}|`,
    );
    for (const s of b.steps) {
      const cells = names.map((nm) => {
        const p = s.procs.find((x) => x.name === nm);
        return p ? `${p.cpuPct} % · ${p.rssPeakMb} MB` : '–';
      });
      if (sum) {
        const mine = s.procs.filter((x) => b.stackProcesses.includes(x.name));
        const cpu = mine.reduce((a, x) => a + x.cpuPct, 0);
        const rss = mine.reduce((a, x) => a + x.rssPeakMb, 0);
        cells.push(`${cpu} % · ${rss} MB`);
      }
      out.push(`| ${n0(s.rate)} | ${cells.join(' | ')} |`);
    }
    out.push('');
    const genLimited = b.steps.filter((s) => s.limitedBy === 'load generator');
    if (genLimited.length)
      out.push(
        `The load generator was the limit at ${genLimited.map((s) => n0(s.rate)).join(', ')} msg/s: ` +
          `those steps measure the generator, not the stack${c.mqtt ? ` (alone against mosquitto it offered ${n0(c.mqtt.perSec)} msg/s at ${c.mqtt.generatorCpuPct} % CPU)` : ''}.`,
        '',
      );
    const errs = b.steps.flatMap((s) => s.run.errors);
    if (errs.length) out.push(`Load generator errors: ${errs.slice(0, 5).join('; ')}`, '');
    if (b.connectStorm) {
      const st = b.connectStorm;
      out.push(
        `Connect storm: ${st.devices} provisioned devices connect at once (bare MQTT 3.1.1 CONNECT packets from one process, ≤ 1000 outstanding, each token checked by the gateway, connections kept open): ` +
          `${st.connected} accepted, ${st.failed} failed in ${st.seconds.toFixed(2)} s = **${n0(st.connectsPerSec)} CONNECT/s**; ` +
          `CONNECT → CONNACK p50 ${st.connackMs.p50} ms, p99 ${st.connackMs.p99} ms.`,
        '',
      );
    }
    if (b.rollups) {
      out.push(
        'Rollup queries over the REST API (`GET /api/telemetry/aggregate`, 30 days, 3 metrics; sequential requests):',
        '',
      );
      out.push('| query | points | requests | p50 ms | p99 ms | max ms |', '|---|---:|---:|---:|---:|---:|');
      for (const q of b.rollups)
        out.push(`| ${q.query} | ${q.points} | ${q.requests} | ${q.ms.p50} | ${q.ms.p99} | ${q.ms.max} |`);
      out.push('');
    }
    if (b.outage) {
      const g = b.outage;
      out.push(
        `Kafka outage: at ${n0(g.rate)} msg/s the broker was frozen (SIGSTOP) for ${g.outageSeconds} s, then resumed. Backlog when it came back: ` +
          `${n0(g.backlogAtResume)} events (waiting on the devices: the gateway withheld their PUBACKs). ` +
          (g.catchUpSeconds === undefined
            ? '**Stored never caught up with the schedule** within the run. '
            : `Caught up in ${g.catchUpSeconds.toFixed(1)} s, storing **${n0(g.drainPerSec)} events/s = ${g.ratio.toFixed(1)}× the ingest rate**. `) +
          `Lost ${g.check.lost}, duplicates ${g.check.duplicates} (of ${n0(g.run.acked)} acknowledged).`,
        '',
      );
    }
    for (const note of b.notes) out.push(`- ${note}`);
    if (b.notes.length) out.push('');
  }
  out.push(...targets(r), '');
  return out.join('\n');
}

/** Where we stand against the issue's targets (2-core machine). */
function targets(r: BenchResult): string[] {
  const rows: string[] = ['#### Against the targets', '', '| target | measured | met |', '|---|---|:---:|'];
  const yes = (ok: boolean | undefined) => (ok === undefined ? '–' : ok ? 'yes' : 'no');
  const kafka = r.backends.find((b) => b.backend === 'kafka');
  const embedded = r.backends.find((b) => b.backend === 'embedded');
  if (kafka) {
    const v = sustainedMax(kafka.steps)?.storedPerSec ?? 0;
    const top = Math.max(...r.options.rates);
    const capped = v >= 0.9 * top ? ` (highest step offered: ${n0(top)})` : '';
    rows.push(`| Kafka + PostgreSQL sustained QoS 1 ≥ 20 000 msg/s | ${n0(v)} msg/s${capped} | ${yes(v >= 20_000)} |`);
    if (r.ceilings.mqtt)
      rows.push(
        `| … and ≥ 0.5× mosquitto | ${ratio(v, r.ceilings.mqtt.perSec)} | ${yes(v >= 0.5 * r.ceilings.mqtt.perSec)} |`,
      );
  }
  if (embedded) {
    const v = sustainedMax(embedded.steps)?.storedPerSec ?? 0;
    rows.push(`| embedded sustained ≥ 10 000 msg/s | ${n0(v)} msg/s | ${yes(v >= 10_000)} |`);
  }
  for (const b of r.backends) {
    const s = stepAt(b.steps, 5000);
    if (!s) continue;
    rows.push(
      `| ${b.backend}: p99 publish → stored ≤ 100 ms at 5k msg/s | ${s.observer.toStored.p99} ms at ${n0(s.rate)} | ${yes(s.rate === 5000 ? s.observer.toStored.p99 <= 100 && s.observer.toStored.n > 0 : undefined)} |`,
      `| ${b.backend}: p99 publish → socket ≤ 75 ms at 5k msg/s | ${s.observer.toSocket.p99} ms at ${n0(s.rate)} | ${yes(s.rate === 5000 ? s.observer.toSocket.p99 <= 75 && s.observer.toSocket.n > 0 : undefined)} |`,
    );
    const alertOk =
      s.rate === 5000 && s.observer.toAlert.n > 0
        ? s.observer.toAlert.p99 <= 250 && s.rules.catchUpSeconds !== undefined && s.rules.lagAtStored === 0
        : undefined;
    rows.push(
      `| ${b.backend}: p99 publish → alert opened ≤ 250 ms at 5k msg/s; rules lag after the step 0 | ` +
        `${s.observer.toAlert.n ? `${s.observer.toAlert.p99} ms` : 'no alert seen'} at ${n0(s.rate)}; lag ${n0(s.rules.lagAtStored)} ` +
        `(caught up ${s.rules.catchUpSeconds === undefined ? `: no, ${n0(s.rules.lagAtEnd)} left at the next step` : `in ${s.rules.catchUpSeconds.toFixed(1)} s`}); alerts ${n0(s.observer.alertsOpened)}/${n0(s.rules.expected)} | ${yes(alertOk)} |`,
    );
    if (b.connectStorm)
      rows.push(
        `| ${b.backend}: connect storm with auth ≥ 2000 CONNECT/s | ${n0(b.connectStorm.connectsPerSec)} CONNECT/s | ${yes(b.connectStorm.connectsPerSec >= 2000 && b.connectStorm.failed === 0)} |`,
      );
    for (const q of b.rollups ?? []) {
      const limit = q.query.startsWith('one device') ? 20 : 300;
      rows.push(`| ${b.backend}: ${q.query}: p99 ≤ ${limit} ms | ${q.ms.p99} ms | ${yes(q.ms.p99 <= limit)} |`);
    }
  }
  rows.push(
    '| idle devices on one gateway: 19k within 400 MB RSS | not measured here (the gateway bench, bench/src/gateway) | – |',
  );
  const outage = kafka?.outage;
  rows.push(
    outage
      ? `| backlog drain after a ${outage.outageSeconds} s Kafka outage ≥ 3× ingest | ${outage.ratio.toFixed(1)}× (${n0(outage.drainPerSec)} events/s after ${n0(outage.rate)} msg/s) | ${yes(outage.ratio >= 3 && outage.check.lost === 0)} |`
      : '| backlog drain after a 60 s Kafka outage ≥ 3× ingest | not measured in this run | – |',
  );
  return rows;
}
