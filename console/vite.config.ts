import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = new URL('.', import.meta.url).pathname;

// The console is served by the Tessera server at /console (src/console); `npm run dev:console`
// serves it with hot reload and sends /v1 to a server on :8080.
export default defineConfig({
  root: here,
  base: '/console/',
  plugins: [react()],
  build: {
    outDir: new URL('../dist/console', import.meta.url).pathname,
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    proxy: { '/v1': 'http://127.0.0.1:8080' },
  },
  logLevel: 'warn',
});
