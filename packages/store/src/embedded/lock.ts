import { readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const LOCK_FILE = 'embedded-store.lock';

/**
 * An exclusive lock on a data directory, held by this process's pid.
 *
 * Why: PGlite writes the directory directly (NODEFS) and, on open, replays WAL. A second
 * process opening a directory that another one is running on would corrupt it silently;
 * PGlite's own postmaster.pid is never checked. A stale lock (its pid is gone) is taken over.
 */
export async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  const file = join(dir, LOCK_FILE);
  const mine = String(process.pid);
  try {
    await writeFile(file, mine, { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const holder = Number.parseInt((await readFile(file, 'utf8').catch(() => '')).trim(), 10);
    if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) {
      throw new Error(
        `embedded store: data directory ${dir} is in use by process ${holder} (lock ${file}): stop that process or use another data directory`,
      );
    }
    await writeFile(file, mine); // stale: its process is gone
  }
  return async () => {
    const holder = await readFile(file, 'utf8').catch(() => '');
    if (holder.trim() === mine) await unlink(file).catch(() => undefined);
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: existence check only
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
