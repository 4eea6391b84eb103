import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checksum, readMigrationFiles } from './migration-files.js';

describe('readMigrationFiles', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function folder(files: Record<string, string>): Promise<string> {
    dir = await mkdtemp(join(tmpdir(), 'migration-files-'));
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
    return dir;
  }

  it('orders by number, the plain file before its .timescale.sql, and ignores non-SQL files', async () => {
    const files = await readMigrationFiles(
      await folder({
        '0010_later.sql': '',
        '0002_b.timescale.sql': '',
        '0002_b.sql': '',
        '0001_a.sql': '',
        'README.md': '',
      }),
    );
    expect(files.map((f) => [f.name, f.timescale])).toEqual([
      ['0001_a.sql', false],
      ['0002_b.sql', false],
      ['0002_b.timescale.sql', true],
      ['0010_later.sql', false],
    ]);
  });

  it('rejects a misnamed SQL file and a number used twice', async () => {
    await expect(readMigrationFiles(await folder({ 'init.sql': '' }))).rejects.toThrow(/init\.sql .*NNNN_name\.sql/);
    await rm(dir as string, { recursive: true });
    await expect(readMigrationFiles(await folder({ '0001_a.sql': '', '0001_b.sql': '' }))).rejects.toThrow(
      /share the number 0001/,
    );
  });

  it('names the folder it cannot read', async () => {
    await expect(readMigrationFiles('/nonexistent/migrations')).rejects.toThrow(/\/nonexistent\/migrations/);
  });

  it('does not count line endings as a change', () => {
    expect(checksum('SELECT 1;\r\nSELECT 2;\r\n')).toBe(checksum('SELECT 1;\nSELECT 2;\n'));
    expect(checksum('SELECT 1;')).not.toBe(checksum('SELECT 2;'));
  });
});
