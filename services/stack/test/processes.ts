// Moved to @telemetry/testing (other packages' tests run services as child processes too).
export { freePort, type Proc, ROOT, startProcess } from '@telemetry/testing';
