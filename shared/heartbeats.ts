import { z } from 'zod';
import type { FolderRole, WatcherState } from './inbound.ts';
import {
  CAMERA_KEY_VARIABLES,
  headerNameProblem,
  parsePattern,
  parseSenderPattern,
  variablesOf,
} from './heartbeat-pattern.ts';
import { addressList, id, isoDate, optionalText } from './validation.ts';

/**
 * Heartbeats: a camera's periodic mail, matched to it by rule, and what its silence means.
 * The model is Healthchecks.io's: a period and a grace per camera (or a daily schedule); `late`
 * once the period has passed without mail, `down` once the grace has passed too.
 */

export const HEARTBEAT_STATES = ['new', 'up', 'late', 'down', 'paused', 'unknown'] as const;
export type HeartbeatState = (typeof HEARTBEAT_STATES)[number];

/** Worst first: the table's default order and the roll-up's choice of a site's worst state. */
export const STATE_RANK: Record<HeartbeatState, number> = {
  down: 0,
  late: 1,
  unknown: 2,
  new: 3,
  paused: 4,
  up: 5,
};

/** Transitions into these are alerted; a transition out of them into `up` is alerted as a recovery. */
export const ALERTED_STATES = ['late', 'down', 'unknown'] as const satisfies readonly HeartbeatState[];
export type AlertedState = (typeof ALERTED_STATES)[number];

/** Expected at these local times every day (e.g. a Dahua "Health Mail" at 08:00). */
export interface HeartbeatSchedule {
  /** 'HH:MM', 24-hour, sorted. */
  times: string[];
  /** IANA time zone of the times (the camera's, which may not be the laptop's). */
  timeZone: string;
}

/** What a camera is expected to send. The period is the camera's `heartbeatMinutes`. */
export interface HeartbeatExpectation {
  periodMinutes: number | null;
  /** Minutes after `late` before `down`; null: the default for the period (defaultGraceMinutes). */
  graceMinutes: number | null;
  schedule: HeartbeatSchedule | null;
}

/** A quarter of the period, at least 5 minutes and at most an hour (30 minutes for schedules). */
export function defaultGraceMinutes(e: Pick<HeartbeatExpectation, 'periodMinutes' | 'schedule'>): number {
  if (e.schedule) return 30;
  if (e.periodMinutes === null) return 30;
  return Math.min(60, Math.max(5, Math.round(e.periodMinutes / 4)));
}

/** "every 60 min", "every 6 h", "daily at 08:00 (Europe/Paris)", or null when nothing is expected. */
export function expectationLabel(e: Pick<HeartbeatExpectation, 'periodMinutes' | 'schedule'>): string | null {
  if (e.schedule) return `daily at ${e.schedule.times.join(', ')} (${e.schedule.timeZone})`;
  if (e.periodMinutes === null) return null;
  return `every ${durationLabel(e.periodMinutes * 60_000)}`;
}

/** A duration in the largest units that keep it short: "45 s", "12 min", "2 h 10 min", "3 d 4 h". */
export function durationLabel(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < 60_000) return `${Math.round(abs / 1000)} s`;
  const minutes = Math.round(abs / 60_000);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

export const RULE_SCOPES = ['camera', 'site'] as const;
export type RuleScope = (typeof RULE_SCOPES)[number];

/**
 * A rule recognises a camera's mail. Every condition given must hold (sender AND subject AND
 * header); a blank condition is not checked. A camera rule gives the mail to its camera; a site
 * rule finds the camera by the %Camera_Name% (or %Serial%, %Camera_IP%) its subject or header
 * names. Variables whose value is known (the site's and camera's own fields) are compared as text.
 */
export interface HeartbeatRule {
  id: string;
  scope: RuleScope;
  siteId: string;
  /** Set for camera rules. */
  cameraId: string | null;
  /** Sender address or `*@domain`; '' = any sender. */
  from: string;
  /** Subject pattern; '' = any subject. */
  subject: string;
  /** A header that must be present with a value matching `headerValue` ('' = any value). */
  headerName: string;
  headerValue: string;
  /** `assigned`: made by assigning an unmatched message to a camera. */
  origin: 'manual' | 'assigned';
  createdAt: string;
  updatedAt: string;
}

