import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface MigrationFile {
  /** The file name, recorded in schema_migrations: `0001_init.sql`, `0001_init.timescale.sql`. */
  name: string;
  version: number;
  /** Runs only where TimescaleDB is installed. */
  timescale: boolean;
  sql: string;
  /** sha256 of the text with line endings normalized, so a CRLF checkout is not a "change". */
  checksum: string;
}

const FILE_NAME = /^(\d+)_[\w-]+?(\.timescale)?\.sql$/;

/**
 * Reads a migrations folder, in the order to apply: by number, the plain file before the
 * `.timescale.sql` file of the same number. Files not ending in `.sql` (a README) are ignored;
 * a misnamed `.sql` file or a number used twice is an error, not a silent skip.
 */
export async function readMigrationFiles(dir: string): Promise<MigrationFile[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => name.endsWith('.sql'));
  } catch (err) {
    throw new Error(`migrations folder ${dir} cannot be read: ${(err as Error).message}`, { cause: err });
  }
  const files: MigrationFile[] = [];
  const seen = new Map<string, string>();
  for (const name of names) {
    const match = FILE_NAME.exec(name);
    if (!match) throw new Error(`migration ${name} in ${dir}: name it NNNN_name.sql or NNNN_name.timescale.sql`);
    const version = Number(match[1]);
    const timescale = match[2] !== undefined;
    const slot = `${version}${timescale ? '.timescale' : ''}`;
    const other = seen.get(slot);
    if (other) throw new Error(`migrations ${other} and ${name} in ${dir} share the number ${match[1]}`);
    seen.set(slot, name);
    const sql = await readFile(join(dir, name), 'utf8');
    files.push({ name, version, timescale, sql, checksum: checksum(sql) });
  }
  return files.sort((a, b) => a.version - b.version || Number(a.timescale) - Number(b.timescale));
}

export function checksum(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
}
