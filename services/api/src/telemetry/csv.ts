import { once } from 'node:events';
import type { Response } from 'express';

/** RFC 4180 field: quoted when it holds a comma, quote or line break; formulas defused for spreadsheets. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s = typeof value === 'object' ? JSON.stringify(value) : String(value);
  // a cell starting with = + - @ is a formula in Excel/Sheets (CSV injection), and so is one after a
  // leading TAB or CR, which spreadsheets strip (OWASP CSV injection); numbers stay numbers
  if (/^[=+\-@\t\r]/.test(s) && Number.isNaN(Number(s))) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function csvLine(fields: unknown[]): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}

export function startCsv(res: Response, filename: string): void {
  res.status(200);
  res.setHeader('Content-Type', 'text/csv; charset=utf-8');
  res.setHeader('Content-Disposition', `attachment; filename="${filename.replace(/[^\w.-]/g, '_')}"`);
  res.setHeader('Cache-Control', 'no-store');
}

/**
 * Writes and waits for 'drain' when the socket buffer is full: a slow client slows the reader
 * instead of making the server buffer the whole export. False when the client went away.
 */
export async function writeWithBackpressure(res: Response, chunk: string): Promise<boolean> {
  if (res.destroyed || res.writableEnded) return false;
  if (res.write(chunk)) return true;
  // wait for whichever comes first, then drop the other listener (events.once keeps it otherwise)
  const ac = new AbortController();
  try {
    return await Promise.race([
      once(res, 'drain', { signal: ac.signal }).then(() => true),
      once(res, 'close', { signal: ac.signal }).then(() => false),
    ]);
  } catch {
    return false; // 'error' on the response: the client is gone
  } finally {
    ac.abort();
  }
}