/** A rule in words: `from cam1@site.example · subject “%Camera_Name% Health Mail *”`. */
export function ruleLabel(
  rule: Pick<HeartbeatRule, 'from' | 'subject' | 'headerName' | 'headerValue'>,
): string {
  const parts: string[] = [];
  if (rule.from) parts.push(`from ${rule.from}`);
  if (rule.subject) parts.push(`subject “${rule.subject}”`);
  if (rule.headerName)
    parts.push(`header ${rule.headerName}${rule.headerValue ? `: ${rule.headerValue}` : ''}`);
  return parts.join(' · ');
}

/** A maintenance window: the camera (or every camera of the site) is paused until `endsAt`. */
export interface MaintenanceWindow {
  id: string;
  scope: RuleScope;
  siteId: string;
  cameraId: string | null;
  startsAt: string;
  endsAt: string;
  reason: string;
  createdAt: string;
}

export interface AlertSettings {
  /** OS notifications on transitions to late/down/unknown and back. */
  notify: boolean;
  email: {
    enabled: boolean;
    connectorId: string | null;
    recipients: string[];
    /** The states whose transitions are escalated by e-mail. */
    states: AlertedState[];
    /** Also mail when cameras come back up. */
    recoveries: boolean;
  };
}

export const DEFAULT_ALERT_SETTINGS: AlertSettings = {
  notify: true,
  email: { enabled: false, connectorId: null, recipients: [], states: ['down'], recoveries: true },
};

/** Grace and schedule of one camera (its period is the camera's own `heartbeatMinutes`). */
export interface CameraExpectationConfig {
  graceMinutes: number | null;
  schedule: HeartbeatSchedule | null;
}

/** Everything about heartbeats the user configures, kept with the inventory (one document key). */
export interface HeartbeatConfig {
  rules: HeartbeatRule[];
  cameras: Record<string, CameraExpectationConfig>;
  windows: MaintenanceWindow[];
  alerts: AlertSettings;
}

/** The stored document as read back: missing or older parts filled with the defaults. */
export function normalizeHeartbeatConfig(stored: unknown): HeartbeatConfig {
  const s = (stored && typeof stored === 'object' ? stored : {}) as Partial<HeartbeatConfig>;
  return {
    rules: Array.isArray(s.rules) ? s.rules : [],
    cameras: s.cameras && typeof s.cameras === 'object' ? s.cameras : {},
    windows: Array.isArray(s.windows) ? s.windows : [],
    alerts: {
      ...DEFAULT_ALERT_SETTINGS,
      ...s.alerts,
      email: { ...DEFAULT_ALERT_SETTINGS.email, ...s.alerts?.email },
    },
  };
}

/** The mailbox that would show a camera's heartbeats, and whether it is being read right now. */
export interface HeartbeatMailbox {
  id: string;
  title: string;
  state: WatcherState | null;
  watching: boolean;
}

/** One row of the heartbeat status table. */
export interface CameraHeartbeat {
  cameraId: string;
  cameraName: string;
  siteId: string;
  siteName: string;
  /** null: no heartbeat is expected from this camera (no period, no schedule). */
  state: HeartbeatState | null;
  /** When the state became true (e.g. when the grace ran out), not when AlertDesk noticed. */
  since: string | null;
  /** The state in plain words: why it is what it is and, when it helps, what to do. */
  detail: string;
  lastBeatAt: string | null;
  /** Where the last heartbeat was found: `junk` means the camera's mail is being filed as spam. */
  lastBeatFolder: FolderRole | null;
  expectedBy: string | null;
  /** When it turns (or turned) down: expectedBy + grace. */
  downAt: string | null;
  periodMinutes: number | null;
  graceMinutes: number;
  schedule: HeartbeatSchedule | null;
  /** The typical deviation from the period, learned from the last heartbeats (null: too few). */
  jitterMinutes: number | null;
  mailboxes: HeartbeatMailbox[];
  pausedUntil: string | null;
}

export type StateCounts = Record<HeartbeatState, number>;

