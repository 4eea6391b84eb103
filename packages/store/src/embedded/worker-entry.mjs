// The worker thread's entry: the workspace runs TypeScript sources through tsx, and a worker
// does not inherit the parent's loader (neither under `node --import tsx` nor under vitest).
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
