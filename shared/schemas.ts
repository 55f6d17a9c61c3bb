import { z } from 'zod';
import {
  ARRIVAL_SETTINGS_SHAPE,
  ARRIVAL_STATES,
  DEFAULT_ARRIVAL_SETTINGS,
  RUN_ARRIVAL_OPTIONS,
} from './arrival.ts';
import { DELIVERY_KINDS, DELIVERY_SORT_COLUMNS, DELIVERY_STATUSES } from './delivery.ts';
import { AUTH_METHODS, HANDOVER_STATES, SECURITY_MODES } from './domain.ts';
import { holdsSecret } from './javamail.ts';
import { DEFAULT_SUBJECT_TEMPLATE } from './subject.ts';
import { APP_PASSWORD_STATUSES, PROVIDERS } from './vault.ts';
import { FAILURE_CLASSES } from './failures.ts';
import {
  addressList,
  base64Problem,
  emailAddress,
  headerText,
  host,
  hostProblem,
  id,
  optionalEmailAddress,
  optionalText,
  port,
  requiredText,
} from './validation.ts';

/** Input schemas, one per call of the contract. Every payload crossing IPC is parsed by one of these. */

export const NoInput = z.undefined().or(z.object({}).strict());

export const ById = z.object({ id: id() }).strict();

// ─── Sites ─────────────────────────────────────────────────────────────────────────────────────

export const SiteFields = z
  .object({
    name: requiredText('Site name', 120),
    customer: optionalText('Customer', 200),
    address: optionalText('Address', 500),
    contact: optionalText('Contact', 500),
    notes: optionalText('Notes', 5000),
    handover: z
      .enum(HANDOVER_STATES, { error: 'Handover state must be "commissioning" or "handed-over".' })
      .default('commissioning'),
  })
  .strict();
export type SiteInput = z.input<typeof SiteFields>;

export const SiteUpdate = SiteFields.extend({ id: id('Site') }).strict();
export type SiteUpdateInput = z.input<typeof SiteUpdate>;

export const SiteRemove = z
  .object({
    id: id('Site'),
    /** What to do with the site's connectors; required when it has any. */
    connectors: z
      .enum(['delete', 'move'], { error: 'Choose whether to delete or move the connectors.' })
      .optional(),
    moveToSiteId: id('Target site').optional(),
  })
  .strict();
export type SiteRemoveInput = z.input<typeof SiteRemove>;

// ─── Connectors ────────────────────────────────────────────────────────────────────────────────

const securityMode = z.enum(SECURITY_MODES, {
  error: 'Security must be "tls" (SSL from the first byte), "starttls" or "none".',
});
const authMethod = z.enum(AUTH_METHODS, {
  error: 'Authentication must be none, plain, login, cram-md5, pop-before-smtp or xoauth2.',
});

export const secretText = (label: string) =>
  z
    .string({ error: `${label} must be text.` })
    .max(1024, `${label} is longer than 1024 characters.`)
    .refine((v) => !/[\r\n]/.test(v), `${label} must be on one line.`);

const propertyKey = z
  .string()
  .min(1, 'Property name is empty.')
  .max(200)
  .refine((k) => !/[\s=:]/.test(k), 'Property names cannot contain spaces, "=" or ":".')
  .refine(
    (k) => !holdsSecret(k),
    'This property holds a password or another secret: enter the password in the Password field, where it is stored encrypted.',
  );

export const PopBeforeSmtpFields = z
  .object({
    host: host(),
    port: port('POP3 port'),
    security: securityMode,
    username: requiredText('POP3 user', 320),
    password: secretText('POP3 password').optional(),
    clearPassword: z.boolean().default(false),
    apop: z.boolean().default(false),
    delayMs: z
      .number()
      .int()
      .min(0, 'Delay cannot be negative.')
      .max(60000, 'Delay is at most 60000 ms.')
      .default(5),
  })
  .strict();

