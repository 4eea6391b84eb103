/**
 * Times are UTC on the wire; people read and enter them in the site's IANA time zone. Intl does
 * the zone arithmetic (no tz database in the bundle).
 */

const partsCache = new Map<string, Intl.DateTimeFormat>();

function partsFormat(tz: string): Intl.DateTimeFormat {
  let f = partsCache.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    partsCache.set(tz, f);
  }
  return f;
}

/** Wall-clock fields of an instant in a zone. */
function wallFields(ms: number, tz: string): { y: number; mo: number; d: number; h: number; mi: number; s: number } {
  const p: Record<string, number> = {};
  for (const part of partsFormat(tz).formatToParts(new Date(ms))) {
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  }
  return { y: p.year ?? 0, mo: p.month ?? 1, d: p.day ?? 1, h: p.hour ?? 0, mi: p.minute ?? 0, s: p.second ?? 0 };
}

/** Offset of the zone from UTC at that instant, in ms (positive east of Greenwich). */
export function tzOffsetMs(ms: number, tz: string): number {
  const w = wallFields(ms, tz);
  const asUtc = Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s);
  return asUtc - (ms - (ms % 1000));
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** `YYYY-MM-DDTHH:mm` in the zone: the value of an `<input type="datetime-local">`. */
export function toZonedInput(ms: number, tz: string): string {
  const w = wallFields(ms, tz);
  return `${pad(w.y, 4)}-${pad(w.mo)}-${pad(w.d)}T${pad(w.h)}:${pad(w.mi)}`;
}

/**
 * The instant a wall-clock time in the zone denotes. In a DST gap the time is shifted forward;
 * in an overlap the earlier instant is taken.
 */
export function fromZonedInput(value: string, tz: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value);
  if (!m) return Number.NaN;
  const [, y, mo, d, h, mi, s] = m;
  const guess = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0));
  // The zone's offsets around that time (two at most, across a DST change); keep the candidates
  // whose wall clock reads back as the input. None: the time fell in a gap, so shift it forward
  // by the change (the offset before it). Two: an overlap, take the earlier instant.
  const before = tzOffsetMs(guess - 86_400_000, tz);
  const after = tzOffsetMs(guess + 86_400_000, tz);
  const valid = [...new Set([before, after])]
    .map((o) => guess - o)
    .filter((t) => toZonedInput(t, tz) === value.slice(0, 16) && wallFields(t, tz).s === Number(s ?? 0));
  return valid.length > 0 ? Math.min(...valid) : guess - before;
}

const fmtCache = new Map<string, Intl.DateTimeFormat>();

function dateFormat(tz: string, kind: 'datetime' | 'date' | 'time'): Intl.DateTimeFormat {
  const key = `${tz}|${kind}`;
  let f = fmtCache.get(key);
  if (!f) {
    const opts: Intl.DateTimeFormatOptions =
      kind === 'date'
        ? { dateStyle: 'medium' }
        : kind === 'time'
          ? { timeStyle: 'medium' }
          : { dateStyle: 'medium', timeStyle: 'medium' };
    f = new Intl.DateTimeFormat(undefined, { ...opts, timeZone: tz });
    fmtCache.set(key, f);
  }
  return f;
}

export function formatTs(
  value: string | number | Date | null | undefined,
  tz: string,
  kind: 'datetime' | 'date' | 'time' = 'datetime',
): string {
  if (value === null || value === undefined || value === '') return '—';
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return '—';
  return dateFormat(tz, kind).format(d);
}

/**
 * The one time rule of the dashboard (#21): an instant shown in its site's zone (the tenant's when
 * it has no site), with the zone named, so a time never reads as if it were the browser's.
 */
export function formatZoned(value: string | number | Date | null | undefined, tz: string | undefined): string {
  const zone = tz && isValidTimeZone(tz) ? tz : 'UTC';
  const text = formatTs(value, zone);
  return text === '—' ? text : `${text} ${zoneAbbrev(value as string | number | Date, zone)}`;
}

function zoneAbbrev(value: string | number | Date, tz: string): string {
  const part = new Intl.DateTimeFormat('en-GB', { timeZone: tz, timeZoneName: 'short' })
    .formatToParts(new Date(value))
    .find((p) => p.type === 'timeZoneName');
  return part?.value ?? tz;
}

/** "3 min ago": for last-seen columns. */
export function formatAgo(value: string | number | null | undefined, now = Date.now()): string {
  if (value === null || value === undefined) return 'never';
  const t = typeof value === 'number' ? value : Date.parse(value);
  if (Number.isNaN(t)) return 'never';
  const s = Math.round((now - t) / 1000);
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

/** The browser's zone, the fallback when a site has none. */
export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
