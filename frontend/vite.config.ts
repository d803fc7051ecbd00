import { defineConfig } from 'vitest/config';

// The gateway the dev server and `vite preview` proxy /api to.
const gateway = process.env.GATEWAY_URL ?? 'http://127.0.0.1:8080';
const proxy = { '/api': { target: gateway, changeOrigin: false } };

export default defineConfig({
  // No React plugin: esbuild compiles JSX with the automatic runtime.
  esbuild: { jsx: 'automatic' },
  server: { proxy },
  preview: { proxy },
  build: {
    sourcemap: false,
    rollupOptions: {
      // TanStack Query marks its modules "use client" (for React Server
      // Components); meaningless in a SPA bundle.
      onwarn(warning, warn) {
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  test: { environment: 'node', include: ['src/**/*.test.{ts,tsx}'] },
});
