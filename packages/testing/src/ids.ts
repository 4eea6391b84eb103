import { randomBytes } from 'node:crypto';

/** A short unique name for a test's own topics, groups and databases. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}
