import { Notification, type BrowserWindow } from 'electron';
import type { Notifier } from '../core/adapters.ts';

/**
 * Heartbeat alerts as OS notifications (Electron's Notification). Clicking one brings the app's
 * window forward. Shown notifications are held until closed: one collected by the garbage
 * collector loses its click handler on some platforms.
 */
export function electronNotifier(window: () => BrowserWindow | null): Notifier {
  const shown = new Set<Notification>();
  return {
    notify({ title, body, urgent }) {
      // Thrown, the alert is recorded as not shown (and still e-mailed when asked).
      if (!Notification.isSupported()) throw new Error('This system does not support notifications.');
      const notification = new Notification({
        title,
        body,
        urgency: urgent ? 'critical' : 'normal',
        timeoutType: urgent ? 'never' : 'default',
      });
      shown.add(notification);
      notification.on('close', () => shown.delete(notification));
      notification.on('click', () => {
        const w = window();
        if (!w) return;
        if (w.isMinimized()) w.restore();
        w.focus();
      });
      notification.show();
    },
  };
}
