export { uniqueName } from './ids.js';
export { kafkaBrokers } from './kafka.js';
export { checkStored, type OracleReport } from './oracle.js';
export { freePort, type Proc, ROOT, startProcess } from './process.js';
export { type DispenserTree, insertId, insertUser, seedDispenserTree } from './seed.js';
export { createTestStore, type TestStore, type TestStoreOptions } from './store.js';
export { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
export { type WaitForOptions, waitFor } from './wait-for.js';