export interface SiteHeartbeats {
  siteId: string;
  siteName: string;
  counts: StateCounts;
  /** Cameras of the site from which no heartbeat is expected. */
  notSetUp: number;
  worst: HeartbeatState | null;
  /** The newest heartbeat of any camera of the site. */
  lastOkAt: string | null;
}

export interface HeartbeatOverview {
  cameras: CameraHeartbeat[];
  sites: SiteHeartbeats[];
  evaluatedAt: string;
}

/** A matched heartbeat, for a camera's timeline. */
export interface HeartbeatBeat {
  messageKey: string;
  receivedAt: string;
  sourceId: string;
  mailboxTitle: string;
  folder: string;
  folderRole: FolderRole;
  from: string;
  subject: string;
  ruleId: string;
  /** The rule in words ("mail from cam1@… with subject …"), or that it has since been deleted. */
  ruleLabel: string;
}

export interface HeartbeatTransition {
  at: string;
  noticedAt: string;
  from: HeartbeatState | null;
  to: HeartbeatState | null;
  cause: string;
}

export interface CameraHeartbeatDetail {
  row: CameraHeartbeat;
  beats: HeartbeatBeat[];
  transitions: HeartbeatTransition[];
  /** Rules that can give mail to this camera (its own and its site's). */
  rules: HeartbeatRule[];
  windows: MaintenanceWindow[];
  /** The median interval between the last heartbeats, when no period is set or it differs a lot. */
  suggestedPeriodMinutes: number | null;
}

/** Messages no rule gave to a camera, grouped by mailbox, sender and subject shape. */
export interface UnmatchedGroup {
  /** The newest message of the group (assigning it makes the rule). */
  messageKey: string;
  sourceId: string;
  mailboxTitle: string;
  from: string;
  fromName: string;
  subject: string;
  count: number;
  firstAt: string;
  lastAt: string;
  folderRole: FolderRole;
  /** The camera whose name the subject contains, among the cameras the mailbox covers. */
  suggestedCameraId: string | null;
}

export interface UnmatchedPage {
  groups: UnmatchedGroup[];
  /** Messages looked at (the newest, within the window). */
  scanned: number;
  messages: number;
  windowDays: number;
}

export interface RulePreview {
  scanned: number;
  matched: number;
  /** The first matches, newest first, with the camera each would be given to. */
  samples: Array<{
    messageKey: string;
    receivedAt: string;
    from: string;
    subject: string;
    cameraId: string;
    cameraName: string;
    /** Another camera this message is given to today (a conflict to look at). */
    currentCameraName: string | null;
  }>;
  /** Messages whose subject named a camera the site does not have (site rules). */
  unknownCameras: string[];
}

export interface AlertTransition {
  cameraId: string;
  cameraName: string;
  from: HeartbeatState | null;
  to: HeartbeatState;
  at: string;
}

/** One notification (and optional e-mail): the transitions of one site gathered together. */
export interface HeartbeatAlert {
  id: string;
  at: string;
  siteId: string;
  siteName: string;
  kind: 'problem' | 'recovery';
  title: string;
  body: string;
  transitions: AlertTransition[];
  notified: boolean;
  deliveryId: string | null;
  /** Why the e-mail was not sent (no connector, connector stopped…), or null. */
  emailProblem: string | null;
}

/** Pushed when cameras' heartbeat states or rows change (only the changed ones). */
export interface HeartbeatEvent {
  cameras: CameraHeartbeat[];
  removed: string[];
  sites: SiteHeartbeats[];
  alert: HeartbeatAlert | null;
}

// ─── Input schemas ─────────────────────────────────────────────────────────────────────────────

const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

export function timeZoneProblem(zone: string): string | null {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return null;
  } catch {
    return `"${zone}" is not a time zone; use a name such as Europe/Paris or America/New_York.`;
  }
}

export const ScheduleInput = z
  .object({
    times: z
      .array(z.string().regex(TIME, 'Write times as HH:MM, 24-hour (e.g. 08:00).'), {
        error: 'Times must be a list.',
      })
      .min(1, 'Add at least one time of day.')
      .max(24, 'At most 24 times a day.')
      .transform((t) => [...new Set(t)].sort()),
    timeZone: z
      .string()
      .min(1, 'Choose a time zone.')
      .max(64)
      .superRefine((v, ctx) => {
        const problem = timeZoneProblem(v);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }),
  })
  .strict();

