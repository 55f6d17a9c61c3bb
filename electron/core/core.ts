import { join } from 'node:path';
import type { EventMessage, EventTopic, EventMap, Handlers } from '../../shared/contract.ts';
import { ArrivalService } from './arrival/arrival.ts';
import { arrivalHandlers } from './arrival/arrival-handlers.ts';
import { BenchInbox } from './bench/bench.ts';
import { benchHandlers } from './bench/bench-handlers.ts';
import { systemClock, silentLogger, type CoreAdapters, type PickedFileRef } from './adapters.ts';
import type { CoreContext } from './context.ts';
import { healthHandlers } from './health/health-handlers.ts';
import { HealthService } from './health/health.ts';
import { LastResults } from './health/last-results.ts';
import type { AuditLog } from './history/audit.ts';
import { auditHandlers } from './history/audit-handlers.ts';
import { commitWrites, type Db } from './history/db.ts';
import { DeliveryHistory } from './history/deliveries.ts';
import { deliveryHandlers } from './history/delivery-handlers.ts';
import { heartbeatHandlers } from './heartbeats/heartbeat-handlers.ts';
import { plugIntoHealth } from './heartbeats/health-source.ts';
import { HeartbeatService } from './heartbeats/service.ts';
import { InboundHub } from './inbound/hub.ts';
import type { AccessTokenProvider } from './inbound/imap-session.ts';
import { imapAccessTokens } from './inbound/imap-oauth.ts';
import { mailboxHandlers } from './inbound/mailbox-handlers.ts';
import { MailboxService } from './inbound/mailboxes.ts';
import { SyncState } from './inbound/sync-state.ts';
import { MailboxWatchers } from './inbound/watchers.ts';
import { backupHandlers } from './inventory/backup-handlers.ts';
import { CsvThread } from './inventory/camera-csv-thread.ts';
import { cameraHandlers } from './inventory/camera-handlers.ts';
import { CameraService } from './inventory/cameras.ts';
import { connectorHandlers } from './inventory/connector-handlers.ts';
import { ConnectorService } from './inventory/connectors.ts';
import type { Inventory } from './inventory/inventory.ts';
import { settingsHandlers } from './inventory/settings-handlers.ts';
import { siteHandlers } from './inventory/site-handlers.ts';
import { SiteService } from './inventory/sites.ts';
import { DeliveryThread } from './mail/delivery-thread.ts';
import { DeliveryEngine } from './mail/engine.ts';
import { fileHandlers, mailHandlers } from './mail/mail-handlers.ts';
import { oauthHandlers } from './oauth/oauth-handlers.ts';
import { oauthLogin } from './oauth/login.ts';
import { OAuthService } from './oauth/oauth.ts';
import { basicAuthSignals, signInSignals } from './readiness/health-signals.ts';
import { readinessHandlers } from './readiness/readiness-handlers.ts';
import { runHandlers } from './runs/run-handlers.ts';
import { RunService } from './runs/runs.ts';
import { AppPasswordService } from './vault/records.ts';
import { vaultHandlers } from './vault/vault-handlers.ts';
import { VerifyService } from './vault/verify.ts';
import type { BoundSecrets } from './secrets/keyring.ts';
import { openDataFolder } from './opening.ts';
import { lockDataFolder, type DataFolderLock } from './store/data-folder.ts';

export { HISTORY_FILE } from './opening.ts';

export interface Core {
  readonly handlers: Handlers;
  readonly dataDir: string;
  readonly db: Db;
  readonly inventory: Inventory;
  readonly sites: SiteService;
  readonly connectors: ConnectorService;
  readonly deliveries: DeliveryHistory;
  readonly engine: DeliveryEngine;
  readonly audit: AuditLog;
  readonly cameras: CameraService;
  readonly vault: AppPasswordService;
  readonly verifier: VerifyService;
  readonly runs: RunService;
  readonly oauth: OAuthService;
  readonly inbound: InboundHub;
  readonly arrival: ArrivalService;
  readonly bench: BenchInbox;
  readonly heartbeats: HeartbeatService;
  readonly health: HealthService;
  /** The keyring's secret box: seals and opens secrets bound to their record. */
  readonly secrets: BoundSecrets;
  readonly mailboxes: MailboxService;
  readonly watchers: MailboxWatchers;
  /** Every event the core pushes (delivery progress…); returns the function that unsubscribes. */
  onEvent(listener: (message: EventMessage) => void): () => void;
  close(): Promise<void>;
}

export type CoreOptions = Omit<CoreAdapters, 'clock' | 'logger'> &
  Partial<Pick<CoreAdapters, 'clock' | 'logger'>> & {
    /** Sessions open at once across all connectors (default 64). */
    globalSessions?: number;
    /**
     * The delivery thread's script (smtp-worker.ts, bundled as dist/electron/smtp-worker.cjs): SMTP
     * sessions of deliveries run in that worker thread. Without it they run in this thread.
     */
    deliveryThread?: URL;
    /** The bench inbox's parsing thread (bench-worker.ts, bundled as dist/electron/bench-worker.cjs). */
    benchWorker?: URL;
    /** The data folder's lock, when the caller took it first (before its key file); else taken here. */
    lock?: DataFolderLock;
    /**
     * Watch the enabled mailboxes (IMAP) from the start (the app does). Off by default, so tests
     * and scripts open no connections unless they ask.
     */
    watchMailboxes?: boolean;
    /** OAuth2 access tokens for mailboxes signing in with `oauth2`; by default the core's own sign-ins. */
    imapAccessToken?: AccessTokenProvider;
  };

