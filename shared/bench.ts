import { z } from 'zod';
import { id } from './validation.ts';

/**
 * The bench inbox: an SMTP server inside AlertDesk (nodemailer's smtp-server) that cameras on the
 * integrator's bench send to before they go to site. What arrives is shown with its snapshots,
 * matched to the camera, and counts as that camera's test result and heartbeat.
 */

export const BENCH_SECURITY_MODES = ['none', 'starttls', 'tls'] as const;
export type BenchSecurity = (typeof BENCH_SECURITY_MODES)[number];

export const BENCH_SECURITY_LABELS: Record<BenchSecurity, string> = {
  none: 'Plain (no encryption)',
  starttls: 'STARTTLS',
  tls: 'SSL/TLS from the first byte',
};

/** `cameras`: only the SMTP logins and app passwords recorded for cameras; `any`: every login, or none. */
export const BENCH_AUTH_MODES = ['cameras', 'any'] as const;
export type BenchAuthMode = (typeof BENCH_AUTH_MODES)[number];

const whole = (label: string, min: number, max: number, unit = '') =>
  z
    .number({ error: `${label} must be a number.` })
    .int(`${label} must be a whole number.`)
    .min(min, `${label} is at least ${min}${unit}.`)
    .max(max, `${label} is at most ${max}${unit}.`);

export const BenchSettingsFields = z
  .object({
    port: whole('Port', 1, 65535),
    security: z.enum(BENCH_SECURITY_MODES, { error: 'Security must be plain, STARTTLS or SSL/TLS.' }),
    authMode: z.enum(BENCH_AUTH_MODES, { error: 'Choose camera logins or "accept any login".' }),
    /** The laptop address to listen on; '' = every address (what cameras on the bench network need). */
    listenAddress: z
      .string()
      .max(64)
      .refine((v) => v === '' || /^[0-9a-fA-F.:]+$/.test(v), 'Listen address must be an IP address.'),
    maxMessageMb: whole('Message size limit', 1, 100, ' MB'),
    keepMessages: whole('Messages kept', 10, 5000),
    connectionsPerSource: whole('Connections per address', 1, 50),
    messagesPerMinute: whole('Messages a minute per address', 1, 6000),
  })
  .strict();
export type BenchSettings = z.output<typeof BenchSettingsFields>;
export const BenchSettingsUpdate = BenchSettingsFields.partial().strict();

export const DEFAULT_BENCH_SETTINGS: BenchSettings = {
  port: 2525,
  security: 'none',
  authMode: 'cameras',
  listenAddress: '',
  maxMessageMb: 25,
  keepMessages: 200,
  connectionsPerSource: 4,
  messagesPerMinute: 60,
};

export interface LaptopAddress {
  interface: string;
  address: string;
  family: 'IPv4' | 'IPv6';
}

export interface BenchCertificate {
  subject: string;
  fingerprint256: string;
  validFrom: string;
  validTo: string;
}

/** When the bench last heard from a camera: its test result and heartbeat on the bench. */
export interface BenchCameraResult {
  cameraId: string;
  cameraName: string;
  siteName: string;
  lastAt: string;
  messages: number;
  lastSubject: string;
  lastSnapshots: number;
}

export interface BenchStatus {
  running: boolean;
  settings: BenchSettings;
  /** Where it listens while running. */
  listening: { address: string; port: number } | null;
  startedAt: string | null;
  /** The laptop's network addresses, to type into the camera as its SMTP server. */
  addresses: LaptopAddress[];
  /** The self-signed certificate for STARTTLS and SSL/TLS (made on first use, then kept). */
  certificate: BenchCertificate | null;
  /** Why the last start failed, in plain words. */
  error: string | null;
  messageCount: number;
  cameras: BenchCameraResult[];
}

export const IMAGE_KINDS = ['jpeg', 'png', 'gif', 'webp', 'bmp'] as const;
export type ImageKind = (typeof IMAGE_KINDS)[number];

/** An attachment of a bench message: what it claims to be, what its bytes are, and a thumbnail. */
export interface BenchSnapshot {
  index: number;
  filename: string;
  declaredType: string;
  /** Found from the bytes, never from the name: null when they are not an image. */
  imageKind: ImageKind | null;
  size: number;
  width: number | null;
  height: number | null;
  /** A small JPEG as a data: URL (within the app's CSP), or null. */
  thumbnail: string | null;
  problem: string | null;
}

export type BenchMatch = 'login' | 'address' | 'login+address';

export interface BenchMessage {
  id: string;
  receivedAt: string;
  remoteAddress: string;
  /** The SMTP login used, or null when the client did not log in. */
  login: string | null;
  /** Whether the session was encrypted (STARTTLS or SSL/TLS). */
  secure: boolean;
  envelopeFrom: string;
  envelopeTo: string[];
  from: string;
  subject: string;
  size: number;
  messageId: string | null;
  camera: { id: string; name: string; siteName: string } | null;
  matchedBy: BenchMatch | null;
  /** Why no camera (or which one) was matched, when it is worth saying. */
  matchNote: string | null;
  snapshots: BenchSnapshot[];
  /** What was wrong with the message itself (malformed MIME, a snapshot that is no image…). */
  problems: string[];
}

export interface BenchLogEntry {
  at: string;
  level: 'info' | 'warn';
  /** The client's address, or '' for the bench itself. */
  source: string;
  text: string;
}

export interface BenchPage {
  rows: BenchMessage[];
  total: number;
}

/** Pushed as the bench changes: its status, a new message, a log line, messages dropped. */
export interface BenchEvent {
  status?: BenchStatus;
  message?: BenchMessage;
  log?: BenchLogEntry;
  removed?: string[];
}

export const BenchMessagesQuery = z
  .object({
    cameraId: id('Camera').optional(),
    limit: z.number().int().min(1).max(500).default(100),
    offset: z.number().int().min(0).default(0),
  })
  .strict()
  .default({ limit: 100, offset: 0 });

export const BenchSnapshotRef = z
  .object({ id: id('Message'), index: z.number().int().min(0).max(99) })
  .strict();

/** A full-size snapshot for the viewer; larger images are not sent to the window. */
export const SNAPSHOT_VIEW_MAX_BYTES = 12 * 1024 * 1024;
