import type { MaintenanceWindow } from '../../../shared/heartbeats.ts';
import type { SourceHealth } from '../../../shared/inbound.ts';
import type { Inventory, StoredCamera, StoredMailbox } from '../inventory/inventory.ts';

/** The source id of the bench inbox (not a watched mailbox, but a source of mail all the same). */
export const BENCH_SOURCE = 'bench';

/** Why a camera's heartbeats cannot be seen right now, and whether that deserves an alert. */
export type WatchVerdict =
  | { ok: true }
  | {
      ok: false;
      reason: string;
      since: number;
      /**
       * Quiet: a configuration state (no mailbox covers the camera, its watcher stopped) or a
       * watcher still starting up after AlertDesk opened. Shown as unknown, never notified: an
       * alert is for news from the site.
       */
      quiet: boolean;
    };

/** What the watcher's state means for the heartbeats it should show. */
function notWatchingReason(title: string, health: SourceHealth | null): string {
  switch (health?.state) {
    case undefined:
      return `${title} has not connected yet: its cameras' heartbeats cannot be seen until it does.`;
    case 'catching-up':
      return `${title} is catching up on the mail that came while it was not connected.`;
    case 'reconnecting':
      return `${title} is reconnecting: heartbeats cannot be seen until it is back.`;
    case 'login-rejected':
      return `${title} rejected its login: update its password under Mailboxes; until then heartbeats cannot be seen.`;
    case 'stopped':
      return `${title} is stopped: start it under Mailboxes to see these heartbeats.`;
    default:
      return `${title} is not being read: heartbeats cannot be seen.`;
  }
}

/** A watcher that has not been watching since AlertDesk started is still starting for this long. */
export const STARTUP_GRACE_MS = 5 * 60_000;

/**
 * Lookups every camera's evaluation needs, built once per change of the inventory rather than per
 * camera: which enabled mailboxes cover each site and camera, the maintenance windows by site and
 * camera, and the site names.
 */
export class Situation {
  readonly mailboxesBySite = new Map<string, StoredMailbox[]>();
  readonly mailboxesByCamera = new Map<string, StoredMailbox[]>();
  readonly mailboxIds = new Set<string>();
  readonly mailboxTitle = new Map<string, string>();
  readonly siteName = new Map<string, string>();
  readonly windowsBySite = new Map<string, MaintenanceWindow[]>();
  readonly windowsByCamera = new Map<string, MaintenanceWindow[]>();
  readonly camerasBySite = new Map<string, StoredCamera[]>();

  constructor(inventory: Inventory) {
    for (const m of inventory.mailboxes) {
      this.mailboxIds.add(m.id);
      this.mailboxTitle.set(m.id, m.title);
      if (!m.enabled) continue;
      for (const s of m.siteIds) push(this.mailboxesBySite, s, m);
      for (const c of m.cameraIds) push(this.mailboxesByCamera, c, m);
    }
    for (const s of inventory.sites) this.siteName.set(s.id, s.name);
    for (const w of inventory.heartbeats.windows) {
      if (w.scope === 'camera' && w.cameraId) push(this.windowsByCamera, w.cameraId, w);
      else push(this.windowsBySite, w.siteId, w);
    }
    for (const c of inventory.cameras) push(this.camerasBySite, c.siteId, c);
  }

  /** The enabled mailboxes that would show the camera's mail (mailboxesCovering, from the indexes). */
  covering(camera: StoredCamera): StoredMailbox[] {
    const bySite = this.mailboxesBySite.get(camera.siteId);
    const byCamera = this.mailboxesByCamera.get(camera.id);
    if (!byCamera) return bySite ?? [];
    if (!bySite) return byCamera;
    return [...new Set([...bySite, ...byCamera])];
  }

  /** The source's name as a list shows it: the mailbox's title. */
  nameOf(sourceId: string): string {
    if (sourceId === BENCH_SOURCE) return 'Bench inbox';
    return this.mailboxTitle.get(sourceId) ?? 'a deleted mailbox';
  }

  /** The source as a sentence names it: `Mailbox "Harbour alerts"`. */
  titleOf(sourceId: string): string {
    if (sourceId === BENCH_SOURCE) return 'The bench inbox';
    const title = this.mailboxTitle.get(sourceId);
    return title ? `Mailbox "${title}"` : 'A mailbox that no longer exists';
  }

  /**
   * Whether the mailbox that would show the camera's next heartbeat is being read. That is the one
   * its last heartbeat came from when it still covers the camera, else every covering mailbox.
   * Mail from the bench inbox counts when no mailbox covers the camera.
   */
  watch(
    camera: StoredCamera,
    lastSource: string | null,
    health: (sourceId: string) => SourceHealth | null,
    startup: { at: number; now: number; watchedSinceStart: ReadonlySet<string> },
  ): WatchVerdict {
    const covering = this.covering(camera);
    let responsible: string[];
    if (lastSource && covering.some((m) => m.id === lastSource)) responsible = [lastSource];
    else if (covering.length > 0) responsible = covering.map((m) => m.id);
    else if (lastSource && !this.mailboxIds.has(lastSource)) responsible = [lastSource];
    else
      return {
        ok: false,
        reason:
          'No watched mailbox covers this camera: add its site (or the camera) to a mailbox under Mailboxes, or its heartbeats cannot be seen.',
        since: startup.at,
        quiet: true,
      };
    for (const id of responsible) {
      const h = health(id);
      if (h?.watching) continue;
      const starting =
        startup.now < startup.at + STARTUP_GRACE_MS &&
        !startup.watchedSinceStart.has(id) &&
        h?.state !== 'login-rejected';
      return {
        ok: false,
        reason: notWatchingReason(this.titleOf(id), h),
        since: h ? Date.parse(h.since) : startup.at,
        // A stopped watcher is this AlertDesk's own doing (a mailbox being restarted after an edit,
        // or a core run without watchers), not news from the site.
        quiet: starting || h?.state === 'stopped',
      };
    }
    return { ok: true };
  }

  /** The maintenance window covering now, the end of the last one that ended, the next start. */
  pauseOf(
    camera: StoredCamera,
    now: number,
  ): {
    pause: { from: number; until: number; reason: string } | null;
    resumedAt: number | null;
    nextStart: number | null;
  } {
    let pause: { from: number; until: number; reason: string } | null = null;
    let resumedAt: number | null = null;
    let nextStart: number | null = null;
    const byCamera = this.windowsByCamera.get(camera.id);
    const bySite = this.windowsBySite.get(camera.siteId);
    if (!byCamera && !bySite) return NO_WINDOW;
    for (const w of [...(byCamera ?? []), ...(bySite ?? [])]) {
      const start = Date.parse(w.startsAt);
      const end = Date.parse(w.endsAt);
      if (start <= now && now < end) {
        if (!pause) pause = { from: start, until: end, reason: w.reason };
        else
          pause = {
            from: Math.min(pause.from, start),
            until: Math.max(pause.until, end),
            reason: pause.reason || w.reason,
          };
      } else if (end <= now) resumedAt = Math.max(resumedAt ?? end, end);
      else if (start > now) nextStart = Math.min(nextStart ?? start, start);
    }
    return { pause, resumedAt, nextStart };
  }
}

const NO_WINDOW = { pause: null, resumedAt: null, nextStart: null };

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
