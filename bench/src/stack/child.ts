/**
 * The stack under test, as a child process of the bench: services/stack's startStack() with the
 * environment the bench chose (ports, engines), reporting its URLs and first admin over IPC.
 * Same composition as `pnpm start` (services/stack/src/main.ts), which prints them instead.
 */
import { startStack } from '@telemetry/stack';
import { serve } from '../rpc.js';

type Running = Awaited<ReturnType<typeof startStack>>;
let stack: Running | undefined;

serve(
  {
    start: async () => {
      stack = await startStack({ env: process.env, quiet: process.env.LOG_LEVEL === 'silent' });
      return { urls: stack.urls, admin: stack.admin };
    },
    close: async () => {
      const s = stack;
      stack = undefined;
      await s?.close();
      return { closed: true };
    },
  },
  async () => {
    await stack?.close();
  },
);
