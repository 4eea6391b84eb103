import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The node side of the dashboard package: where the built web app is, for the api to serve
 * (`createApi({ staticDir: dashboardDir })`), and a build for whoever needs it fresh (the stack
 * on a first start, the browser tests).
 */
const root = dirname(fileURLToPath(import.meta.url));

/** The built app (`pnpm --filter @telemetry/dashboard build`): index.html and assets/. */
export const dashboardDir = join(root, 'dist');

const SOURCES = ['src', 'index.html', 'vite.config.ts', 'package.json'];

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** True when dist/ is missing or older than a source file. */
export function dashboardIsStale(): boolean {
  const built = join(dashboardDir, 'index.html');
  if (!existsSync(built)) return true;
  const builtAt = statSync(built).mtimeMs;
  return SOURCES.some((s) => existsSync(join(root, s)) && newestMtime(join(root, s)) > builtAt);
}

/**
 * Builds the app with Vite when dist/ is missing or stale (a few seconds); returns dashboardDir.
 * Builds into a fresh directory and swaps it in, so a concurrent reader never sees a half-written
 * dist/ and two concurrent builds do not clobber each other. Needs the package's dev dependencies
 * (vite): a production image builds once at image build time instead.
 */
export async function ensureDashboardBuilt(opts: { force?: boolean } = {}): Promise<string> {
  if (!opts.force && !dashboardIsStale()) return dashboardDir;
  const outDir = join(root, `dist.tmp-${process.pid}-${Date.now()}`);
  try {
    await viteBuild(outDir);
    await rm(dashboardDir, { recursive: true, force: true });
    await rename(outDir, dashboardDir).catch(async (err: NodeJS.ErrnoException) => {
      // another build won the race: its output is as fresh as ours
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
    });
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
  return dashboardDir;
}

/**
 * `vite build` in a child process with NODE_ENV=production: a test runner's NODE_ENV=test would
 * otherwise give React's development build, and the build's memory is returned when it exits.
 */
function viteBuild(outDir: string): Promise<void> {
  const vitePkg = createRequire(join(root, 'package.json')).resolve('vite/package.json');
  const viteBin = join(dirname(vitePkg), 'bin', 'vite.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [viteBin, 'build', '--logLevel', 'warn', '--outDir', outDir], {
      cwd: root,
      env: { ...process.env, NODE_ENV: 'production' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`vite build exited with ${code}`))));
  });
}
