import { AppError } from '@telemetry/contracts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Every query is scoped by tenant; a malformed id is the caller's bug, not "no rows". */
export function assertTenant(tenantId: string): void {
  if (!UUID.test(tenantId)) {
    throw new AppError('VALIDATION_FAILED', 'tenantId must be a uuid', { details: { field: 'tenantId' } });
  }
}

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export function toDate(value: Date | string, field: string): Date {
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) {
    throw new AppError('VALIDATION_FAILED', `"${field}" is not a date`, { details: { field } });
  }
  return d;
}
