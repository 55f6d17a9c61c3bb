import { z } from 'zod';
import type { ArrivalEvent, DeliveryArrival } from './arrival.ts';
import {
  BenchMessagesQuery,
  BenchSettingsUpdate,
  BenchSnapshotRef,
  type BenchEvent,
  type BenchLogEntry,
  type BenchPage,
  type BenchStatus,
} from './bench.ts';
import type { AppInfo, CertificateInfo, Connector, PickedFile, Site, SiteRemoval } from './domain.ts';
import type {
  DeliveryDetail,
  DeliveryEvent,
  DeliveryPage,
  DiagnosisEvent,
  DiagnosisReport,
  SettingsDiscovery,
} from './delivery.ts';
import type { CameraHealth, ConnectorHealth, HealthEvent, HealthOverview } from './health.ts';
import type { AuditIntegrity } from './audit-integrity.ts';
import type { CsvImportProgress } from './csv-import.ts';
import type {
  AlertSettings,
  CameraHeartbeat,
  CameraHeartbeatDetail,
  HeartbeatAlert,
  HeartbeatEvent,
  HeartbeatOverview,
  HeartbeatRule,
  MaintenanceWindow,
  RulePreview,
  SiteHeartbeats,
  UnmatchedPage,
} from './heartbeats.ts';
import {
  AlertQuery,
  AlertSettingsInput,
  AssignInput,
  CameraRef,
  ExpectationInput,
  PauseInput,
  ProposeInput,
  RuleFields,
  RuleList,
  RuleUpdate,
  SiteExpectationInput,
  UnmatchedQuery,
  WindowList,
} from './heartbeats.ts';
import type { JavaMailImport } from './javamail.ts';
import { RunReportPdfInput } from './report.ts';
import {
  MailboxBodyInput,
  MailboxFields,
  MailboxMessagesInput,
  MailboxSetEnabled,
  MailboxTestInput,
  MailboxUpdate,
  type ConnectionTest,
  type Mailbox,
  type MailboxFolder,
  type MailboxMessages,
  type MailboxStatus,
  type MessageContent,
} from './mailboxes.ts';
import type { HandoverReport, RunDetail, RunEvent, RunPlan, RunSummary, SampleSnapshot } from './runs.ts';
import type {
  AppPasswordRecord,
  AuditEvent,
  BackupCounts,
  Camera,
  CsvImportPreview,
  CsvImportResult,
  Finding,
  VerifyProgress,
} from './vault.ts';
import type { Result } from './result.ts';
import { ReadinessInput, type ReadinessReport } from './readiness.ts';
import {
  FlowRef,
  OAuthAccountRef,
  OAuthAppsFields,
  SignInInput,
  type OAuthAccount,
  type OAuthApps,
  type SignInEvent,
  type SignInStart,
} from './oauth.ts';
import {
  AppPasswordFields,
  AppPasswordRotate,
  AppPasswordUpdate,
  AuditExport,
  AuditQuery,
  BackupExport,
  BackupImport,
  ById,
  CameraBulkUpdate,
  CameraCsvImport,
  CameraFields,
  CameraList,
  CameraUpdate,
  VerifyScope,
  CertificateInspect,
  ConnectorFields,
  ConnectorList,
  ConnectorSetState,
  ConnectorUpdate,
  DeliveryExport,
  DeliveryQuery,
  DiagnoseInput,
  NoInput,
  PropertiesImport,
  RunOptions,
  RunPlanInput,
  RunRef,
  RunReportInput,
  SiteFields,
  SiteRemove,
  SettingsUpdate,
  SiteUpdate,
  TestMessage,
  type Settings,
} from './schemas.ts';

/**
 * THE contract: every call the renderer can make, declared once with the schema of its input and
 * the type of its result. The preload exposes exactly this shape (see bridge.ts), the main process
 * registers exactly these channels (electron/ipc), and the browser test harness provides the same
 * object.
 */

export interface CallSpec<I extends z.ZodType = z.ZodType, O = unknown> {
  readonly input: I;
  /** Phantom: carries the result type, never set at run time. */
  readonly output?: O;
}

const call = <I extends z.ZodType>(input: I) => ({
  returns: <O>(): CallSpec<I, O> => ({ input }),
});

