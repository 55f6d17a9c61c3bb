import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** The renderer: React, built into dist/renderer and served by the app from its own scheme. */
export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [react()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    target: 'chrome140',
    sourcemap: true,
    chunkSizeWarningLimit: 2000,
  },
  server: { port: 5173, strictPort: true },
});
