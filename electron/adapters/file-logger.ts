import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../core/adapters.ts';

/** Plain-text log in the data folder (logs/alertdesk.log). Secrets never reach it: nothing logs them. */
export function fileLogger(dataDir: string): Logger {
  const dir = join(dataDir, 'logs');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'alertdesk.log');
  const write = (level: string) => (message: string, data?: Record<string, unknown>) => {
    const line = `${new Date().toISOString()} ${level} ${message}${data ? ' ' + JSON.stringify(data) : ''}\n`;
    try {
      appendFileSync(file, line);
    } catch {
      // logging must never take the app down
    }
  };
  return { debug: () => undefined, info: write('INFO'), warn: write('WARN'), error: write('ERROR') };
}
