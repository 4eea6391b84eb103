import type { FleetStats } from './stats.js';

/** One status line: devices connected, sent, acked, errors, rate (acks/s since the previous line). */
export function formatStatus(s: FleetStats, prev: FleetStats | undefined, dtMs: number): string {
  const rate = prev && dtMs > 0 ? ((s.acked - prev.acked) * 1_000) / dtMs : 0;
  const d = s.devices;
  const waiting = [
    d.pending ? `${d.pending} pending` : '',
    d.handshaking + d.idle + d.connecting ? `${d.handshaking + d.idle + d.connecting} connecting` : '',
    d.offline ? `${d.offline} offline` : '',
    d.auth_failed ? `${d.auth_failed} refused` : '',
  ].filter(Boolean);
  const faults = [
    s.duplicatesSent ? `dup ${fmt(s.duplicatesSent)}` : '',
    s.malformedSent ? `malformed ${fmt(s.malformedSent)}` : '',
    s.replayed ? `replayed ${fmt(s.replayed)}` : '',
    s.dropped ? `dropped ${fmt(s.dropped)}` : '',
  ].filter(Boolean);
  return [
    `devices ${d.online}/${d.total} connected${waiting.length ? ` (${waiting.join(', ')})` : ''}`,
    `sent ${fmt(s.sent)}`,
    `acked ${fmt(s.acked)}`,
    `errors ${fmt(s.errors + s.authFailures)}`,
    `${fmt(Math.round(rate))} msg/s`,
    ...(s.queued ? [`queued ${fmt(s.queued)}`] : []),
    ...faults,
  ].join(' | ');
}

const fmt = (n: number) => n.toLocaleString('en-US');

export interface ProgressOptions {
  stats(): FleetStats;
  out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Redraw interval on a TTY. Default 250 ms. */
  ttyIntervalMs?: number;
  /** Line interval when not a TTY (logs, CI). Default 5 s. */
  lineIntervalMs?: number;
}

/** A live one-line status on a TTY (redrawn in place), plain periodic lines otherwise. */
export function startProgress(o: ProgressOptions): { stop(): void } {
  const tty = Boolean(o.out.isTTY);
  // Rate over the last second or so, even when the TTY redraws more often.
  const samples: { s: FleetStats; at: number }[] = [];
  const draw = () => {
    const now = Date.now();
    const s = o.stats();
    samples.push({ s, at: now });
    while (samples.length > 2 && now - (samples[1] as (typeof samples)[number]).at >= 1_000) samples.shift();
    const base = samples.length > 1 ? samples[0] : undefined;
    const line = formatStatus(s, base?.s, base ? now - base.at : 0);
    // A wrapped line could not be redrawn in place: cut it to the terminal's width.
    const width = o.out.columns ? o.out.columns - 1 : Number.POSITIVE_INFINITY;
    o.out.write(
      tty
        ? `\r\u001b[2K${line.length > width ? `${line.slice(0, width - 1)}…` : line}`
        : `${new Date(now).toISOString()} ${line}\n`,
    );
  };
  const timer = setInterval(draw, tty ? (o.ttyIntervalMs ?? 250) : (o.lineIntervalMs ?? 5_000));
  return {
    stop() {
      clearInterval(timer);
      if (tty) o.out.write('\r\u001b[2K');
    },
  };
}
