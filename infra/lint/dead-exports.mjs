#!/usr/bin/env node
// Dead-export check (part of `pnpm lint`): an export of a source file that no other file names is
// dead code. Text-based on purpose (no dependency, a second on this tree): a name counts as used
// when it appears as a word in any other tracked .ts/.tsx file than the one that defines it, and
// than the package index.ts files that only re-export it. Names the runtime looks up by
// convention (vitest config, default exports) are not exported by name, so they are not checked.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts', '*.tsx'], {
  encoding: 'utf8',
})
  .split('\n')
  .filter((f) => f && !f.includes('node_modules/') && !f.endsWith('.d.ts'));
const sources = files.filter(
  (f) => /^(packages|services|simulator|bench)\//.test(f) && /\/src\//.test(f) && !/\.test\.tsx?$/.test(f),
);
const text = new Map(files.map((f) => [f, readFileSync(f, 'utf8')]));

const DECL =
  /^export\s+(?:declare\s+)?(?:async\s+)?(?:function\*?|const|let|class|enum|abstract\s+class)\s+([A-Za-z_$][\w$]*)/gm;
const isReexportOnly = (f) => /(^|\/)index\.tsx?$/.test(f);

const words = new Map();
const wordsOf = (f) => {
  let set = words.get(f);
  if (!set) {
    set = new Set(text.get(f).match(/[A-Za-z_$][\w$]*/g) ?? []);
    words.set(f, set);
  }
  return set;
};

// In an index.ts, a re-export (`export { x } from`) or an import is no use; anything else is.
const stripped = new Map();
const usesIn = (f, name) => {
  if (!isReexportOnly(f)) return true;
  let body = stripped.get(f);
  if (body === undefined) {
    body = text.get(f).replace(/^(?:export|import)\s[^;]*?\sfrom\s+'[^']+';/gms, '');
    stripped.set(f, body);
  }
  return new RegExp(`\\b${name.replace('$', '\\$')}\\b`).test(body);
};

// Known before the check existed (#17): listed, so they fail nobody's lint; remove them from
// here when removing them from the code. A NEW dead export fails `pnpm lint`.
const baseline = new Set(
  readFileSync(new URL('./dead-exports.baseline.txt', import.meta.url), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#')),
);

const dead = [];
for (const f of sources) {
  if (isReexportOnly(f)) continue;
  for (const m of text.get(f).matchAll(DECL)) {
    const name = m[1];
    const used = files.some((other) => other !== f && wordsOf(other).has(name) && usesIn(other, name));
    if (!used && !baseline.has(`${f}: ${name}`)) dead.push(`${f}: ${name}`);
  }
}
if (dead.length > 0) {
  process.stderr.write(
    `dead exports (no other file uses them; remove them or the export keyword):\n  ${dead.join('\n  ')}\n`,
  );
  process.exit(1);
}
process.stdout.write(`dead exports: none (${sources.length} source files)\n`);
