/**
 * `pnpm sql [-- psql args]`: read-only SQL against a running stack's embedded store, with psql.
 * Needs the stack started with STORE_SQL=true and the same DATA_DIR: it writes
 * DATA_DIR/timescaledb/sql-access.json (where to connect) and sql-password, both 0600.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '@telemetry/config';

interface AccessInfo {
  host: string;
  port?: number;
  socketDir?: string;
  user: string;
  database: string;
  passwordFile: string;
}

const config = loadConfig({ SERVICE_NAME: 'sql', LOG_LEVEL: 'silent', ...process.env });
const file = join(config.store.dataDir, 'sql-access.json');
let info: AccessInfo;
try {
  info = JSON.parse(readFileSync(file, 'utf8')) as AccessInfo;
} catch {
  process.stderr.write(
    `No SQL access at ${file}: start the stack with STORE_SQL=true (and this DATA_DIR), then run this again.\n`,
  );
  process.exit(1);
}
const host = info.socketDir ?? info.host;
const port = String(info.socketDir ? 5432 : (info.port ?? 5432));
const args = ['-h', host, '-p', port, '-U', info.user, info.database, ...process.argv.slice(2)];
if (spawnSync('psql', ['--version'], { stdio: 'ignore' }).status !== 0) {
  process.stderr.write(
    `psql is not installed (Debian/Ubuntu: apt install postgresql-client). Any PostgreSQL client that sends\n` +
      `simple queries works too: host ${host}, port ${port}, user ${info.user}, password in ${info.passwordFile}.\n`,
  );
  process.exit(1);
}
const password = readFileSync(info.passwordFile, 'utf8').trim();
const child = spawn('psql', args, { stdio: 'inherit', env: { ...process.env, PGPASSWORD: password } });
child.on('exit', (code) => process.exit(code ?? 0));
