import { defineConfig } from 'vitest/config';

// Unit tests of the app's pure modules (no DOM needed). The browser end-to-end tests in e2e/
// run from the workspace root: `pnpm vitest run services/dashboard/e2e`.
export default defineConfig({
  test: { include: ['src/**/*.test.ts'] },
});