export const connectorShape = {
  siteId: id('Site'),
  title: requiredText('Title', 120),
  host: host(),
  port: port(),
  portIsManual: z.boolean().default(false),
  security: securityMode,
  auth: authMethod,
  username: z
    .string({ error: 'User name must be text.' })
    .max(320, 'User name is longer than 320 characters.')
    .refine((v) => !/[\r\n]/.test(v), 'User name must be on one line.')
    .transform((v) => v.trim())
    .default(''),
  /** New password; omitted keeps the stored one. */
  password: secretText('Password').optional(),
  clearPassword: z.boolean().default(false),
  oauthAccountId: id('Account').nullable().default(null),
  sender: emailAddress('Sender address'),
  senderName: headerText('Sender name', 200).default(''),
  replyTo: optionalEmailAddress('Reply-to address'),
  connectionTimeoutSec: z
    .number({ error: 'Timeout must be a number of seconds.' })
    .int('Timeout must be a whole number of seconds.')
    .min(1, 'Timeout must be at least 1 second.')
    .max(600, 'Timeout is at most 600 seconds.')
    .default(60),
  trustedCertificatePem: z.string().max(50_000, 'Certificate is too long.').nullable().default(null),
  /** Lets a login cross the network unencrypted where the server offers no STARTTLS (off by default). */
  allowPlainLogin: z.boolean().default(false),
  presetId: z.string().max(64).nullable().default(null),
  extraProperties: z
    .array(z.tuple([propertyKey, z.string().max(4000)]))
    .max(200)
    .default([]),
  mailDebug: z.boolean().default(false),
  pop: PopBeforeSmtpFields.nullable().default(null),
  maxSessions: z.number().int().min(1, 'At least one session.').max(16, 'At most 16 sessions.').default(4),
  rateLimitPerMinute: z
    .number()
    .int()
    .min(1, 'Rate limit must be at least 1 a minute.')
    .max(100_000)
    .nullable()
    .default(null),
  dailyLimit: z
    .number()
    .int()
    .min(1, 'Daily limit must be at least 1.')
    .max(10_000_000)
    .nullable()
    .default(null),
  retryDelaysSec: z
    .array(z.number().int().min(0).max(3600, 'A retry wait is at most 3600 s.'))
    .max(10, 'At most 10 retries.')
    .default([10, 30]),
};

type ConnectorShapeOut = {
  auth: (typeof AUTH_METHODS)[number];
  security: (typeof SECURITY_MODES)[number];
  oauthAccountId: string | null;
  username: string;
  pop: unknown;
  password?: string | undefined;
  clearPassword: boolean;
};

export function connectorRules(value: ConnectorShapeOut, ctx: z.RefinementCtx): void {
  const needsLogin =
    value.auth === 'plain' || value.auth === 'login' || value.auth === 'cram-md5' || value.auth === 'xoauth2';
  if (needsLogin && value.username === '') {
    ctx.addIssue({
      code: 'custom',
      path: ['username'],
      message: 'User name is required for this authentication method.',
    });
  }
  if (value.auth === 'xoauth2' && value.oauthAccountId === null) {
    ctx.addIssue({
      code: 'custom',
      path: ['oauthAccountId'],
      message: 'Sign in with the mailbox first: OAuth2 needs a signed-in account.',
    });
  }
  if (value.auth === 'xoauth2' && value.security === 'none') {
    ctx.addIssue({
      code: 'custom',
      path: ['security'],
      message: 'OAuth2 tokens are never sent unencrypted: choose STARTTLS or SSL/TLS.',
    });
  }
  if (value.auth === 'pop-before-smtp' && value.pop === null) {
    ctx.addIssue({
      code: 'custom',
      path: ['pop'],
      message: 'POP-before-SMTP needs the POP3 server settings.',
    });
  }
  if (value.clearPassword && value.password !== undefined && value.password !== '') {
    ctx.addIssue({
      code: 'custom',
      path: ['password'],
      message: 'Either set a new password or clear it, not both.',
    });
  }
}

export const ConnectorFields = z.object(connectorShape).strict().superRefine(connectorRules);
export type ConnectorInput = z.input<typeof ConnectorFields>;
export type ConnectorParsed = z.output<typeof ConnectorFields>;

export const ConnectorUpdate = z
  .object({ ...connectorShape, id: id('Connector') })
  .strict()
  .superRefine(connectorRules);
