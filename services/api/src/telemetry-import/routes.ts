import { ImportStreamLine, ImportSummary } from '@telemetry/api-contract';
import { AppError } from '@telemetry/contracts';
import { z } from 'zod';
import type { ApiContext } from '../context.js';
import type { RouteTable } from '../http/route-table.js';
import { id } from '../http/validation.js';
import { writeTenant } from '../scope.js';
import { type ImportFormat, importHistory } from './service.js';

/**
 * Bulk import of history (#14 "History has a way in"). The body is a stream (text/csv or
 * application/x-ndjson); app.ts's JSON parser only takes application/json, so it reaches the
 * handler unread. `Accept: application/x-ndjson` streams progress lines, then the summary.
 */
export function registerTelemetryImportRoutes(table: RouteTable, ctx: ApiContext): void {
  table.add({
    method: 'post',
    path: '/api/telemetry/import',
    summary: 'Import history as CSV (device_id,ts,<metrics...>[,event_id]) or NDJSON; deduped like live data',
    description:
      'Rows bypass the late window; each is stored with the pipeline’s dedupe and rollups, in transactions of ' +
      '1,000 rows. A row without event_id gets a content id, so importing the same file again stores nothing twice. ' +
      'Answers {accepted, duplicates, conflicts, rejected, errors:[{line, reason}]} (the first 100 errors). ' +
      'Limits: 200 MB, 5,000,000 rows.',
    tags: ['telemetry'],
    access: 'devices:write',
    query: z.object({ tenantId: id.optional() }),
    response: ImportSummary,
    stream: { contentType: 'application/x-ndjson', line: ImportStreamLine },
    handler: async ({ req, res, query, principal }) => {
      const tenantId = writeTenant(principal, query.tenantId);
      const format = formatOf(req.headers['content-type']);
      const progress = (req.headers.accept ?? '').includes('application/x-ndjson');
      if (!progress) return importHistory(ctx.store, tenantId, format, req);
      res.status(200).type('application/x-ndjson');
      res.flushHeaders();
      try {
        const summary = await importHistory(ctx.store, tenantId, format, req, {
          onProgress: (lines) => res.write(`${JSON.stringify({ progress: { lines } })}\n`),
        });
        res.end(`${JSON.stringify(summary)}\n`);
      } catch (err) {
        // headers are gone: the failure is the last line instead of a problem+json
        const e = err instanceof AppError ? err : new AppError('INTERNAL', 'import failed');
        res.end(`${JSON.stringify({ error: { code: e.code, status: e.status, detail: e.message } })}\n`);
        if (!(err instanceof AppError)) ctx.logger.error({ err }, 'telemetry import failed');
      }
      return undefined;
    },
  });
}

function formatOf(contentType: string | undefined): ImportFormat {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'text/csv') return 'csv';
  if (type === 'application/x-ndjson') return 'ndjson';
  throw new AppError('VALIDATION_FAILED', 'Content-Type must be text/csv or application/x-ndjson', {
    details: { field: 'content-type' },
  });
}
