import { normalizeText, parsePattern } from '../../../shared/heartbeat-pattern.ts';
import type {
  HeartbeatRule,
  RuleFieldsParsed,
  RulePreview,
  UnmatchedGroup,
  UnmatchedPage,
} from '../../../shared/heartbeats.ts';
import type { InboundMessage } from '../../../shared/inbound.ts';
import { AppError, notFound } from '../../../shared/result.ts';
import type { InboundHub } from '../inbound/hub.ts';
import type { Inventory, StoredCamera } from '../inventory/inventory.ts';
import type { HeartbeatSettings } from './config.ts';
import { RuleMatcher, type Miss } from './matcher.ts';
import type { HeartbeatMonitor } from './monitor.ts';
import { BENCH_SOURCE } from './situation.ts';
import type { HeartbeatStore } from './store.ts';

const DAY = 86_400_000;
/** Messages a preview or the unmatched list looks at: the newest, within the window. */
export const SCAN_LIMIT = 5000;
const SAMPLES = 50;
const GROUPS = 500;

export interface MailMatchingDeps {
  inventory: Inventory;
  inbound: InboundHub;
  store: HeartbeatStore;
  settings: HeartbeatSettings;
  monitor: HeartbeatMonitor;
  now: () => number;
}

/** Dates, times (ISO too) and counters in a subject: they change from one heartbeat to the next. */
const VARYING = /\d[\d:/.-]*(?:T\d[\d:.]*(?:Z|[+-]\d\d:?\d\d)?)?/g;

const escapeLiteral = (text: string) => text.replace(/[\\*%]/g, (c) => `\\${c}`);

/**
 * A subject pattern proposed from one message: the camera's and site's names become their
 * variables, dates, times and numbers become `*`, the rest stays as written. Falls back to the
 * subject as literal text if the result would not parse.
 */
export function proposeSubject(subject: string, cameraName: string, siteName: string): string {
  const lower = subject.toLowerCase();
  const spans: Array<{ start: number; end: number; text: string }> = [];
  for (const [name, variable] of [
    [cameraName, '%Camera_Name%'],
    [siteName, '%Site_Name%'],
  ] as const) {
    const needle = name.trim().toLowerCase();
    if (needle === '' || needle.length !== name.trim().length) continue;
    let at = lower.indexOf(needle);
    while (at >= 0) {
      if (!spans.some((s) => at < s.end && at + needle.length > s.start))
        spans.push({ start: at, end: at + needle.length, text: variable });
      at = lower.indexOf(needle, at + needle.length);
    }
  }
  spans.sort((a, b) => a.start - b.start);
  let out = '';
  let pos = 0;
  const literal = (text: string) => escapeLiteral(text).replace(VARYING, '*');
  for (const span of spans) {
    out += literal(subject.slice(pos, span.start)) + span.text;
    pos = span.end;
  }
  out += literal(subject.slice(pos));
  out = out.replace(/\*(\s*\*)+/g, '*');
  return parsePattern(out).ok ? out : escapeLiteral(subject);
}

/** The shape of a subject for grouping: numbers (dates, times, counters) do not tell messages apart. */
const shapeOf = (subject: string) => normalizeText(subject).replace(VARYING, '#');

/**
 * Mail and rules side by side: what a rule would match among recent mail (before it is saved),
 * which recent messages no rule gives to a camera (grouped), and assigning one of them to a
 * camera — which saves the rule that makes it, and every message like it, that camera's.
 */
export class MailMatching {
  private readonly deps: MailMatchingDeps;

  constructor(deps: MailMatchingDeps) {
    this.deps = deps;
  }

  private recent(days: number, sourceId?: string): InboundMessage[] {
    const since = this.deps.now() - days * DAY;
    return this.deps.inbound
      .query({ since, limit: SCAN_LIMIT, ...(sourceId ? { sourceId } : {}) })
      .filter((m) => m.token === null);
  }

  private lookup() {
    const inv = this.deps.inventory;
    const situation = this.deps.monitor.situation();
    return {
      camera: (id: string) => inv.camera(id),
      site: (id: string) => inv.site(id),
      camerasOfSite: (id: string) => situation.camerasBySite.get(id) ?? [],
    };
  }

  preview(input: RuleFieldsParsed, days = 7): RulePreview {
    const fields = this.deps.settings.checkRule(input);
    const rule: HeartbeatRule = {
      id: 'preview',
      ...fields,
      origin: 'manual',
      createdAt: '',
      updatedAt: '',
    };
    const matcher = new RuleMatcher([rule], this.lookup());
    const messages = this.recent(days);
    const current = this.deps.store.beatsOf(messages.map((m) => m.key));
    const unknown = new Set<string>();
    const miss = (m: Miss) => {
      if (m.named && unknown.size < 20) unknown.add(m.named);
    };
    const preview: RulePreview = { scanned: messages.length, matched: 0, samples: [], unknownCameras: [] };
    for (const m of messages) {
      const found = matcher.match(m, () => this.deps.inbound.headerFields(m.key), miss);
      if (!found) continue;
      preview.matched++;
      if (preview.samples.length >= SAMPLES) continue;
      const now = current.get(m.key);
      preview.samples.push({
        messageKey: m.key,
        receivedAt: m.receivedAt,
        from: m.from,
        subject: m.subject,
        cameraId: found.cameraId,
        cameraName: this.deps.inventory.camera(found.cameraId)?.name ?? '',
        currentCameraName:
          now && now.cameraId !== found.cameraId
            ? (this.deps.inventory.camera(now.cameraId)?.name ?? null)
            : null,
      });
    }
    preview.unknownCameras = [...unknown];
    return preview;
  }

