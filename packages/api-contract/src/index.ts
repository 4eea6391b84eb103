/**
 * The API's response schemas (zod), shared by services/api (route specs → OpenAPI, response
 * checks outside production) and the dashboard (`import type` of the z.infer types: no zod in
 * the bundle). No server code here: this package must stay importable by the browser.
 */
export { Alert, AlertDetail } from './alerts.js';
export { AuditEntry } from './audit.js';
export { Invite, LoggedOut, LoginResult, Registered, SessionTokens } from './auth.js';
export { Command, CommandList } from './commands.js';
export { isoString, type Page, page } from './common.js';
export { AggregatedReadings, UploadedReadings } from './compat-aggregator.js';
export { SeedAuthCheck, SeedLogin, SeedLogout, SeedMe, SeedRegistered, TokenPair } from './compat-auth.js';
export { Dispenser, DispenserLevelReport, DispenserUser, Floor, Pantry } from './compat-dispenser.js';
export { EnergyDevice, EnergyMapping, EnergyUser } from './compat-energy.js';
export {
  DeviceCommandAck,
  DeviceCommandPoll,
  Machine,
  Outlet,
  OzoneDevice,
  OzoneDevicesData,
  OzoneEvent,
  OzoneFlushed,
  OzoneLatest,
  OzoneSummary,
} from './compat-ozone.js';
export { ConflictPage, TenantConflictPage } from './conflicts.js';
export { Dashboard, DashboardLayout, DashboardSummary, Widget } from './dashboards.js';
export { DecoderTestResult, SavedDecoder, TypeDecoder } from './decoders.js';
export { DeviceType } from './device-types.js';
export {
  BulkOutcome,
  Device,
  DeviceBindingPage,
  DeviceEdgePolicy,
  DevicePage,
  type LatestValue,
  RegisteredDevice,
  RotatedToken,
} from './devices.js';
export {
  FirmwareImage,
  FirmwareImageList,
  FirmwareReportRecorded,
  Rollout,
  RolloutDetail,
  RolloutDeviceState,
  RolloutList,
} from './firmware.js';
export { Rejection, RejectionSummary } from './rejections.js';
export { Recipient, Rule, RuleTestResult } from './rules.js';
export { DesiredDocument, ReportAck, Shadow, TypeDesired } from './shadow.js';
export { Asset, Site } from './sites.js';
export { Stats, StatsOptions } from './stats.js';
export { Task, TaskDetail } from './tasks.js';
export {
  DeviceEvent,
  DeviceEventPage,
  DeviceLatestPage,
  DevicePurged,
  DeviceSummary,
  SeriesPoint,
  SeriesPoints,
  TenantPurged,
} from './telemetry.js';
export { ImportStreamLine, ImportSummary } from './telemetry-import.js';
export { Tenant } from './tenants.js';
export { Assignment, CreatedUser, PasswordReset, User } from './users.js';
