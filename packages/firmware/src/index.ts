export {
  createFirmwareReports,
  type FirmwareReport,
  type FirmwareReports,
  parseFirmwareReport,
  type ReportOutcome,
} from './reports.js';