  unmatched(days: number, sourceId?: string): UnmatchedPage {
    const messages = this.recent(days, sourceId);
    const matched = this.deps.store.beatsOf(messages.map((m) => m.key));
    const situation = this.deps.monitor.situation();
    const groups = new Map<string, UnmatchedGroup>();
    let count = 0;
    for (const m of messages) {
      if (matched.has(m.key)) continue;
      if (m.sourceId !== BENCH_SOURCE && !situation.mailboxIds.has(m.sourceId)) continue;
      count++;
      const key = `${m.sourceId}\u0000${m.from}\u0000${shapeOf(m.subject)}`;
      const group = groups.get(key);
      if (group) {
        // Newest first: the first message seen is the group's newest.
        group.count++;
        group.firstAt = m.receivedAt;
        continue;
      }
      if (groups.size >= GROUPS) continue;
      groups.set(key, {
        messageKey: m.key,
        sourceId: m.sourceId,
        mailboxTitle: situation.nameOf(m.sourceId),
        from: m.from,
        fromName: m.fromName,
        subject: m.subject,
        count: 1,
        firstAt: m.receivedAt,
        lastAt: m.receivedAt,
        folderRole: m.folderRole,
        suggestedCameraId: this.suggest(m),
      });
    }
    return { groups: [...groups.values()], scanned: messages.length, messages: count, windowDays: days };
  }

  /** The camera whose name the subject (or sender) contains, among those the mailbox covers; longest name wins. */
  private suggest(message: InboundMessage): string | null {
    const situation = this.deps.monitor.situation();
    const inv = this.deps.inventory;
    const mailbox = inv.mailbox(message.sourceId);
    const candidates: readonly StoredCamera[] = mailbox
      ? [
          ...mailbox.siteIds.flatMap((s) => situation.camerasBySite.get(s) ?? []),
          ...mailbox.cameraIds.flatMap((id) => inv.camera(id) ?? []),
        ]
      : inv.cameras;
    const text = `${normalizeText(message.subject)} ${message.from}`;
    let best: StoredCamera | null = null;
    for (const c of candidates) {
      const name = normalizeText(c.name);
      if (name.length < 3 || !text.includes(name)) continue;
      if (!best || name.length > normalizeText(best.name).length) best = c;
    }
    return best?.id ?? null;
  }

  /** The rule assigning this message to this camera would be: its sender and its subject's shape. */
  propose(messageKey: string, cameraId: string): { from: string; subject: string; preview: RulePreview } {
    const message = this.deps.inbound.get(messageKey);
    if (!message) throw notFound('Message', messageKey);
    const camera = this.deps.inventory.camera(cameraId);
    if (!camera) throw new AppError('invalid-input', 'Choose an existing camera.', 'cameraId');
    const site = this.deps.inventory.site(camera.siteId);
    const subject = proposeSubject(message.subject, camera.name, site?.name ?? '');
    const fields = {
      scope: 'camera' as const,
      siteId: camera.siteId,
      cameraId,
      from: message.from,
      subject,
      headerName: '',
      headerValue: '',
    };
    return { from: message.from, subject, preview: this.preview(fields) };
  }

  /** Saves the camera rule the integrator confirmed, after checking that it takes the message assigned. */
  assign(input: {
    messageKey: string;
    cameraId: string;
    from: string;
    subject: string;
    headerName: string;
    headerValue: string;
  }): { rule: HeartbeatRule; matched: number } {
    const message = this.deps.inbound.get(input.messageKey);
    if (!message) throw notFound('Message', input.messageKey);
    const camera = this.deps.inventory.camera(input.cameraId);
    if (!camera) throw new AppError('invalid-input', 'Choose an existing camera.', 'cameraId');
    const { messageKey: _key, ...conditions } = input;
    const fields: RuleFieldsParsed = { scope: 'camera', siteId: camera.siteId, ...conditions };
    const probe: HeartbeatRule = {
      id: 'probe',
      ...this.deps.settings.checkRule(fields),
      origin: 'assigned',
      createdAt: '',
      updatedAt: '',
    };
    if (
      !new RuleMatcher([probe], this.lookup()).match(message, () =>
        this.deps.inbound.headerFields(message.key),
      )
    )
      throw new AppError(
        'invalid-input',
        `This rule would not take the message you are assigning ("${message.subject}" from ${message.from}): loosen the sender or the subject pattern.`,
        input.subject ? 'subject' : 'from',
      );
    const rule = this.deps.monitor.because(`Message assigned to ${camera.name}`, () =>
      this.deps.settings.createRule(fields, 'assigned'),
    );
    return { rule, matched: this.deps.store.countByRule(rule.id) };
  }
}