const DAY = 86_400_000;

/**
 * The composition root: builds the services from their adapters, then the handlers of every call
 * (each feature's `*-handlers.ts`, beside its service). The Electron main process, the tests, the
 * benchmarks and any script call this (or `openCore` in node.ts), so they all run the same code.
 * Refuses a data folder another core has open (`data-folder-in-use`).
 */
export async function createCore(options: CoreOptions): Promise<Core> {
  const lock = options.lock ?? lockDataFolder(options.dataDir, 'AlertDesk');
  try {
    return await openOnLock(options, lock);
  } catch (error) {
    lock.release();
    throw error;
  }
}

async function openOnLock(options: CoreOptions, lock: DataFolderLock): Promise<Core> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const now = () => clock.now();
  const { db, inventory, audit, secrets, misplaced } = await openDataFolder({
    dataDir: options.dataDir,
    store: options.store,
    box: options.secrets,
    osUser: options.osUser,
    logger,
    now,
  });
  logger.info('core opened', { dataDir: options.dataDir, version: options.appVersion });

  const adapters: CoreAdapters = { ...options, secrets, clock, logger };
  const cameras = new CameraService(inventory, now);
  const sites = new SiteService(inventory, now, (siteId) => cameras.countBySite(siteId));
  const connectors = new ConnectorService(inventory, audit, secrets, now);
  const vault = new AppPasswordService({
    inventory,
    audit,
    secrets,
    now,
    sleep: (ms, signal) => clock.sleep(ms, signal),
    osUser: options.osUser,
    clipboard: options.clipboard,
  });
  const deliveries = new DeliveryHistory(db);
  const inbound = new InboundHub(db, now, logger);
  const syncState = new SyncState(db);

  const listeners = new Set<(message: EventMessage) => void>();
  let runs: RunService | null = null;
  let health: HealthService | null = null;
  let watchers: MailboxWatchers | null = null;
  const emit = <K extends EventTopic>(topic: K, payload: EventMap[K]) => {
    health?.observe(topic, payload);
    if (topic === 'delivery') {
      const { delivery } = payload as EventMap['delivery'];
      runs?.onDelivery(delivery);
      // A run reports its deliveries itself, batched ('run' events): the renderer is not flooded
      // with five events per camera.
      if (delivery.runId) return;
    }
    if (topic === 'arrival') {
      const { arrival: proof } = payload as EventMap['arrival'];
      // A run's items carry their arrival in the run's own (batched) events.
      if (proof.runId) {
        runs?.onArrival(proof);
        return;
      }
    }
    for (const listener of listeners) listener({ topic, payload } as EventMessage);
  };

  const arrival = new ArrivalService({
    db,
    inventory,
    inbound,
    clock,
    logger,
    emit: (event) => emit('arrival', event),
  });
  const bench = new BenchInbox({
    db,
    dir: join(options.dataDir, 'bench'),
    inventory,
    secrets,
    inbound,
    logger,
    now,
    emit: (event) => emit('bench', event),
    workerScript: options.benchWorker ?? null,
  });

  const verifier = new VerifyService({
    inventory,
    records: vault,
    connectors,
    audit,
    lookup: options.lookup,
    emit: (progress) => emit('verify', progress),
  });

  const oauth = new OAuthService({
    inventory,
    audit,
    secrets,
    clock,
    logger,
    osUser: options.osUser,
    browser: options.browser,
    endpoints: options.oauthEndpoints,
    builtInApps: options.builtInOAuthApps,
    emit: (event) => emit('oauth', event),
    changed: () => health?.changed(),
    accountChanged: (account, what) => watchers?.accountChanged(account, what),
  });

  // Watched mailboxes signing in with OAuth2 get their token from the same sign-ins as connectors.
  const imapAccessToken: AccessTokenProvider = options.imapAccessToken ?? imapAccessTokens(oauth, inventory);

  const thread = options.deliveryThread ? new DeliveryThread(options.deliveryThread, logger) : null;
  thread?.warmUp();
  const engine = new DeliveryEngine({
    ...(thread ? { openSession: thread.open } : {}),
    history: deliveries,
    connector: (id) => connectors.route(id),
    secrets,
    clock,
    logger,
    emit,
    ...(options.lookup ? { lookup: options.lookup } : {}),
    ...(options.globalSessions ? { globalSessions: options.globalSessions } : {}),
    oauthLogin: (connector, login) => oauthLogin(oauth, inventory, connector, login),
    onFinished: (job, detail) => {
      logger.info('delivery finished', {
        id: detail.id,
        kind: detail.kind,
        connector: detail.connectorTitle,
        status: detail.status,
        failureClass: detail.failureClass,
        attempts: detail.attemptCount,
        reply: detail.reply,
      });
      if (job.kind === 'test') connectors.recordTest(job.connectorId, detail);
      arrival.onFinished(detail);
    },
  });

  const prune = () => {
    const before = clock.now() - inventory.settings.historyRetentionDays * DAY;
    const removed = deliveries.prune(before);
    if (removed > 0)
      logger.info('pruned delivery history', { removed, days: inventory.settings.historyRetentionDays });
    const read = inbound.prune(before);
    if (read > 0) logger.info('pruned inbound mail', { removed: read });
    const destroyed = vault.destroyExpiredSecrets();
    if (destroyed > 0) logger.info('destroyed secrets of retired app passwords', { destroyed });
  };
  prune();
  const pruneTimer = setInterval(prune, 6 * 3600_000);
  pruneTimer.unref();

  const pickedFiles = new Map<string, PickedFileRef>();
  const csvThread = new CsvThread(options.csvThread ?? null);
  runs = new RunService({
    db,
    inventory,
    connectors,
    engine,
    audit,
    clock,
    logger,
    osUser: options.osUser,
    appVersion: options.appVersion,
    samplesDir: options.samplesDir ?? join(options.dataDir, 'snapshots'),
    pickedFile: (token) => pickedFiles.get(token),
    lookup: options.lookup,
    arrival,
    emit: (event) => emit('run', event),
  });

  health = new HealthService({
    inventory,
    results: new LastResults(db),
    now,
    findings: () => vault.findings(),
    runItems: (runId) => runs.detail(runId).items,
    verifiedThrough: (recordId) => {
      const record = inventory.appPassword(recordId);
      const route = record ? verifier.routeFor(record) : null;
      return route && route.id !== 'provider' ? route.id : null;
    },
    emit: (event) => emit('health', event),
  });
  health.register({ name: 'sign-in', signals: () => signInSignals(inventory) });
  health.register({ name: 'basic-auth cutoff', signals: () => basicAuthSignals(inventory, now()) });

  watchers = new MailboxWatchers({
    inventory,
    hub: inbound,
    syncState,
    secrets,
    clock,
    logger,
    appVersion: options.appVersion,
    run: options.watchMailboxes ?? false,
    emit: (status) => emit('watcher', status),
    lookup: options.lookup,
    power: options.power,
    accessToken: imapAccessToken,
  });
  const mailboxes = new MailboxService({
    inventory,
    audit,
    secrets,
    hub: inbound,
    syncState,
    watchers,
    now,
    appVersion: options.appVersion,
    lookup: options.lookup,
    accessToken: imapAccessToken,
  });

  const heartbeats = new HeartbeatService({
    db,
    inventory,
    inbound,
    clock,
    logger,
    engine,
    options: adapters,
    emit,
  });
  // The Overview's roll-up: every camera's heartbeat state as a health signal.
  plugIntoHealth(heartbeats, health);

  const ctx: CoreContext = {
    options: adapters,
    secrets,
    misplacedSecrets: misplaced,
    clock,
    logger,
    now,
    db,
    inventory,
    audit,
    sites,
    connectors,
    cameras,
    vault,
    verifier,
    deliveries,
    engine,
    runs,
    oauth,
    inbound,
    arrival,
    bench,
    heartbeats,
    health,
    mailboxes,
    watchers,
    emit,
    csvThread,
    pickedFiles,
    prune,
  };

  const handlers: Handlers = {
    app: {
      info: async () => ({
        version: options.appVersion,
        dataDir: options.dataDir,
        osUser: options.osUser,
        platform: process.platform,
        secretStorage: await secrets.status(),
      }),
    },
    sites: siteHandlers(ctx),
    connectors: connectorHandlers(ctx),
    files: fileHandlers(ctx),
    mail: mailHandlers(ctx),
    deliveries: deliveryHandlers(ctx),
    cameras: cameraHandlers(ctx),
    vault: vaultHandlers(ctx),
    audit: auditHandlers(ctx),
    runs: runHandlers(ctx),
    backup: backupHandlers(ctx),
    settings: settingsHandlers(ctx),
    arrival: arrivalHandlers(ctx),
    bench: benchHandlers(ctx),
    oauth: oauthHandlers(ctx),
    readiness: readinessHandlers(ctx),
    heartbeats: heartbeatHandlers(ctx),
    health: healthHandlers(ctx),
    mailboxes: mailboxHandlers(ctx),
  };
  void watchers.start();

  return {
    handlers,
    dataDir: options.dataDir,
    db,
    inventory,
    sites,
    connectors,
    deliveries,
    engine,
    audit,
    cameras,
    vault,
    verifier,
    runs,
    oauth,
    inbound,
    arrival,
    bench,
    heartbeats,
    health,
    secrets,
    mailboxes,
    watchers,
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      clearInterval(pruneTimer);
      await bench.close();
      oauth.close();
      await heartbeats.close();
      health.close();
      await watchers.close();
      await vault.flushClipboard();
      await engine.close();
      arrival.close();
      await thread?.close();
      await csvThread.close();
      listeners.clear();
      commitWrites(db);
      db.close();
      lock.release();
    },
  };
}
