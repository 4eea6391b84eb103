import { createHash } from 'node:crypto';
import type { Logger } from '@telemetry/observability';
import { describeNetworkError } from './http.js';

/** The params of a `firmware_update` command (services/api/src/firmware/service.ts). */
export interface FirmwareUpdate {
  rolloutId: string;
  version: string;
  /** Absolute, or a path resolved against the API URL. */
  url: string;
  sha256: string;
  size: number;
}

/** OTA faults a test (or a demo) can ask of a simulated device. */
export interface FirmwareFaults {
  /** Drop the connection once after this many bytes of a download, then resume with Range. */
  dropAfterBytes?: number;
  /** Flip a byte of the downloaded image: the checksum check fails and the device reports failed. */
  corrupt?: boolean;
}

export interface FirmwareReportBody {
  rolloutId: string;
  state: 'downloading' | 'installing' | 'updated' | 'failed';
  bytes?: number;
  version?: string;
  error?: string;
}

export function parseFirmwareUpdate(params: unknown): FirmwareUpdate | undefined {
  const p = params as Partial<FirmwareUpdate> | undefined;
  if (!p || typeof p.rolloutId !== 'string' || typeof p.version !== 'string' || typeof p.url !== 'string') return;
  if (typeof p.sha256 !== 'string' || typeof p.size !== 'number') return;
  return { rolloutId: p.rolloutId, version: p.version, url: p.url, sha256: p.sha256, size: p.size };
}

const MAX_ATTEMPTS = 8;

/**
 * What ESP-IDF's esp_https_ota does with partial downloads enabled: GET the image with the
 * device token, and after a dropped connection GET `Range: bytes=<what it has>-` (If-Range: the
 * ETag, so a changed image restarts from zero instead of mixing two files); check size and
 * sha256, "install", report each step. Progress goes out at each quarter of the image.
 */
export async function runFirmwareUpdate(o: {
  apiUrl: string;
  token: string;
  update: FirmwareUpdate;
  faults: FirmwareFaults;
  report(r: FirmwareReportBody): Promise<void>;
  logger: Logger;
}): Promise<{ ok: true; version: string } | { ok: false; error: string }> {
  const { update, logger } = o;
  const url = new URL(update.url, o.apiUrl).toString();
  const parts: Buffer[] = [];
  let have = 0;
  let etag: string | undefined;
  let dropped = false;
  let nextReport = 0;
  const report = (r: Omit<FirmwareReportBody, 'rolloutId'>) =>
    o.report({ rolloutId: update.rolloutId, ...r }).catch((err: Error) => {
      logger.warn({ err: err.message, state: r.state }, 'firmware report not sent');
    });
  const fail = async (error: string) => {
    await report({ state: 'failed', bytes: have, error });
    return { ok: false as const, error };
  };

  for (let attempt = 1; have < update.size; attempt++) {
    if (attempt > MAX_ATTEMPTS) return fail(`download did not complete after ${MAX_ATTEMPTS} attempts`);
    const abort = new AbortController();
    const headers: Record<string, string> = { authorization: `Bearer ${o.token}` };
    if (have > 0) {
      headers.range = `bytes=${have}-`;
      if (etag) headers['if-range'] = etag;
    }
    let res: Response;
    try {
      res = await fetch(url, { headers, signal: abort.signal });
    } catch (err) {
      logger.warn({ err: describeNetworkError(err), attempt }, 'firmware download failed; retrying');
      await new Promise((r) => setTimeout(r, 200 * attempt));
      continue;
    }
    if (res.status === 200) {
      // the whole image (first request, or the server ignored the range): start over
      parts.length = 0;
      have = 0;
    } else if (res.status !== 206) {
      const text = await res.text();
      return fail(`download answered ${res.status}: ${text.slice(0, 200)}`);
    } else if (!res.headers.get('content-range')?.startsWith(`bytes ${have}-`)) {
      await res.body?.cancel();
      return fail(`download resumed at the wrong offset: ${res.headers.get('content-range')}`);
    }
    etag = res.headers.get('etag') ?? etag;
    if (have === 0) await report({ state: 'downloading', bytes: 0 });
    else logger.info({ from: have, attempt }, 'firmware download resumed');
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        parts.push(Buffer.from(chunk));
        have += chunk.length;
        if (have >= nextReport && have < update.size) {
          nextReport = have + Math.ceil(update.size / 4);
          await report({ state: 'downloading', bytes: have });
        }
        if (!dropped && o.faults.dropAfterBytes !== undefined && have >= o.faults.dropAfterBytes) {
          dropped = true;
          logger.info({ have }, 'firmware download: dropping the connection (fault)');
          abort.abort();
          break;
        }
      }
    } catch (err) {
      logger.warn({ err: describeNetworkError(err), have }, 'firmware download interrupted');
    }
    if (have > update.size) return fail(`the image is larger than announced (${have} > ${update.size} bytes)`);
  }

  const image = Buffer.concat(parts, have);
  if (o.faults.corrupt && image.length > 0) image[image.length >> 1] = (image[image.length >> 1] ?? 0) ^ 0xff;
  const sha256 = createHash('sha256').update(image).digest('hex');
  if (sha256 !== update.sha256.toLowerCase()) return fail(`sha256 mismatch: got ${sha256}, expected ${update.sha256}`);
  await report({ state: 'installing', bytes: have });
  // writing the OTA partition and rebooting, in short
  await new Promise((r) => setTimeout(r, 100));
  await report({ state: 'updated', bytes: have, version: update.version });
  return { ok: true, version: update.version };
}