export type ConnectorUpdateInput = z.input<typeof ConnectorUpdate>;

export const ConnectorList = z
  .object({ siteId: id('Site').optional() })
  .strict()
  .optional();

export const ConnectorSetState = z
  .object({
    id: id('Connector'),
    state: z.enum(['RUN', 'STOPPED'], { error: 'State must be RUN or STOPPED.' }),
  })
  .strict();

export const CertificateInspect = z
  .object({ pem: z.string().min(1, 'Paste a PEM certificate.').max(50_000) })
  .strict();

export const PropertiesImport = z
  .object({ text: z.string().max(100_000, 'The properties text is too long.') })
  .strict();

// ─── Test e-mail ───────────────────────────────────────────────────────────────────────────────

export const IMPORTANCE_LEVELS = ['normal', 'high', 'low'] as const;
export type Importance = (typeof IMPORTANCE_LEVELS)[number];

export const AttachmentInput = z
  .object({
    filename: headerText('File name', 255)
      .refine((v) => v.trim() !== '', 'Every attachment needs a file name.')
      .refine((v) => !/[\\/]/.test(v), 'File name must not contain a folder path.')
      .optional(),
    /** base64 content as in seed 002 `{filename, content}`. */
    content: z.string().max(40_000_000, 'Attachment is larger than 30 MB.').optional(),
    /** A file picked through the open-file dialog. */
    fileToken: z.string().max(64).optional(),
  })
  .strict()
  .superRefine((a, ctx) => {
    if (a.fileToken === undefined) {
      if (a.filename === undefined)
        ctx.addIssue({ code: 'custom', path: ['filename'], message: 'Every attachment needs a file name.' });
      if (a.content === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['content'],
          message: 'Attachment content is missing (base64 expected).',
        });
      } else {
        const problem = base64Problem(a.content);
        if (problem)
          ctx.addIssue({ code: 'custom', path: ['content'], message: `Attachment content ${problem}.` });
      }
    } else if (a.content !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['content'],
        message: 'Give either a picked file or base64 content, not both.',
      });
    }
  });
export type AttachmentInputT = z.input<typeof AttachmentInput>;

export const MessageFields = z
  .object({
    to: addressList('To', { min: 1 }),
    cc: addressList('Cc').default([]),
    bcc: addressList('Bcc').default([]),
    subject: headerText('Subject', 998).refine((v) => v.trim() !== '', 'Subject is required.'),
    body: z.string().max(2_000_000, 'Body is longer than 2 MB.').default(''),
    contentType: z.enum(['text', 'html'], { error: 'Content type must be text or html.' }).default('text'),
    replyTo: optionalEmailAddress('Reply-to address'),
    importance: z
      .enum(IMPORTANCE_LEVELS, { error: 'Importance must be normal, high or low.' })
      .default('normal'),
    attachments: z.array(AttachmentInput).max(20, 'At most 20 attachments.').default([]),
  })
  .strict();

export const TestMessage = MessageFields.extend({
  connectorId: id('Connector'),
  /** Put the arrival token in the subject too (default: the setting). */
  tokenInSubject: z.boolean().optional(),
}).strict();
export type TestMessageInput = z.input<typeof TestMessage>;
export type TestMessageParsed = z.output<typeof TestMessage>;

// ─── Delivery history ──────────────────────────────────────────────────────────────────────────

export const DeliveryFilter = z
  .object({
    siteId: id('Site').optional(),
    connectorId: id('Connector').optional(),
    cameraId: id('Camera').optional(),
    runId: id('Run').optional(),
    kind: z.enum(DELIVERY_KINDS).optional(),
    status: z.array(z.enum(DELIVERY_STATUSES)).max(DELIVERY_STATUSES.length).optional(),
    failureClass: z.array(z.enum(FAILURE_CLASSES)).max(FAILURE_CLASSES.length).optional(),
    arrival: z.array(z.enum(ARRIVAL_STATES)).max(ARRIVAL_STATES.length).optional(),
    from: z.iso.datetime({ offset: true, error: 'From must be a date and time.' }).optional(),
    to: z.iso.datetime({ offset: true, error: 'To must be a date and time.' }).optional(),
    search: z.string().max(200).optional(),
  })
  .strict()
  .superRefine((f, ctx) => {
    if (f.from && f.to && new Date(f.from) > new Date(f.to)) {
      ctx.addIssue({
        code: 'custom',
        path: ['to'],
        message: 'The end of the date range is before its start.',
      });
    }
  });
