/**
 * Cameras (any device that sends alert mail) and the app-password records they use. Views only:
 * a record says `hasSecret`, never the secret.
 */
export const APP_PASSWORD_STATUSES = ['active', 'suspected-revoked', 'revoked', 'retired'] as const;
export type AppPasswordStatus = (typeof APP_PASSWORD_STATUSES)[number];

export const PROVIDERS = ['gmail', 'office365', 'outlook', 'ses', 'other'] as const;
export type Provider = (typeof PROVIDERS)[number];

export const PROVIDER_LABELS: Record<Provider, string> = {
  gmail: 'Google (Gmail / Workspace)',
  office365: 'Microsoft 365 / Office 365',
  outlook: 'Outlook.com (personal)',
  ses: 'Amazon SES',
  other: 'Other',
};

export interface Camera {
  id: string;
  siteId: string;
  name: string;
  vendor: string;
  model: string;
  /** IP address or host name of the device. */
  host: string;
  /** Serial number or MAC address. */
  serial: string;
  location: string;
  connectorId: string | null;
  /** The SMTP login the camera uses (often the connector's, sometimes its own account). */
  smtpLogin: string;
  appPasswordId: string | null;
  recipients: string[];
  subjectTemplate: string;
  /** Minutes between heartbeat e-mails the camera is expected to send; null when none is set up. */
  heartbeatMinutes: number | null;
  notes: string;
  createdAt: string;
  updatedAt: string;
}

export interface VerifyResult {
  at: string;
  ok: boolean;
  failureClass: string | null;
  message: string;
}

export interface AppPasswordRecord {
  id: string;
  account: string;
  provider: Provider;
  /** The name given to the app password at the provider ("PTZ Camera Site A"). */
  label: string;
  hasSecret: boolean;
  /** Length of the secret, shown so the user can tell a 16-letter app password from an account password. */
  secretLength: number | null;
  status: AppPasswordStatus;
  createdAt: string;
  createdBy: string;
  lastVerified: VerifyResult | null;
  replacesId: string | null;
  replacedById: string | null;
  retiredAt: string | null;
  /** When the secret of a retired record was destroyed. */
  secretDestroyedAt: string | null;
  notes: string;
  /** Ids of other records holding the same secret. */
  reusedWith: string[];
  /** Cameras that use this record. */
  cameraIds: string[];
  /** Format problems for the provider: a warning, never a refusal. */
  formatWarning: string | null;
}

export type FindingKind =
  | 'never-verified'
  | 'stale-verification'
  | 'suspected-revoked'
  | 'reused-secret'
  | 'camera-without-record'
  | 'outlook-account'
  | 'office365-account'
  /** The audit log's chain does not check out (audit-integrity.ts). */
  | 'audit-log-broken'
  /** A sealed secret found in a record it was not sealed for. */
  | 'misplaced-secret';

export interface Finding {
  kind: FindingKind;
  severity: 'info' | 'warning' | 'critical';
  title: string;
  detail: string;
  recordIds: string[];
  cameraIds: string[];
  /** The first audit event concerned (audit-log-broken). */
  auditSeq?: number | null;
}

export interface BlastRadius {
  account: string;
  recordIds: string[];
  cameras: Array<{ id: string; name: string; siteId: string; siteName: string }>;
  sites: Array<{ id: string; name: string }>;
  /** What probably happened and what to do, in plain words. */
  message: string;
}

export interface VerifyOutcome {
  recordId: string;
  account: string;
  ok: boolean;
  failureClass: string | null;
  message: string;
  statusBefore: AppPasswordStatus;
  statusAfter: AppPasswordStatus;
}

export interface VerifyReport {
  runId: string;
  outcomes: VerifyOutcome[];
  /** Accounts whose every record failed together: the probable revocation of all app passwords. */
  accountsRevoked: BlastRadius[];
  cancelled: boolean;
}

export interface VerifyProgress {
  runId: string;
  done: number;
  total: number;
  last: VerifyOutcome | null;
  /** Set on the last event of a run. */
  report: VerifyReport | null;
}

export interface AuditEvent {
  seq: number;
  at: string;
  osUser: string;
  action: string;
  recordType: string;
  recordId: string | null;
  recordLabel: string;
  siteId: string | null;
  cameraId: string | null;
  result: string;
  detail: string;
}

export interface CsvImportRowError {
  /** 1-based line in the file (the header is line 1). */
  line: number;
  field: string | null;
  message: string;
}

export interface CsvImportPreview {
  delimiter: string;
  headers: string[];
  /** Suggested target field for each header (null = ignored). */
  mapping: Record<string, string | null>;
  rows: number;
  good: number;
  errors: CsvImportRowError[];
  /** The first rows as they would be imported. */
  sample: Array<Record<string, string>>;
}

export interface CsvImportResult {
  imported: number;
  errors: CsvImportRowError[];
}

export interface BackupCounts {
  sites: number;
  connectors: number;
  cameras: number;
  appPasswords: number;
}