const minutes = (label: string, max: number) =>
  z
    .number({ error: `${label} must be a number of minutes.` })
    .int(`${label} must be whole minutes.`)
    .min(1, `${label} is at least 1 minute.`)
    .max(max, `${label} is at most ${max} minutes.`);

const expectationShape = {
  periodMinutes: minutes('Period', 10080).nullable(),
  graceMinutes: minutes('Grace', 10080).nullable().default(null),
  schedule: ScheduleInput.nullable().default(null),
};

export const ExpectationInput = z.object({ cameraId: id('Camera'), ...expectationShape }).strict();
export type ExpectationInputParsed = z.output<typeof ExpectationInput>;

/** Sets the expectation of every camera of a site at once. */
export const SiteExpectationInput = z.object({ siteId: id('Site'), ...expectationShape }).strict();

const ruleShape = {
  scope: z.enum(RULE_SCOPES, { error: 'A rule is for one camera or for a whole site.' }),
  siteId: id('Site'),
  cameraId: id('Camera').nullable().default(null),
  from: z.string().max(320, 'The sender is longer than 320 characters.').default(''),
  subject: z.string().max(500, 'The subject pattern is longer than 500 characters.').default(''),
  headerName: z.string().max(100, 'The header name is longer than 100 characters.').default(''),
  headerValue: z.string().max(500, 'The header value is longer than 500 characters.').default(''),
};

/** Every field's mistake at its own field; a rule that checks nothing is refused. */
function checkRule(
  v: {
    scope: RuleScope;
    cameraId: string | null;
    from: string;
    subject: string;
    headerName: string;
    headerValue: string;
  },
  ctx: z.RefinementCtx,
): void {
  const from = parseSenderPattern(v.from);
  if (!from.ok) ctx.addIssue({ code: 'custom', message: from.message, path: ['from'] });
  const subject = parsePattern(v.subject);
  if (!subject.ok) ctx.addIssue({ code: 'custom', message: subject.message, path: ['subject'] });
  const headerProblem = headerNameProblem(v.headerName.trim());
  if (headerProblem) ctx.addIssue({ code: 'custom', message: headerProblem, path: ['headerName'] });
  const value = parsePattern(v.headerValue);
  if (!value.ok) ctx.addIssue({ code: 'custom', message: value.message, path: ['headerValue'] });
  if (v.headerValue.trim() !== '' && v.headerName.trim() === '')
    ctx.addIssue({ code: 'custom', message: 'Name the header whose value this is.', path: ['headerName'] });
  if (v.from.trim() === '' && v.subject.trim() === '' && v.headerName.trim() === '')
    ctx.addIssue({
      code: 'custom',
      message: 'Give a sender, a subject pattern or a header: a rule without any would take every message.',
      path: ['from'],
    });
  if (v.scope === 'camera' && !v.cameraId)
    ctx.addIssue({ code: 'custom', message: 'Choose the camera this rule is for.', path: ['cameraId'] });
  if (v.scope === 'site' && subject.ok && value.ok) {
    const named = [...variablesOf(subject.pattern), ...variablesOf(value.pattern)].some((n) =>
      (CAMERA_KEY_VARIABLES as readonly string[]).includes(n),
    );
    if (!named)
      ctx.addIssue({
        code: 'custom',
        message:
          'A site rule must say which camera sent the mail: put %Camera_Name% (or %Serial%, %Camera_IP%) in the subject pattern or the header value.',
        path: ['subject'],
      });
  }
}

export const RuleFields = z.object(ruleShape).strict().superRefine(checkRule);
export type RuleFieldsInput = z.input<typeof RuleFields>;
export type RuleFieldsParsed = z.output<typeof RuleFields>;
export const RuleUpdate = z
  .object({ ...ruleShape, id: id('Rule') })
  .strict()
  .superRefine(checkRule);