export type DeliveryFilterInput = z.input<typeof DeliveryFilter>;

export const DeliveryQuery = z
  .object({
    filter: DeliveryFilter.default({}),
    sort: z
      .object({ column: z.enum(DELIVERY_SORT_COLUMNS), direction: z.enum(['asc', 'desc']) })
      .strict()
      .default({ column: 'createdAt', direction: 'desc' }),
    offset: z.number().int().min(0).default(0),
    limit: z.number().int().min(1).max(500).default(200),
  })
  .strict();
export type DeliveryQueryInput = z.input<typeof DeliveryQuery>;
export type DeliveryQueryParsed = z.output<typeof DeliveryQuery>;

export const DeliveryExport = z.object({ filter: DeliveryFilter.default({}) }).strict();

// ─── Settings ──────────────────────────────────────────────────────────────────────────────────

export const SettingsFields = z
  .object({
    historyRetentionDays: z
      .number({ error: 'Retention must be a number of days.' })
      .int('Retention must be a whole number of days.')
      .min(7, 'Keep history for at least 7 days.')
      .max(3650, 'Retention is at most 3650 days (10 years).'),
    /** A record not verified for this long is a finding. */
    verifyStaleDays: z
      .number({ error: 'Must be a number of days.' })
      .int('Must be a whole number of days.')
      .min(1, 'At least 1 day.')
      .max(3650, 'At most 3650 days.'),
    /** The secret of a retired record is destroyed this long after retirement. */
    retiredSecretRetentionDays: z
      .number({ error: 'Must be a number of days.' })
      .int('Must be a whole number of days.')
      .min(0, 'Cannot be negative.')
      .max(3650, 'At most 3650 days.'),
    ...ARRIVAL_SETTINGS_SHAPE,
  })
  .strict();
export type Settings = z.output<typeof SettingsFields>;
export const SettingsUpdate = SettingsFields.partial().strict();
export const DEFAULT_SETTINGS: Settings = {
  historyRetentionDays: 180,
  verifyStaleDays: 90,
  retiredSecretRetentionDays: 30,
  ...DEFAULT_ARRIVAL_SETTINGS,
};

// ─── Diagnosis ─────────────────────────────────────────────────────────────────────────────────

/**
 * Settings to diagnose: a saved connector, or the form as typed. A password left empty is the saved
 * one only while the form still points at the saved server (host, port, security, user, certificate).
 */