export const contract = {
  app: {
    info: call(NoInput).returns<AppInfo>(),
  },
  sites: {
    list: call(NoInput).returns<Site[]>(),
    create: call(SiteFields).returns<Site>(),
    update: call(SiteUpdate).returns<Site>(),
    remove: call(SiteRemove).returns<SiteRemoval>(),
  },
  connectors: {
    list: call(ConnectorList).returns<Connector[]>(),
    get: call(ById).returns<Connector>(),
    create: call(ConnectorFields).returns<Connector>(),
    update: call(ConnectorUpdate).returns<Connector>(),
    remove: call(ById).returns<{ id: string }>(),
    setState: call(ConnectorSetState).returns<Connector>(),
    inspectCertificate: call(CertificateInspect).returns<CertificateInfo>(),
    importProperties: call(PropertiesImport).returns<JavaMailImport>(),
    exportProperties: call(ById).returns<{ filename: string; text: string }>(),
    diagnose: call(DiagnoseInput).returns<DiagnosisReport>(),
    findSettings: call(DiagnoseInput).returns<SettingsDiscovery>(),
  },
  files: {
    pickAttachments: call(NoInput).returns<PickedFile[]>(),
  },
  mail: {
    sendTest: call(TestMessage).returns<{ deliveryId: string }>(),
  },
  deliveries: {
    get: call(ById).returns<DeliveryDetail>(),
    query: call(DeliveryQuery).returns<DeliveryPage>(),
    exportCsv: call(DeliveryExport).returns<{ filename: string; csv: string; rows: number }>(),
  },
  cameras: {
    list: call(CameraList).returns<Camera[]>(),
    get: call(ById).returns<Camera>(),
    create: call(CameraFields).returns<Camera>(),
    update: call(CameraUpdate).returns<Camera>(),
    remove: call(ById).returns<{ id: string }>(),
    bulkUpdate: call(CameraBulkUpdate).returns<{ updated: number }>(),
    previewImport: call(CameraCsvImport).returns<CsvImportPreview>(),
    importCsv: call(CameraCsvImport).returns<CsvImportResult>(),
    exportCsv: call(CameraList).returns<{ filename: string; csv: string; rows: number }>(),
  },
  vault: {
    list: call(NoInput).returns<AppPasswordRecord[]>(),
    create: call(AppPasswordFields).returns<AppPasswordRecord>(),
    update: call(AppPasswordUpdate).returns<AppPasswordRecord>(),
    remove: call(ById).returns<{ id: string }>(),
    reveal: call(ById).returns<{ secret: string }>(),
    copy: call(ById).returns<{ clearsInSeconds: number }>(),
    verify: call(VerifyScope).returns<{ runId: string; total: number }>(),
    cancelVerify: call(z.object({ runId: z.string().min(1).max(64) }).strict()).returns<{
      cancelled: boolean;
    }>(),
    rotate: call(AppPasswordRotate).returns<AppPasswordRecord>(),
    findings: call(NoInput).returns<Finding[]>(),
  },
  audit: {
    query: call(AuditQuery).returns<{ rows: AuditEvent[]; total: number }>(),
    exportCsv: call(AuditExport).returns<{
      filename: string;
      csv: string;
      rows: number;
      integrity: AuditIntegrity;
    }>(),
    /** Checks the audit chain again and says whether the log is as AlertDesk wrote it. */
    integrity: call(NoInput).returns<AuditIntegrity>(),
  },
  runs: {
    samples: call(NoInput).returns<SampleSnapshot[]>(),
    plan: call(RunPlanInput).returns<RunPlan>(),
    start: call(RunOptions).returns<RunSummary>(),
    cancel: call(RunRef).returns<RunSummary>(),
    rerunFailed: call(RunRef).returns<RunSummary>(),
    list: call(NoInput).returns<RunSummary[]>(),
    get: call(RunRef).returns<RunDetail>(),
    report: call(RunReportInput).returns<HandoverReport>(),
    reportCsv: call(RunReportInput).returns<{ filename: string; csv: string }>(),
    reportPdf: call(RunReportPdfInput).returns<{ filename: string; base64: string }>(),
  },
  backup: {
    export: call(BackupExport).returns<{ filename: string; content: string; counts: BackupCounts }>(),
    import: call(BackupImport).returns<BackupCounts>(),
  },
  settings: {
    get: call(NoInput).returns<Settings>(),
    update: call(SettingsUpdate).returns<Settings>(),
  },
  arrival: {
    get: call(ById).returns<DeliveryArrival | null>(),
  },
  bench: {
    status: call(NoInput).returns<BenchStatus>(),
    configure: call(BenchSettingsUpdate).returns<BenchStatus>(),
    start: call(NoInput).returns<BenchStatus>(),
    stop: call(NoInput).returns<BenchStatus>(),
    renewCertificate: call(NoInput).returns<BenchStatus>(),
    messages: call(BenchMessagesQuery).returns<BenchPage>(),
    snapshot: call(BenchSnapshotRef).returns<{ filename: string; dataUrl: string }>(),
    log: call(NoInput).returns<BenchLogEntry[]>(),
    clear: call(NoInput).returns<{ removed: number }>(),
  },
  readiness: {
    report: call(ReadinessInput).returns<ReadinessReport>(),
    exportCsv: call(ReadinessInput).returns<{ filename: string; csv: string; rows: number }>(),
  },
  oauth: {
    apps: call(NoInput).returns<OAuthApps>(),
    updateApps: call(OAuthAppsFields).returns<OAuthApps>(),
    accounts: call(NoInput).returns<OAuthAccount[]>(),
    startSignIn: call(SignInInput).returns<SignInStart>(),
    openSignInPage: call(FlowRef).returns<{ opened: boolean }>(),
    cancelSignIn: call(FlowRef).returns<{ cancelled: boolean }>(),
    check: call(OAuthAccountRef).returns<OAuthAccount>(),
    signOut: call(OAuthAccountRef).returns<{
      id: string;
      connectorsDetached: number;
      revokedAtProvider: boolean;
    }>(),
  },
  health: {
    overview: call(NoInput).returns<HealthOverview>(),
    connectors: call(NoInput).returns<ConnectorHealth[]>(),
    cameras: call(NoInput).returns<CameraHealth[]>(),
  },
  mailboxes: {
    list: call(NoInput).returns<Mailbox[]>(),
    get: call(ById).returns<Mailbox>(),
    create: call(MailboxFields).returns<Mailbox>(),
    update: call(MailboxUpdate).returns<Mailbox>(),
    remove: call(ById).returns<{ id: string }>(),
    setEnabled: call(MailboxSetEnabled).returns<Mailbox>(),
    test: call(MailboxTestInput).returns<ConnectionTest>(),
    folders: call(MailboxTestInput).returns<MailboxFolder[]>(),
    messages: call(MailboxMessagesInput).returns<MailboxMessages>(),
    body: call(MailboxBodyInput).returns<MessageContent>(),
  },
  heartbeats: {
    overview: call(NoInput).returns<HeartbeatOverview>(),
    sites: call(NoInput).returns<SiteHeartbeats[]>(),
    camera: call(CameraRef).returns<CameraHeartbeatDetail>(),
    rules: call(RuleList).returns<HeartbeatRule[]>(),
    createRule: call(RuleFields).returns<HeartbeatRule>(),
    updateRule: call(RuleUpdate).returns<HeartbeatRule>(),
    removeRule: call(ById).returns<{ id: string }>(),
    previewRule: call(RuleFields).returns<RulePreview>(),
    unmatched: call(UnmatchedQuery).returns<UnmatchedPage>(),
    proposeRule: call(ProposeInput).returns<{ from: string; subject: string; preview: RulePreview }>(),
    assign: call(AssignInput).returns<{ rule: HeartbeatRule; matched: number }>(),
    setExpectation: call(ExpectationInput).returns<CameraHeartbeat>(),
    setSiteExpectation: call(SiteExpectationInput).returns<{ updated: number }>(),
    pause: call(PauseInput).returns<MaintenanceWindow>(),
    resume: call(ById).returns<MaintenanceWindow>(),
    windows: call(WindowList).returns<MaintenanceWindow[]>(),
    alerts: call(AlertQuery).returns<HeartbeatAlert[]>(),
    alertSettings: call(NoInput).returns<AlertSettings>(),
    setAlertSettings: call(AlertSettingsInput).returns<AlertSettings>(),
  },
} as const;

