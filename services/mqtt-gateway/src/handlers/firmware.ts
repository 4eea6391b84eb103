import { type FirmwareReports, parseFirmwareReport } from '@telemetry/firmware';
import type { Logger } from '@telemetry/observability';
import type { Session } from '../session.js';

/**
 * devices/{id}/firmware (#18): a device's progress and result of a firmware rollout, recorded
 * under the session's own identity (a device can only report for itself, in its tenant). An
 * invalid, stale or unknown report is acknowledged and logged: sending it again would not make
 * it valid. A store failure rejects, so the device gets no PUBACK and resends.
 */
export function createFirmwareReportHandler(deps: { reports: FirmwareReports; logger: Logger }) {
  return async (session: Session, payload: Buffer): Promise<void> => {
    const { deviceId, tenantId } = session.identity;
    const report = parseFirmwareReport(payload);
    if ('invalid' in report) {
      deps.logger.warn({ deviceId, reason: report.invalid }, 'firmware report refused');
      return;
    }
    const outcome = await deps.reports.report(tenantId, deviceId, report);
    if (outcome !== 'recorded')
      deps.logger.info(
        { deviceId, rolloutId: report.rolloutId, state: report.state, outcome },
        'firmware report not applied',
      );
  };
}
