import { powerMonitor } from 'electron';
import type { PowerMonitor } from '../core/adapters.ts';

/** Electron's wake-from-sleep event, for the mailbox watchers (their connections died in the sleep). */
export const electronPowerMonitor: PowerMonitor = {
  onResume(listener) {
    powerMonitor.on('resume', listener);
    return () => powerMonitor.off('resume', listener);
  },
};
