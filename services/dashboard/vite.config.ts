import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Dev server: `pnpm --filter @telemetry/dashboard dev` proxies the REST API and the Socket.IO
// gateway to a running api (API_URL, default http://127.0.0.1:8080), so the app is always
// same-origin, as it is when the api serves dist/ in the stack.
const api = process.env.API_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react()],
  // Relative asset URLs: dist/ works wherever the api mounts it.
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 400,
  },
  server: {
    proxy: {
      '/api': api,
      '/docs': api,
      '/socket.io': { target: api, ws: true },
    },
  },
});