export const DiagnoseInput = z
  .object({
    connectorId: id('Connector').optional(),
    draft: z
      .object({
        host: host(),
        port: port(),
        security: securityMode,
        auth: authMethod,
        username: z.string().max(320).default(''),
        password: secretText('Password').optional(),
        trustedCertificatePem: z.string().max(50_000).nullable().default(null),
        allowPlainLogin: z.boolean().default(false),
        connectionTimeoutSec: z.number().int().min(1).max(600).default(15),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((v) => v.connectorId !== undefined || v.draft !== undefined, {
    message: 'Give a connector or the settings to diagnose.',
    path: ['connectorId'],
  });
export type DiagnoseInputT = z.input<typeof DiagnoseInput>;
export type DiagnoseParsed = z.output<typeof DiagnoseInput>;

// ─── Cameras ───────────────────────────────────────────────────────────────────────────────────

const optionalHost = z
  .string({ error: 'Address must be text.' })
  .max(253)
  .superRefine((v, ctx) => {
    if (v.trim() === '') return;
    const problem = hostProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem.replace(/^Host/, 'Address') });
  })
  .transform((v) => v.trim())
  .default('');

const cameraShape = {
  siteId: id('Site'),
  name: requiredText('Camera name', 120),
  vendor: headerText('Vendor', 120).default(''),
  model: headerText('Model', 120).default(''),
  host: optionalHost,
  serial: headerText('Serial / MAC', 120).default(''),
  location: headerText('Location', 200).default(''),
  connectorId: id('Connector').nullable().default(null),
  smtpLogin: headerText('SMTP login', 320).default(''),
  appPasswordId: id('App password').nullable().default(null),
  recipients: addressList('Recipient').default([]),
  subjectTemplate: headerText('Subject template', 500).default(DEFAULT_SUBJECT_TEMPLATE),
  heartbeatMinutes: z
    .number({ error: 'Heartbeat interval must be a number of minutes.' })
    .int('Heartbeat interval must be whole minutes.')
    .min(1, 'Heartbeat interval is at least 1 minute.')
    .max(10080, 'Heartbeat interval is at most a week (10080 minutes).')
    .nullable()
    .default(null),
  notes: optionalText('Notes', 5000),
};

export const CameraFields = z.object(cameraShape).strict();
export type CameraInput = z.input<typeof CameraFields>;
export type CameraParsed = z.output<typeof CameraFields>;
export const CameraUpdate = z.object({ ...cameraShape, id: id('Camera') }).strict();
export type CameraUpdateInput = z.input<typeof CameraUpdate>;
export const CameraList = z
  .object({ siteId: id('Site').optional() })
  .strict()
  .optional();
export const CameraBulkUpdate = z
  .object({
    ids: z.array(id('Camera')).min(1, 'Select at least one camera.').max(20_000),
    connectorId: id('Connector').nullable().optional(),
    recipients: addressList('Recipient').optional(),
    recipientsMode: z.enum(['replace', 'add']).default('replace'),
  })
  .strict()
  .refine((v) => v.connectorId !== undefined || v.recipients !== undefined, {
    message: 'Choose a connector or recipients to apply.',
    path: ['connectorId'],
  });

// ─── App-password records ──────────────────────────────────────────────────────────────────────

/** App passwords are shown grouped ("abcd efgh ijkl mnop"); the spaces are not part of them. */
export const appSecret = (label = 'App password') =>
  z
    .string({ error: `${label} is required.` })
    .transform((v) => v.replace(/\s+/g, ''))
    .pipe(z.string().min(1, `${label} is required.`).max(256, `${label} is longer than 256 characters.`));

const recordShape = {
  account: emailAddress('Account'),
  provider: z.enum(PROVIDERS, { error: 'Provider must be gmail, office365, outlook, ses or other.' }),
  label: requiredText('Label at the provider', 120),
  notes: optionalText('Notes', 5000),
};

export const AppPasswordFields = z.object({ ...recordShape, secret: appSecret() }).strict();
export type AppPasswordInput = z.input<typeof AppPasswordFields>;
export const AppPasswordUpdate = z
  .object({
    ...recordShape,
    id: id('App password'),
    status: z
      .enum(APP_PASSWORD_STATUSES, { error: 'Status must be active, suspected-revoked, revoked or retired.' })
      .optional(),
  })
  .strict();
export type AppPasswordUpdateInput = z.input<typeof AppPasswordUpdate>;
export const AppPasswordRotate = z
  .object({
    id: id('App password'),
    secret: appSecret('New app password'),
    label: requiredText('Label at the provider', 120).optional(),
    /** Verify the new secret before retiring the old record (default). */
    verify: z.boolean().default(true),
  })
  .strict();
export const VerifyScope = z
  .object({
    scope: z.enum(['record', 'camera', 'site', 'all'], {
      error: 'Scope must be record, camera, site or all.',
    }),
    id: id().optional(),
  })
  .strict()
  .refine((v) => v.scope === 'all' || v.id !== undefined, {
    message: 'Say which record, camera or site to verify.',
    path: ['id'],
  });
export type VerifyScopeInput = z.input<typeof VerifyScope>;

// ─── Audit, CSV, backup ────────────────────────────────────────────────────────────────────────

export const AuditFilter = z
  .object({
    action: z.string().max(40).optional(),
    recordType: z.string().max(40).optional(),
    recordId: id().optional(),
    siteId: id().optional(),
    cameraId: id().optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    search: z.string().max(200).optional(),
  })
  .strict();
export const AUDIT_SORT_COLUMNS = ['at', 'osUser', 'action', 'recordType', 'recordLabel', 'result'] as const;
export type AuditSortColumn = (typeof AUDIT_SORT_COLUMNS)[number];
export const AuditQuery = z
  .object({
    filter: AuditFilter.default({}),
    offset: z.number().int().min(0).default(0),
    limit: z.number().int().min(1).max(500).default(200),
    sort: z
      .object({ column: z.enum(AUDIT_SORT_COLUMNS), direction: z.enum(['asc', 'desc']) })
      .strict()
      .default({ column: 'at', direction: 'desc' }),
  })
  .strict();
export type AuditQueryInput = z.input<typeof AuditQuery>;
export const AuditExport = z.object({ filter: AuditFilter.default({}) }).strict();

export const CAMERA_CSV_FIELDS = [
  'site',
  'name',
  'vendor',
  'model',
  'host',
  'serial',
  'location',
  'connector',
  'smtpLogin',
  'appPasswordAccount',
  'recipients',
  'subjectTemplate',
  'heartbeatMinutes',
  'notes',
] as const;
export type CameraCsvField = (typeof CAMERA_CSV_FIELDS)[number];

export const CameraCsvImport = z
  .object({
    csv: z.string().max(20_000_000, 'The file is larger than 20 MB.'),
    /** Column header → AlertDesk field (null ignores the column). Omitted: AlertDesk guesses. */
    mapping: z.record(z.string(), z.enum(CAMERA_CSV_FIELDS).nullable()).optional(),
    /** Site for rows without a site column. */
    defaultSiteId: id('Site').optional(),
    /** Said back in the `csvImport` progress events of this call. */
    progressId: z.string().max(64).optional(),
  })
  .strict();
export type CameraCsvImportInput = z.input<typeof CameraCsvImport>;

export const BackupExport = z
  .object({ passphrase: z.string().min(10, 'Use a passphrase of at least 10 characters.').max(1024) })
  .strict();
export const BackupImport = z
  .object({
    content: z.string().min(1, 'Choose a backup file.').max(200_000_000),
    passphrase: z.string().min(1, 'Enter the passphrase of the backup.').max(1024),
  })
  .strict();

// ─── Handover runs ─────────────────────────────────────────────────────────────────────────────

export const RunScope = z
  .object({
    siteIds: z.array(id('Site')).max(1000).default([]),
    cameraIds: z.array(id('Camera')).max(50_000).default([]),
    connectorIds: z.array(id('Connector')).max(5000).default([]),
  })
  .strict()
  .refine((s) => s.siteIds.length + s.cameraIds.length + s.connectorIds.length > 0, {
    message: 'Choose at least one site, camera or connector to test.',
    path: ['siteIds'],
  });

export const RunOptions = z
  .object({
    scope: RunScope,
    /** Burst snapshots attached to every test message (seed 003: 1 to 5). */
    snapshots: z.number().int().min(0).max(5, 'At most 5 snapshots (a burst e-mail).').default(0),
    /** Files picked by the user instead of the sample snapshots. */
    snapshotFiles: z.array(z.string().max(64)).max(5, 'At most 5 snapshots (a burst e-mail).').default([]),
    /** Recipients for connectors without cameras and cameras without recipients. */
    fallbackRecipients: addressList('Fallback recipient').default([]),
    note: optionalText('Note', 1000),
    ...RUN_ARRIVAL_OPTIONS,
  })
  .strict();
export type RunOptionsInput = z.input<typeof RunOptions>;
export type RunOptionsParsed = z.output<typeof RunOptions>;

export const RunReportInput = z.object({ runId: id('Run'), siteId: id('Site') }).strict();

export const RunPlanInput = RunOptions.extend({
  /** Ask each connector's server for its SIZE limit (EHLO only) when it is not known yet. */
  probe: z.boolean().default(false),
}).strict();
export const RunRef = z.object({ runId: id('Run') }).strict();
