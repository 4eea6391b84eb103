import { once } from 'node:events';
import { AppError } from '@telemetry/contracts';
import type { Request, Response } from 'express';
import type pg from 'pg';
import { answerRange } from './range.js';
import { readChunk } from './repository.js';

export interface Image {
  id: string;
  size: number;
  sha256: string;
  chunkSize: number;
  version: string;
}

/**
 * Sends an image, or the byte range asked for (206 + Content-Range; 416 past the end), chunk by
 * chunk: one query per stored chunk, the next read only once the socket drained, so a slow
 * device holds neither memory nor the DB session. A dropped connection stops the reads; the
 * device resumes with `Range: bytes=<what it has>-`.
 */
export async function sendImage(db: Pick<pg.ClientBase, 'query'>, req: Request, res: Response, image: Image) {
  const etag = `"${image.sha256}"`;
  const answer = answerRange(req.headers.range, image.size, {
    etag,
    ifRange: typeof req.headers['if-range'] === 'string' ? req.headers['if-range'] : undefined,
  });
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('ETag', etag);
  res.setHeader('Cache-Control', 'private, no-transform');
  res.setHeader('X-Firmware-Version', image.version);
  res.setHeader('X-Firmware-Sha256', image.sha256);
  if (answer.kind === 'unsatisfiable') {
    res.setHeader('Content-Range', `bytes */${image.size}`);
    throw new AppError('RANGE_NOT_SATISFIABLE', `the image has ${image.size} bytes; ask for a range inside it`);
  }
  const start = answer.kind === 'partial' ? answer.start : 0;
  const end = answer.kind === 'partial' ? answer.end : image.size - 1;
  res.status(answer.kind === 'partial' ? 206 : 200);
  if (answer.kind === 'partial') res.setHeader('Content-Range', `bytes ${start}-${end}/${image.size}`);
  res.setHeader('Content-Type', 'application/octet-stream');
  res.setHeader('Content-Length', String(end - start + 1));
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  let pos = start;
  while (pos <= end && !res.destroyed) {
    const seq = Math.floor(pos / image.chunkSize);
    const offset = pos - seq * image.chunkSize;
    const len = Math.min(image.chunkSize - offset, end + 1 - pos);
    const data = await readChunk(db, image.id, seq, offset, len);
    if (data.length !== len) throw new Error(`firmware image ${image.id} chunk ${seq} is short`);
    pos += len;
    if (!res.write(data)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
  }
  res.end();
}