export type Contract = typeof contract;

/** Events pushed from main to the renderer (long work reports progress; the renderer never polls). */
export interface EventMap {
  delivery: DeliveryEvent;
  diagnosis: DiagnosisEvent;
  verify: VerifyProgress;
  run: RunEvent;
  arrival: ArrivalEvent;
  bench: BenchEvent;
  oauth: SignInEvent;
  health: HealthEvent;
  csvImport: CsvImportProgress;
  /** A mailbox watcher's state changed, or it read messages (catching up: at most 4 a second). */
  watcher: MailboxStatus;
  heartbeats: HeartbeatEvent;
}
export type EventTopic = keyof EventMap;
export interface EventMessage<K extends EventTopic = EventTopic> {
  topic: K;
  payload: EventMap[K];
}

type Method<I extends z.ZodType, O> =
  undefined extends z.input<I>
    ? (input?: z.input<I>) => Promise<Result<O>>
    : (input: z.input<I>) => Promise<Result<O>>;

type MethodOf<S> = S extends CallSpec<infer I, infer O> ? Method<I, O> : never;

export type ApiOf<C> = { readonly [G in keyof C]: { readonly [M in keyof C[G]]: MethodOf<C[G][M]> } };

export interface EventsApi {
  /** Subscribe to a topic; returns the function that unsubscribes. */
  on<K extends EventTopic>(topic: K, listener: (payload: EventMap[K]) => void): () => void;
}

/** What `window.alertdesk` is, in the app and in the browser test harness. */
export type AlertDeskApi = ApiOf<Contract> & { readonly events: EventsApi };

/** What the main process implements for each call: the parsed input in, the value out. */
type HandlerOf<S> = S extends CallSpec<infer I, infer O> ? (input: z.output<I>) => Promise<O> | O : never;
export type Handlers = {
  readonly [G in keyof Contract]: { readonly [M in keyof Contract[G]]: HandlerOf<Contract[G][M]> };
};

export const CHANNEL_PREFIX = 'alertdesk:';
export const EVENT_CHANNEL = 'alertdesk:event';
export const channelName = (group: string, method: string): string => `${CHANNEL_PREFIX}${group}.${method}`;

/** Every channel of the contract, as `[channel, group, method]`. */
export function contractChannels(): Array<[string, string, string]> {
  const out: Array<[string, string, string]> = [];
  for (const [group, methods] of Object.entries(contract)) {
    for (const method of Object.keys(methods)) out.push([channelName(group, method), group, method]);
  }
  return out;
}
