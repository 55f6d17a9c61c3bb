// Bundles the main process (ESM) and the sandboxed preload (a single CommonJS file, as sandboxed
// preloads cannot load modules) with esbuild. npm dependencies stay external for main and are
// packaged by electron-builder; the preload bundles the few it needs.
import { build } from 'esbuild';

const common = { bundle: true, platform: 'node', target: 'node24', sourcemap: true, logLevel: 'warning' };

// The sign-in apps the publisher registered at Microsoft and Google (README: "Sign-in apps"), written
// into main.js at build time; checked here so that a bad value fails the build, not every sign-in.
const { PUBLISHED_APP_VARIABLES, publishedApps } = await import('../electron/core/oauth/published.ts');
const published = Object.fromEntries(
  PUBLISHED_APP_VARIABLES.map((name) => [name, process.env[name]?.trim() ?? '']),
);
publishedApps(published);
const define = Object.fromEntries(
  Object.entries(published).map(([name, value]) => [`process.env.${name}`, JSON.stringify(value)]),
);

await build({
  ...common,
  entryPoints: ['electron/main.ts'],
  outfile: 'dist/electron/main.js',
  format: 'esm',
  packages: 'external',
  define,
});

// The delivery thread (SMTP sessions in a worker thread), loaded by main.js from beside it. CommonJS:
// Electron loads worker scripts from inside app.asar through its CommonJS loader (since Electron 18).
await build({
  ...common,
  entryPoints: ['electron/core/mail/smtp-worker.ts'],
  outfile: 'dist/electron/smtp-worker.cjs',
  format: 'cjs',
  packages: 'external',
});

// The bench inbox's parsing thread (MIME and thumbnails off the main process's event loop).
await build({
  ...common,
  entryPoints: ['electron/core/bench/bench-worker.ts'],
  outfile: 'dist/electron/bench-worker.cjs',
  format: 'cjs',
  packages: 'external',
});

// The CSV thread (camera CSV files read and checked off the main thread), CommonJS for the same reason.
await build({
  ...common,
  entryPoints: ['electron/core/inventory/camera-csv-worker.ts'],
  outfile: 'dist/electron/camera-csv-worker.cjs',
  format: 'cjs',
  packages: 'external',
});

await build({
  ...common,
  entryPoints: ['electron/preload.ts'],
  outfile: 'dist/electron/preload.cjs',
  format: 'cjs',
  external: ['electron'],
  minify: true,
});
console.log(
  'built dist/electron/main.js, dist/electron/smtp-worker.cjs, dist/electron/camera-csv-worker.cjs, dist/electron/bench-worker.cjs and dist/electron/preload.cjs',
);
