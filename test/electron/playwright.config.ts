import { defineConfig } from '@playwright/test';

/** Launches the real Electron app where an Electron binary is installed. */
export default defineConfig({
  testDir: '.',
  testMatch: /.*\.spec\.ts/,
  outputDir: '../../test-results/electron-artifacts',
  workers: 1,
  timeout: 60_000,
  // The summary comes last: it is the final line of `npm test`.
  reporter: [['list'], ['./summary-reporter.ts']],
});
