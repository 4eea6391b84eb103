import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the suite's figures go (one JSON line per record; SECURITY.md quotes their sums). */
export const FIGURES_FILE = join(dirname(fileURLToPath(import.meta.url)), '../../../../.tmp/security-figures.jsonl');

export interface Figures {
  tried: number;
  refused: number;
  leaked: number;
}

/** Appends one probe family's counts; `leaked` must be 0, and each test asserts so itself. */
export function record(family: string, f: Figures): void {
  mkdirSync(dirname(FIGURES_FILE), { recursive: true });
  appendFileSync(FIGURES_FILE, `${JSON.stringify({ family, ...f, at: new Date().toISOString() })}\n`, { mode: 0o600 });
}
