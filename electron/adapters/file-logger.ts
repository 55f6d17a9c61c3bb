import log from 'electron-log/node';
import { join } from 'node:path';
import type { Logger } from '../core/adapters.ts';
import { makePrivateDir, PRIVATE_FILE } from '../core/store/data-folder.ts';

/** A log file grows to this size, then becomes `alertdesk.old.log` (replacing the previous one). */
export const LOG_MAX_BYTES = 2 * 1024 * 1024;

/**
 * The app's log in the data folder (logs/alertdesk.log), written through electron-log: one line per
 * event, synchronously (a crash loses no line), readable by the owner only, rotated at
 * LOG_MAX_BYTES so it never grows without bound. Secrets never reach it: nothing logs them.
 */
export function fileLogger(dataDir: string, maxBytes = LOG_MAX_BYTES): Logger {
  const dir = join(dataDir, 'logs');
  makePrivateDir(dir);
  const file = join(dir, 'alertdesk.log');
  const logger = log.create({ logId: `alertdesk:${file}` });
  logger.transports.console.level = false;
  const transport = logger.transports.file;
  transport.resolvePathFn = () => file;
  transport.maxSize = maxBytes;
  transport.sync = true;
  transport.writeOptions = { flag: 'a', mode: PRIVATE_FILE, encoding: 'utf8' };
  // A function rather than a template: the line is already text, and templating it costs more.
  transport.format = ({ data, level, message }) => [
    `${(message.date ?? new Date()).toISOString()} ${level} ${data.join(' ')}`,
  ];
  const write =
    (level: 'info' | 'warn' | 'error') =>
    (message: string, data?: Record<string, unknown>): void => {
      try {
        logger[level](data ? `${message} ${JSON.stringify(data)}` : message);
      } catch {
        // logging must never take the app down
      }
    };
  return { debug: () => undefined, info: write('info'), warn: write('warn'), error: write('error') };
}
