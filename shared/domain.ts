/**
 * Domain types as the renderer sees them. Secrets never appear here: a view says `hasPassword`,
 * never the password.
 */

export const SECURITY_MODES = ['tls', 'starttls', 'none'] as const;
export type SecurityMode = (typeof SECURITY_MODES)[number];

export const AUTH_METHODS = ['none', 'plain', 'login', 'cram-md5', 'pop-before-smtp', 'xoauth2'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

export const CONNECTOR_STATES = ['RUN', 'STOPPED'] as const;
export type ConnectorState = (typeof CONNECTOR_STATES)[number];

export const HANDOVER_STATES = ['commissioning', 'handed-over'] as const;
export type HandoverState = (typeof HANDOVER_STATES)[number];

export interface Site {
  id: string;
  name: string;
  customer: string;
  address: string;
  contact: string;
  notes: string;
  handover: HandoverState;
  handedOverAt: string | null;
  createdAt: string;
  updatedAt: string;
  connectorCount: number;
  cameraCount: number;
}

export interface CertificateInfo {
  subject: string;
  issuer: string;
  validFrom: string;
  validTo: string;
  fingerprint256: string;
  subjectAltName: string;
  selfSigned: boolean;
}

export interface TrustedCertificate {
  pem: string;
  info: CertificateInfo;
}

export interface PopBeforeSmtp {
  host: string;
  port: number;
  security: SecurityMode;
  username: string;
  hasPassword: boolean;
  apop: boolean;
  /** Milliseconds to wait after the POP3 login before talking SMTP (seed 001 "Interval Time"). */
  delayMs: number;
}

export interface ConnectorTestSummary {
  at: string;
  ok: boolean;
  deliveryId: string;
  failureClass: string | null;
  summary: string;
}

export interface Connector {
  id: string;
  siteId: string;
  title: string;
  host: string;
  port: number;
  /** True once the user typed a port; until then the port follows the security mode (465/587/25). */
  portIsManual: boolean;
  security: SecurityMode;
  auth: AuthMethod;
  username: string;
  hasPassword: boolean;
  /** The OAuth2 sign-in whose tokens log in (auth `xoauth2`); null when not signed in. */
  oauthAccountId: string | null;
  sender: string;
  senderName: string;
  replyTo: string;
  connectionTimeoutSec: number;
  trustedCertificate: TrustedCertificate | null;
  /**
   * Whether the login may cross the network unencrypted when the server offers no STARTTLS (a relay
   * inside a trusted network). Off by default: AlertDesk then logs in only over TLS.
   */
  allowPlainLogin: boolean;
  state: ConnectorState;
  presetId: string | null;
  /** JavaMail properties AlertDesk does not interpret, kept in their imported order and exported again. */
  extraProperties: Array<[string, string]>;
  mailDebug: boolean;
  pop: PopBeforeSmtp | null;
  /** Concurrent SMTP sessions this connector may open (seed 000: "a small fixed pool"). */
  maxSessions: number;
  /** Messages per minute the provider allows (Office 365: 30), null for no limit. */
  rateLimitPerMinute: number | null;
  /** Messages per day the provider allows (Gmail), null for no limit. */
  dailyLimit: number | null;
  /** Waits before each retry of a transient failure; seed 003: 10 s, then 30 s. */
  retryDelaysSec: number[];
  lastTest: ConnectorTestSummary | null;
  createdAt: string;
  updatedAt: string;
}

export interface SecretStorageStatus {
  available: boolean;
  /** e.g. `keychain`, `dpapi`, `gnome_libsecret`, `passphrase`, `basic_text`. */
  backend: string;
  /** Why secrets cannot be stored, in plain words, when `available` is false. */
  reason: string | null;
}

export interface AppInfo {
  version: string;
  dataDir: string;
  osUser: string;
  platform: string;
  secretStorage: SecretStorageStatus;
}

export interface PickedFile {
  token: string;
  filename: string;
  size: number;
}

export interface SiteRemoval {
  siteId: string;
  connectorsDeleted: number;
  connectorsMoved: number;
  camerasDeleted: number;
  camerasMoved: number;
}
