import type { ArrivalState, DeliveryArrival } from './arrival.ts';
import type { FailureClass } from './failures.ts';

/** A handover run: every camera's alert path tested with its own credentials, kept for the record. */
export const RUN_ITEM_STATUSES = [
  'queued',
  'sending',
  'retrying',
  /** Accepted by the server; waiting for it to land (runs that require arrival proof). */
  'arriving',
  'passed',
  'failed',
  'cancelled',
  'skipped',
  /** AlertDesk stopped before this camera's message was finished: not tested, re-run it. */
  'interrupted',
] as const;
export type RunItemStatus = (typeof RUN_ITEM_STATUSES)[number];

/** `interrupted`: AlertDesk stopped while the run was going (closed, crashed); it can be re-run. */
export type RunStatus = 'running' | 'finished' | 'cancelled' | 'interrupted';

export interface RunCounts {
  total: number;
  passed: number;
  failed: number;
  skipped: number;
  cancelled: number;
  /** Left unfinished when AlertDesk stopped. */
  interrupted: number;
  /** Still queued, sending or waiting to retry. */
  pending: number;
}

export interface RunSummary {
  id: string;
  startedAt: string;
  finishedAt: string | null;
  startedBy: string;
  status: RunStatus;
  /** What was tested, in words: "North Yard, Harbour Terminal" or "12 cameras". */
  scopeLabel: string;
  siteIds: string[];
  snapshots: number;
  note: string;
  rerunOf: string | null;
  counts: RunCounts;
}

export interface RunItem {
  id: string;
  runId: string;
  cameraId: string | null;
  cameraName: string;
  siteId: string;
  siteName: string;
  connectorId: string | null;
  connectorTitle: string;
  /** The SMTP login used (never a password). */
  account: string;
  recipients: string[];
  subject: string;
  status: RunItemStatus;
  deliveryId: string | null;
  failureClass: FailureClass | null;
  /** Plain-words explanation of a failure, or why the item was skipped. */
  explanation: string | null;
  fix: string | null;
  reply: string | null;
  messageId: string | null;
  durationMs: number | null;
  attempts: number;
  finishedAt: string | null;
  /** Arrival proof of the camera's message (absent while not known). */
  arrival?: DeliveryArrival | null;
}

export interface RunDetail extends RunSummary {
  items: RunItem[];
}

export interface RunEvent {
  run: RunSummary;
  /** The items that changed since the last event (batched, at most ten events a second). */
  items: RunItem[];
}

export interface RunPlanConnector {
  connectorId: string;
  title: string;
  siteName: string;
  host: string;
  port: number;
  state: 'RUN' | 'STOPPED';
  cameras: number;
  /** The server's SIZE limit in bytes when known (null: not advertised or not known yet). */
  sizeLimit: number | null;
  sizeKnown: boolean;
  rateLimitPerMinute: number | null;
}

export interface RunPlan {
  items: number;
  skipped: Array<{ cameraName: string; siteName: string; reason: string }>;
  connectors: RunPlanConnector[];
  /** Size of one test message with the chosen snapshots, as sent (base64 included). */
  messageBytes: number;
  attachmentBytes: number;
  warnings: string[];
  /** A rough duration at the rate limits in force, in seconds (null when unlimited). */
  minimumSeconds: number | null;
}

export interface SampleSnapshot {
  name: string;
  bytes: number;
}

export interface HandoverReport {
  runId: string;
  generatedAt: string;
  integrator: string;
  site: { id: string; name: string; customer: string; address: string; contact: string };
  run: { startedAt: string; finishedAt: string | null; status: RunStatus; note: string; snapshots: number };
  counts: RunCounts;
  /** One sentence: ready for handover, or what stands in the way. */
  verdict: string;
  ready: boolean;
  /** What did not deliver, grouped by cause, biggest first: one explanation for all its cameras. */
  groups: ReportGroup[];
  /** Failures first (in the order of the groups), then what was delivered. */
  items: RunItem[];
  /** Whether a camera passed only when its mail arrived in the Inbox. */
  requireArrival?: boolean;
  /** How many cameras' messages arrived, landed in Junk, did not arrive, were not checked or are awaited. */
  arrivalCounts?: Record<ArrivalState, number>;
}

/** Cameras of a report that did not deliver for the same cause (same class, same connector). */
export interface ReportGroup {
  status: Exclude<RunItemStatus, 'passed'>;
  /** "Login rejected", "Not tested"… */
  title: string;
  /** What happened, written once for every camera of the group. */
  explanation: string;
  /** What to do, when there is more to say than the explanation. */
  fix: string | null;
  connectorTitle: string;
  itemIds: string[];
}
