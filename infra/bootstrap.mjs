#!/usr/bin/env node
// Makes `npm start` / `npm test` work on a fresh clone: installs the workspace with the
// pinned pnpm when node_modules is missing or older than the lockfile. Prints what it does.
// `bootstrap.mjs start [args]` (npm start) then builds the stack when its sources changed
// (infra/build-stack.mjs) and runs it in this process: no TypeScript loader, one node start (#23).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  console.error(`Node ${process.versions.node} is too old: this project needs Node 20.19 or newer.`);
  process.exit(1);
}

const marker = join(root, 'node_modules', '.modules.yaml');
const lock = join(root, 'pnpm-lock.yaml');
const fresh = existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs;
if (!fresh) {
  const pinned = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager; // pnpm@x.y.z
  const hasPnpm = spawnSync('pnpm', ['--version'], { stdio: 'ignore' }).status === 0;
  const [cmd, args] = hasPnpm ? ['pnpm', []] : ['npx', ['--yes', pinned]];
  console.log(`bootstrap: installing dependencies with ${hasPnpm ? 'pnpm' : pinned} (first run only)`);
  execFileSync(cmd, [...args, 'install', '--frozen-lockfile'], { cwd: root, stdio: 'inherit' });
}

if (process.argv[2] === 'start') {
  const { buildStack, stackBuildIsStale, stackMain } = await import('./build-stack.mjs');
  if (stackBuildIsStale()) {
    const started = performance.now();
    await buildStack();
    console.log(`bootstrap: stack built (${((performance.now() - started) / 1000).toFixed(1)} s, sources changed)`);
  }
  await import(pathToFileURL(stackMain).href);
}
