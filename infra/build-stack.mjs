// The build `npm start` runs (#23): services/stack/src/main.ts and the embedded database's worker
// as plain JavaScript in services/stack/dist/, so a start loads no TypeScript loader and
// transpiles nothing (through tsx: seconds per start, and tsx again in the worker's isolate).
// Workspace code (@telemetry/*) is bundled; every other package stays external and is imported
// from node_modules where its importer would have found it (pnpm's layout is strict), so node
// runs the same files as under tsx. Rebuilt only when an input changed (stackBuildIsStale).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const stackDist = join(root, 'services', 'stack', 'dist');
export const stackMain = join(stackDist, 'main.mjs');
const inputsFile = join(stackDist, 'inputs.json');
const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

// The one module whose meaning differs in the build: where the database worker's code is (a
// TypeScript entry that registers tsx, or the bundled worker beside main.mjs).
const OVERRIDES = {
  [join(root, 'packages/store/src/embedded/worker-url.ts')]:
    "export const workerUrl = new URL('./db-worker.mjs', import.meta.url);\n",
};

/** True when there is no build or a file it was built from (or this script, or the lockfile) is newer. */
export function stackBuildIsStale() {
  if (!existsSync(stackMain) || !existsSync(inputsFile)) return true;
  const builtAt = statSync(inputsFile).mtimeMs;
  const built = JSON.parse(readFileSync(inputsFile, 'utf8'));
  if (built.root !== root) return true; // the checkout moved: the build names files by absolute path
  const inputs = [...built.inputs, 'infra/build-stack.mjs', 'pnpm-lock.yaml'];
  return inputs.some((file) => {
    try {
      return statSync(join(root, file)).mtimeMs > builtAt;
    } catch {
      return true; // an input is gone: the graph changed
    }
  });
}

/** Builds into a fresh directory and swaps it in (a running stack keeps its files; two builds do not mix). */
export async function buildStack() {
  const esbuild = await import('esbuild');
  const outdir = `${stackDist}.tmp-${process.pid}`;
  const workspace = {
    name: 'workspace-only',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (builtins.has(args.path) || args.path.startsWith('@telemetry/') || args.pluginData === 'resolving') return;
        // another package: resolved where its importer would find it, then left to node at run time
        const found = await build.resolve(args.path, {
          kind: args.kind,
          resolveDir: args.resolveDir,
          importer: args.importer,
          pluginData: 'resolving',
        });
        if (found.errors.length > 0) return { errors: found.errors };
        return { path: pathToFileURL(found.path).href, external: true };
      });
      build.onLoad({ filter: /\.[cm]?ts$/ }, async (args) => {
        let contents = OVERRIDES[args.path] ?? readFileSync(args.path, 'utf8');
        // a module that finds files beside itself (migrations, the dashboard's dist) still does
        if (contents.includes('import.meta.url') && !OVERRIDES[args.path]) {
          contents = contents.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href));
        }
        return { contents, loader: 'ts' };
      });
    },
  };
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  const result = await esbuild.build({
    entryPoints: {
      main: join(root, 'services/stack/src/main.ts'),
      'db-worker': join(root, 'packages/store/src/embedded/worker.ts'),
    },
    absWorkingDir: root,
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true, // main.ts's dynamic imports stay lazy: --help loads the config only
    format: 'esm',
    platform: 'node',
    target: 'node20',
    conditions: ['import', 'node'],
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
    plugins: [workspace],
  });
  const inputs = Object.keys(result.metafile.inputs);
  await writeFile(join(outdir, 'inputs.json'), `${JSON.stringify({ root, inputs })}\n`);
  await rm(stackDist, { recursive: true, force: true });
  await rename(outdir, stackDist).catch(async (err) => {
    if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err; // another build won the race
    await rm(outdir, { recursive: true, force: true });
  });
}