export const RuleList = z
  .object({ siteId: id('Site').optional(), cameraId: id('Camera').optional() })
  .strict()
  .optional();

export const AssignInput = z
  .object({
    messageKey: z.string().min(1, 'Choose a message.').max(1000),
    cameraId: id('Camera'),
    from: ruleShape.from,
    subject: ruleShape.subject,
    headerName: ruleShape.headerName,
    headerValue: ruleShape.headerValue,
  })
  .strict()
  .superRefine((v, ctx) => checkRule({ ...v, scope: 'camera' }, ctx));

export const UnmatchedQuery = z
  .object({
    sourceId: z.string().max(64).optional(),
    days: z.number().int().min(1).max(90).default(7),
  })
  .strict()
  .optional();

export const PauseInput = z
  .object({
    scope: z.enum(RULE_SCOPES),
    siteId: id('Site'),
    cameraId: id('Camera').nullable().default(null),
    startsAt: isoDate().optional(),
    endsAt: isoDate(),
    reason: optionalText('Reason', 500),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.scope === 'camera' && !v.cameraId)
      ctx.addIssue({ code: 'custom', message: 'Choose the camera to pause.', path: ['cameraId'] });
    if (v.startsAt && Date.parse(v.endsAt) <= Date.parse(v.startsAt))
      ctx.addIssue({ code: 'custom', message: 'The end must be after the start.', path: ['endsAt'] });
  });

export const CameraRef = z.object({ cameraId: id('Camera') }).strict();

export const AlertSettingsInput = z
  .object({
    notify: z.boolean(),
    email: z
      .object({
        enabled: z.boolean(),
        connectorId: id('Connector').nullable(),
        recipients: addressList('Recipient', { max: 20 }),
        states: z.array(z.enum(ALERTED_STATES)).max(3),
        recoveries: z.boolean(),
      })
      .strict()
      .superRefine((v, ctx) => {
        if (!v.enabled) return;
        if (!v.connectorId)
          ctx.addIssue({
            code: 'custom',
            message: 'Choose the connector that sends the alert e-mails.',
            path: ['connectorId'],
          });
        if (v.recipients.length === 0)
          ctx.addIssue({ code: 'custom', message: 'Add at least one recipient.', path: ['recipients'] });
        if (v.states.length === 0)
          ctx.addIssue({
            code: 'custom',
            message: 'Choose at least one state to escalate (down, late or unknown).',
            path: ['states'],
          });
      }),
  })
  .strict();

export const AlertQuery = z
  .object({ limit: z.number().int().min(1).max(500).default(100) })
  .strict()
  .optional();

export const ProposeInput = z
  .object({ messageKey: z.string().min(1, 'Choose a message.').max(1000), cameraId: id('Camera') })
  .strict();

export const WindowList = z
  .object({ siteId: id('Site').optional() })
  .strict()
  .optional();

/**
 * The heartbeat settings as a backup carries them, checked with the rules the forms use (a rule
 * whose pattern no longer parses, a window that ends before it starts, are refused).
 */
export const HeartbeatConfigSchema = z
  .object({
    rules: z
      .array(
        z
          .object({
            ...ruleShape,
            id: id('Rule'),
            origin: z.enum(['manual', 'assigned']),
            createdAt: isoDate(),
            updatedAt: isoDate(),
          })
          .strict()
          .superRefine(checkRule),
      )
      .max(200_000),
    cameras: z.record(
      id('Camera'),
      z
        .object({ graceMinutes: minutes('Grace', 10080).nullable(), schedule: ScheduleInput.nullable() })
        .strict(),
    ),
    windows: z
      .array(
        z
          .object({
            id: id('Window'),
            scope: z.enum(RULE_SCOPES),
            siteId: id('Site'),
            cameraId: id('Camera').nullable(),
            startsAt: isoDate(),
            endsAt: isoDate(),
            reason: optionalText('Reason', 500),
            createdAt: isoDate(),
          })
          .strict()
          .refine((w) => Date.parse(w.endsAt) > Date.parse(w.startsAt), 'A window ends after it starts.'),
      )
      .max(100_000),
    alerts: AlertSettingsInput,
  })
  .strict();
