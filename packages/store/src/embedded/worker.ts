import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { Connection } from './connection.js';
import { type Database, openDatabase } from './database.js';
import type { FromWorker, ToWorker, WorkerOptions } from './protocol.js';

// The database worker: PGlite + TimescaleDB, its one session and the read-only SQL access, off
// the stack's event loop (#23). Started by index.ts; speaks protocol.ts over parentPort.
if (!parentPort) throw new Error('embedded store: worker.ts runs as a worker thread (see index.ts)');
const port: MessagePort = parentPort;
const options = workerData as WorkerOptions;
const post = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

let db: Database;
try {
  db = await openDatabase({
    dataDir: options.dataDir,
    sql: options.sql ? { ...options.sql, onEvent: (event) => post({ op: 'event', event }) } : undefined,
  });
} catch (err) {
  post({ op: 'failed', message: (err as Error).message ?? String(err), stack: (err as Error).stack });
  port.close();
  throw err;
}
const { session } = db;
const { sql } = db;
post({
  op: 'ready',
  sql: sql && { socketDir: sql.socketDir, port: sql.port, host: sql.host, passwordFile: sql.passwordFile },
});

const connections = new Map<number, Connection>();
const connection = (conn: number) => {
  let found = connections.get(conn);
  if (!found) {
    found = new Connection(session);
    connections.set(conn, found);
  }
  return found;
};

async function handle(message: ToWorker): Promise<void> {
  switch (message.op) {
    case 'write': {
      const { reply, end } = await connection(message.conn).write(message.bytes);
      post({ op: 'reply', id: message.id, bytes: reply, end }, [reply.buffer as ArrayBuffer]);
      return;
    }
    case 'reset':
      connections.delete(message.conn);
      await session.resetStack();
      break;
    case 'close-sql':
      await db.sql?.close();
      break;
    case 'close':
      connections.clear();
      await db.close();
      post({ op: 'reply', id: message.id });
      port.close(); // nothing left to do: the thread ends
      return;
  }
  post({ op: 'reply', id: message.id });
}

port.on('message', (message: ToWorker) => {
  handle(message).catch((err: unknown) =>
    post({ op: 'reply', id: message.id, error: (err as Error).message ?? String(err) }),
  );
});
