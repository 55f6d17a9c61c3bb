import { HEARTBEAT_HEALTH, type HealthSignal } from '../../../shared/health.ts';
import type { HealthService } from '../health/health.ts';
import type { HeartbeatService } from './service.ts';

/**
 * Heartbeats in the health roll-up (the Overview): every camera's heartbeat state becomes a signal
 * — up is proof the camera works, late puts it at risk, down fails it, unknown adds its reason —
 * read from the rows the monitor keeps, and health is told whenever those rows change.
 */
export function plugIntoHealth(heartbeats: HeartbeatService, health: HealthService): () => void {
  const removeSource = health.register({
    name: 'heartbeats',
    *signals(): Iterable<HealthSignal> {
      for (const row of heartbeats.monitor.rows()) {
        if (row.state === null) continue;
        const level = HEARTBEAT_HEALTH[row.state];
        if (level === null) continue;
        // Short: the Overview shows it as the reason; an unknown says which mailbox and why.
        const text = row.state === 'unknown' ? `Heartbeat unknown: ${row.detail}` : `Heartbeat ${row.state}`;
        yield { subject: 'camera', id: row.cameraId, level, text };
      }
    },
    // A heartbeat that arrived proves the camera's alert path as much as a test e-mail does.
    *lastOk() {
      for (const row of heartbeats.monitor.rows())
        if (row.lastBeatAt) yield { cameraId: row.cameraId, at: row.lastBeatAt };
    },
  });
  const off = heartbeats.onChange(() => health.changed());
  return () => {
    off();
    removeSource();
  };
}
