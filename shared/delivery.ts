import type { ArrivalState, DeliveryArrival } from './arrival.ts';
import type { FailureClass } from './failures.ts';

/** `interrupted`: AlertDesk stopped before the delivery was finished; its outcome is unknown. */
export const DELIVERY_STATUSES = [
  'queued',
  'sending',
  'retrying',
  'sent',
  'failed',
  'cancelled',
  'interrupted',
] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const DELIVERY_KINDS = ['test', 'bulk', 'verify', 'alert'] as const;
export type DeliveryKind = (typeof DELIVERY_KINDS)[number];

export const SMTP_STEPS = [
  'pop3',
  'dns',
  'connect',
  'tls',
  'greeting',
  'ehlo',
  'starttls',
  'auth',
  'envelope',
  'data',
  'quit',
] as const;
export type SmtpStep = (typeof SMTP_STEPS)[number];

export interface StepTiming {
  step: SmtpStep;
  /** Milliseconds from the start of the attempt to the start of the step. */
  startMs: number;
  durationMs: number;
  ok: boolean;
}

export interface TlsDetails {
  protocol: string;
  cipher: string;
  /** How the session became encrypted. */
  mode: 'implicit' | 'starttls';
  certificate: {
    subject: string;
    issuer: string;
    validFrom: string;
    validTo: string;
    fingerprint256: string;
  } | null;
}

export interface TranscriptLine {
  /** Milliseconds since the attempt started. */
  t: number;
  /** `c` client → server, `s` server → client, `i` AlertDesk's own note (connect, TLS, retry). */
  dir: 'c' | 's' | 'i';
  text: string;
}

export interface FailureDetails {
  class: FailureClass;
  /** One line: what happened, with the host/port/reply actually involved. */
  explanation: string;
  /** What to change, in the integrator's words. */
  fix: string;
  retryable: boolean;
  /** SMTP command in flight (`AUTH PLAIN`, `RCPT TO`, `DATA`, `CONN`). */
  command: string | null;
  responseCode: number | null;
  enhancedCode: string | null;
  /** The server's reply, as received (never containing credentials). */
  reply: string | null;
  /** Low-level error code (`ECONNREFUSED`, `CERT_HAS_EXPIRED`, nodemailer's `EAUTH`). */
  errorCode: string | null;
  message: string;
}

export interface RejectedRecipient {
  address: string;
  reply: string;
}

export interface AttemptView {
  n: number;
  startedAt: string;
  durationMs: number;
  outcome: 'sent' | 'failed';
  failure: FailureDetails | null;
  accepted: string[];
  rejected: RejectedRecipient[];
  response: string | null;
  timings: StepTiming[];
  tls: TlsDetails | null;
  transcript: TranscriptLine[];
}

export interface DeliverySummary {
  id: string;
  createdAt: string;
  updatedAt: string;
  kind: DeliveryKind;
  status: DeliveryStatus;
  siteId: string;
  siteName: string;
  connectorId: string;
  connectorTitle: string;
  cameraId: string | null;
  cameraName: string | null;
  runId: string | null;
  subject: string;
  from: string;
  to: string[];
  attemptCount: number;
  failureClass: FailureClass | null;
  /** Final server reply (success) or the reply that failed the last attempt. */
  reply: string | null;
  messageId: string | null;
  durationMs: number | null;
  nextAttemptAt: string | null;
  /** The second verdict (arrival proof); null or absent while none is known. */
  arrival?: ArrivalState | null;
}

export interface DeliveryDetail extends DeliverySummary {
  cc: string[];
  bcc: string[];
  accepted: string[];
  rejected: RejectedRecipient[];
  serverMessageId: string | null;
  failure: FailureDetails | null;
  attempts: AttemptView[];
  /** Arrival proof per recipient, when the delivery is tracked. */
  arrivalProof?: DeliveryArrival | null;
}

/** Pushed to the renderer whenever a delivery changes state (queued, each attempt, final). */
export interface DeliveryEvent {
  delivery: DeliverySummary;
}

// ─── The Delivery table: server-side filters, sort and paging ──────────────────────────────────

export const DELIVERY_SORT_COLUMNS = [
  'createdAt',
  'status',
  'siteName',
  'connectorTitle',
  'cameraName',
  'failureClass',
  'durationMs',
  'subject',
  'attemptCount',
] as const;
export type DeliverySortColumn = (typeof DELIVERY_SORT_COLUMNS)[number];

export interface DeliveryPage {
  rows: DeliverySummary[];
  /** Rows matching the filters, for the scroll height and the "x of y" count. */
  total: number;
  offset: number;
}

// ─── Diagnosis without sending ─────────────────────────────────────────────────────────────────

export type DiagnosisStepName =
  'dns' | 'connect' | 'tls' | 'greeting' | 'ehlo' | 'starttls' | 'auth' | 'pop3';

export interface DiagnosisStep {
  step: DiagnosisStepName;
  status: 'passed' | 'failed' | 'skipped' | 'warning';
  durationMs: number | null;
  /** What was found: the address, the banner, the capabilities, the TLS version and certificate… */
  summary: string;
  /** What it means for the connector, when there is something to say. */
  hint: string | null;
}

export interface Capabilities {
  greeting: string;
  extensions: string[];
  authMechanisms: string[];
  starttls: boolean;
  pipelining: boolean;
  size: number | null;
}

export interface DiagnosisReport {
  id: string;
  host: string;
  port: number;
  security: 'tls' | 'starttls' | 'none';
  auth: string;
  startedAt: string;
  durationMs: number;
  ok: boolean;
  steps: DiagnosisStep[];
  capabilities: Capabilities | null;
  tls: TlsDetails | null;
  failure: FailureDetails | null;
  transcript: TranscriptLine[];
}

export interface SettingsCandidate {
  port: number;
  security: 'tls' | 'starttls' | 'none';
  /** connected: TCP + TLS + greeting + EHLO worked; authenticated: the login was also accepted. */
  outcome: 'authenticated' | 'connected' | 'failed' | 'auth-failed' | 'not-tried';
  durationMs: number | null;
  failureClass: FailureClass | null;
  summary: string;
}

export interface SettingsDiscovery {
  id: string;
  host: string;
  candidates: SettingsCandidate[];
  recommended: { port: number; security: 'tls' | 'starttls' | 'none' } | null;
  /** The recommendation (or why there is none) in plain words. */
  verdict: string;
}

/** Progress of a diagnosis or a settings search, pushed while it runs. */
export interface DiagnosisEvent {
  id: string;
  kind: 'diagnosis' | 'discovery';
  label: string;
  status: 'running' | 'passed' | 'failed';
  durationMs: number | null;
}
