import { counter, histogram, type Registry } from '@telemetry/observability';
import type { RequestHandler } from 'express';

/** Request count and latency per method, route pattern (never the raw URL: bounded labels) and status. */
export function httpMetrics(registry: Registry): RequestHandler {
  const requests = counter(registry, 'api_http_requests_total', 'HTTP requests answered by the API', [
    'method',
    'route',
    'status',
  ]);
  const duration = histogram(registry, 'api_http_request_duration_seconds', 'HTTP request latency', [
    'method',
    'route',
  ]);
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const route = (req.route?.path as string | undefined) ?? (res.statusCode === 404 ? 'unmatched' : 'other');
      requests.inc({ method: req.method, route, status: String(res.statusCode) });
      duration.observe({ method: req.method, route }, Number(process.hrtime.bigint() - start) / 1e9);
    });
    next();
  };
}
