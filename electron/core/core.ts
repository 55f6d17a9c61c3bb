import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EventMessage, EventTopic, EventMap, Handlers } from '../../shared/contract.ts';
import type { PickedFile } from '../../shared/domain.ts';
import { parseJavaMailProperties } from '../../shared/javamail.ts';
import { AppError, notFound } from '../../shared/result.ts';
import type { TestMessageParsed } from '../../shared/schemas.ts';
import { systemClock, silentLogger, type CoreAdapters, type PickedFileRef } from './adapters.ts';
import { inspectCertificate } from './certificates.ts';
import { AuditLog } from './history/audit.ts';
import { fileStamp, spreadsheetCsv } from './csv.ts';
import { commitWrites, openHistory, type Db } from './history/db.ts';
import { DeliveryHistory } from './history/deliveries.ts';
import { ConnectorService } from './inventory/connectors.ts';
import { Inventory } from './inventory/inventory.ts';
import { SiteService } from './inventory/sites.ts';
import { CameraService } from './inventory/cameras.ts';
import { exportCameraCsv, importCameraCsv, previewCameraCsv } from './inventory/camera-csv.ts';
import { exportBackup, importBackup } from './inventory/backup.ts';
import { exportAudit, queryAudit } from './history/audit.ts';
import { AppPasswordService } from './vault/records.ts';
import { VerifyService } from './vault/verify.ts';
import { RunService } from './runs/runs.ts';
import type { DeliveryDetail } from '../../shared/delivery.ts';
import type { DiagnoseParsed } from '../../shared/schemas.ts';
import { exportDeliveries, queryDeliveries } from './history/deliveries.ts';
import { composeMessage } from './mail/compose.ts';
import { DeliveryThread } from './mail/delivery-thread.ts';
import { diagnose, discoverSettings } from './mail/diagnose.ts';
import { DeliveryEngine, classifyContext, targetFor, type RouteConnector } from './mail/engine.ts';

export const HISTORY_FILE = 'history.sqlite';

const slug = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '') || 'site';

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
  };

/**
 * Builds the whole core from its adapters. The Electron main process, the tests, the benchmarks
 * and any script call this (or `openCore` in node.ts), so they all run the same code.
 */
export function createCore(options: CoreOptions): Core {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const now = () => clock.now();
  const db = openHistory(join(options.dataDir, HISTORY_FILE), (error) =>
    logger.error('history: writes could not be stored', { error: String(error) }),
  );
  logger.info('core opened', { dataDir: options.dataDir, version: options.appVersion });
  const inventory = new Inventory(options.store);
  const audit = new AuditLog(db, options.osUser, now);
  const cameras = new CameraService(inventory, audit, now);
  const sites = new SiteService(inventory, audit, now, (siteId) => cameras.countBySite(siteId));
  const connectors = new ConnectorService(inventory, audit, options.secrets, now);
  const vault = new AppPasswordService({
    inventory,
    audit,
    secrets: options.secrets,
    now,
    sleep: (ms, signal) => clock.sleep(ms, signal),
    osUser: options.osUser,
    clipboard: options.clipboard,
  });
  const deliveries = new DeliveryHistory(db);

  const listeners = new Set<(message: EventMessage) => void>();
  let runs: RunService | null = null;
  const emit = <K extends EventTopic>(topic: K, payload: EventMap[K]) => {
    if (topic === 'delivery') {
      const { delivery } = payload as EventMap['delivery'];
      runs?.onDelivery(delivery);
      // A run reports its deliveries itself, batched ('run' events): the renderer is not flooded
      // with five events per camera.
      if (delivery.runId) return;
    }
    for (const listener of listeners) listener({ topic, payload } as EventMessage);
  };

  const verifier = new VerifyService({
    inventory,
    records: vault,
    connectors,
    audit,
    lookup: options.lookup,
    emit: (progress) => emit('verify', progress),
  });

  const thread = options.deliveryThread ? new DeliveryThread(options.deliveryThread, logger) : null;
  thread?.warmUp();
  const engine = new DeliveryEngine({
    ...(thread ? { openSession: thread.open } : {}),
    history: deliveries,
    connector: (id) => connectors.route(id),
    secrets: options.secrets,
    clock,
    logger,
    emit,
    ...(options.lookup ? { lookup: options.lookup } : {}),
    ...(options.globalSessions ? { globalSessions: options.globalSessions } : {}),
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
    },
  });

  const DAY = 86_400_000;
  /** Drops history older than the retention setting; runs at start, every 6 hours and on change. */
  const prune = () => {
    const removed = deliveries.prune(clock.now() - inventory.settings.historyRetentionDays * DAY);
    if (removed > 0)
      logger.info('pruned delivery history', { removed, days: inventory.settings.historyRetentionDays });
    const destroyed = vault.destroyExpiredSecrets();
    if (destroyed > 0) logger.info('destroyed secrets of retired app passwords', { destroyed });
  };
  prune();
  const pruneTimer = setInterval(prune, 6 * 3600_000);
  pruneTimer.unref();

  /** A connector (saved, or as typed in the form) turned into a session target for a diagnosis. */
  async function diagnosisTarget(input: DiagnoseParsed) {
    const stored = input.connectorId ? connectors.stored(input.connectorId) : null;
    const d = input.draft;
    const base: RouteConnector = stored
      ? connectors.route(stored.id)!
      : {
          id: 'draft',
          siteId: '',
          siteName: '',
          title: 'draft',
          host: d!.host,
          port: d!.port,
          security: d!.security,
          auth: d!.auth,
          username: d!.username,
          passwordSealed: null,
          sender: '',
          trustedCertificatePem: null,
          connectionTimeoutSec: d!.connectionTimeoutSec,
          state: 'STOPPED',
          maxSessions: 1,
          rateLimitPerMinute: null,
          dailyLimit: null,
          retryDelaysSec: [],
          pop: null,
        };
    const route: RouteConnector = d
      ? {
          ...base,
          host: d.host,
          port: d.port,
          security: d.security,
          auth: d.auth,
          username: d.username,
          trustedCertificatePem: d.trustedCertificatePem?.trim()
            ? d.trustedCertificatePem
            : base.trustedCertificatePem,
          connectionTimeoutSec: d.connectionTimeoutSec,
        }
      : base;
    const password = d?.password
      ? d.password
      : route.passwordSealed
        ? await options.secrets.open(route.passwordSealed)
        : '';
    const popPassword = route.pop?.passwordSealed ? await options.secrets.open(route.pop.passwordSealed) : '';
    return { route, target: targetFor(route, route.username, password, popPassword) };
  }

  /** Files picked in the open dialog, by the opaque token the renderer gets instead of a path. */
  const picked = new Map<string, PickedFileRef>();

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
    pickedFile: (token) => picked.get(token),
    lookup: options.lookup,
    emit: (event) => emit('run', event),
  });
  const runService = runs;

  async function attachmentsOf(input: TestMessageParsed) {
    return Promise.all(
      input.attachments.map(async (a, i) => {
        if (a.fileToken !== undefined) {
          const ref = picked.get(a.fileToken);
          if (!ref)
            throw new AppError(
              'invalid-input',
              'The picked file is no longer available; pick it again.',
              `attachments.${i}.fileToken`,
            );
          try {
            return { filename: a.filename ?? ref.filename, content: await readFile(ref.path) };
          } catch {
            throw new AppError(
              'invalid-input',
              `${ref.filename} can no longer be read (moved or deleted?).`,
              `attachments.${i}.fileToken`,
            );
          }
        }
        return { filename: a.filename!, content: Buffer.from(a.content!.replace(/\s+/g, ''), 'base64') };
      }),
    );
  }

  const handlers: Handlers = {
    app: {
      info: async () => ({
        version: options.appVersion,
        dataDir: options.dataDir,
        osUser: options.osUser,
        platform: process.platform,
        secretStorage: await options.secrets.status(),
      }),
    },
    sites: {
      list: () => sites.list(),
      create: (input) => sites.create(input),
      update: (input) => sites.update(input),
      remove: (input) => sites.remove(input),
    },
    connectors: {
      list: (input) => connectors.list(input?.siteId),
      get: ({ id }) => connectors.get(id),
      create: (input) => connectors.create(input),
      update: (input) => connectors.update(input),
      remove: ({ id }) => {
        const detached = inventory.cameras.filter((c) => c.connectorId === id);
        if (detached.length > 0) inventory.commit({ cameras: cameras.detachConnector(id) });
        for (const c of detached) {
          audit.record({
            action: 'update',
            recordType: 'camera',
            recordId: c.id,
            recordLabel: c.name,
            siteId: c.siteId,
            cameraId: c.id,
            detail: 'connector deleted; camera has no connector now',
          });
        }
        return connectors.remove(id);
      },
      setState: ({ id, state }) => connectors.setState(id, state),
      inspectCertificate: ({ pem }) => inspectCertificate(pem, 'pem'),
      importProperties: ({ text }) => parseJavaMailProperties(text),
      exportProperties: ({ id }) => connectors.exportProperties(id),
      diagnose: async (input) => {
        const { route, target } = await diagnosisTarget(input);
        const report = await diagnose(
          crypto.randomUUID(),
          target,
          classifyContext(route, route.username),
          options.lookup,
          (e) => emit('diagnosis', e),
        );
        if (input.connectorId) {
          audit.record({
            action: 'test',
            recordType: 'connector',
            recordId: input.connectorId,
            recordLabel: route.title,
            siteId: route.siteId,
            result: report.ok ? 'ok' : 'failed',
            detail: `diagnosis ${route.host}:${route.port} ${route.security}${report.failure ? `: ${report.failure.class}` : ''}`,
          });
        }
        return report;
      },
      findSettings: async (input) => {
        const { route, target } = await diagnosisTarget(input);
        return discoverSettings(
          crypto.randomUUID(),
          target,
          (port, security) => classifyContext({ ...route, port, security }, route.username),
          options.lookup,
          (e) => emit('diagnosis', e),
        );
      },
    },
    files: {
      pickAttachments: async (): Promise<PickedFile[]> => {
        const refs = await options.files.pickAttachments();
        return refs.map((ref) => {
          const token = crypto.randomUUID();
          picked.set(token, ref);
          return { token, filename: ref.filename, size: ref.size };
        });
      },
    },
    mail: {
      sendTest: async (input) => {
        const connector = connectors.stored(input.connectorId);
        const message = await composeMessage({
          from: connector.sender,
          fromName: connector.senderName,
          to: input.to,
          cc: input.cc,
          bcc: input.bcc,
          replyTo: input.replyTo || connector.replyTo,
          subject: input.subject,
          body: input.body,
          contentType: input.contentType,
          importance: input.importance,
          attachments: await attachmentsOf(input),
          headers: { 'X-Mailer': `AlertDesk ${options.appVersion}` },
        });
        const { id } = engine.submit({
          kind: 'test',
          connectorId: connector.id,
          message,
          allowStopped: true,
        });
        return { deliveryId: id };
      },
    },
    deliveries: {
      get: ({ id }): DeliveryDetail => {
        const detail = deliveries.detail(id);
        if (!detail) throw notFound('Delivery', id);
        // A delivery in flight is ahead of its row (the "sending" state is not written).
        const live = engine.liveState(id);
        return live ? { ...detail, ...live, attempts: detail.attempts } : detail;
      },
      query: (q) => {
        const page = queryDeliveries(db, q);
        return {
          ...page,
          rows: page.rows.map((row) => {
            const live = engine.liveState(row.id);
            return live
              ? {
                  ...row,
                  status: live.status,
                  attemptCount: live.attemptCount,
                  nextAttemptAt: live.nextAttemptAt,
                }
              : row;
          }),
        };
      },
      exportCsv: ({ filter }) => {
        const rows = exportDeliveries(db, filter);
        const csv = spreadsheetCsv(
          rows.map((d) => ({
            time: d.createdAt,
            status: d.status,
            failure_class: d.failureClass ?? '',
            site: d.siteName,
            connector: d.connectorTitle,
            camera: d.cameraName ?? '',
            kind: d.kind,
            subject: d.subject,
            from: d.from,
            to: d.to.join('; '),
            attempts: d.attemptCount,
            duration_ms: d.durationMs ?? '',
            server_reply: d.reply ?? '',
            message_id: d.messageId ?? '',
            run_id: d.runId ?? '',
          })),
        );
        audit.record({
          action: 'export',
          recordType: 'delivery',
          recordLabel: 'delivery history CSV',
          detail: `${rows.length} rows`,
        });
        const stamp = fileStamp(clock.now());
        return { filename: `alertdesk-deliveries-${stamp}.csv`, csv, rows: rows.length };
      },
    },
    cameras: {
      list: (input) => cameras.list(input?.siteId),
      get: ({ id }) => cameras.get(id),
      create: (input) => cameras.create(input),
      update: (input) => cameras.update(input),
      remove: ({ id }) => cameras.remove(id),
      bulkUpdate: (input) => cameras.bulkUpdate(input),
      previewImport: (input) => previewCameraCsv({ inventory, cameras, audit, now }, input),
      importCsv: (input) => importCameraCsv({ inventory, cameras, audit, now }, input),
      exportCsv: (input) => exportCameraCsv({ inventory, cameras, audit, now }, input?.siteId),
    },
    vault: {
      list: () => vault.list(),
      create: (input) => vault.create(input),
      update: (input) => vault.update(input),
      remove: ({ id }) => vault.remove(id),
      reveal: ({ id }) => vault.reveal(id),
      copy: ({ id }) => vault.copy(id),
      verify: (scope) => {
        const { runId, total } = verifier.start(scope);
        return { runId, total };
      },
      cancelVerify: ({ runId }) => ({ cancelled: verifier.cancel(runId) }),
      rotate: async ({ id, secret, label, verify }) => {
        const old = vault.stored(id);
        let verified: { ok: boolean; failureClass: string | null; message: string } | null = null;
        if (verify) {
          verified = await verifier.probe(old, secret);
          if (!verified.ok) {
            audit.record({
              action: 'rotate',
              recordType: 'app-password',
              recordId: id,
              recordLabel: `${old.account} · ${old.label}`,
              result: 'refused',
              detail: `new secret rejected: ${verified.message}`,
            });
            throw new AppError(
              'verify-failed',
              `The new app password did not work, so nothing was changed: ${verified.message}`,
              'secret',
            );
          }
        }
        return vault.rotate(id, secret, label, verified);
      },
      findings: () => vault.findings(),
    },
    audit: {
      query: ({ filter, offset, limit }) => queryAudit(db, filter, offset, limit),
      exportCsv: ({ filter }) => {
        const rows = exportAudit(db, filter);
        const csv = spreadsheetCsv(
          rows.map((e) => ({
            seq: e.seq,
            time: e.at,
            user: e.osUser,
            action: e.action,
            record_type: e.recordType,
            record_id: e.recordId ?? '',
            record: e.recordLabel,
            site_id: e.siteId ?? '',
            camera_id: e.cameraId ?? '',
            result: e.result,
            detail: e.detail,
          })),
        );
        audit.record({
          action: 'export',
          recordType: 'audit',
          recordLabel: 'audit log CSV',
          detail: `${rows.length} events`,
        });
        const stamp = fileStamp(clock.now());
        return { filename: `alertdesk-audit-${stamp}.csv`, csv, rows: rows.length };
      },
    },
    runs: {
      samples: () => runService.samples(),
      plan: ({ probe, ...options }) => runService.plan(options, probe),
      start: (options) => runService.start(options),
      cancel: ({ runId }) => runService.cancel(runId),
      rerunFailed: ({ runId }) => runService.rerunFailed(runId),
      list: () => runService.list(),
      get: ({ runId }) => runService.detail(runId),
      report: ({ runId, siteId }) => runService.report(runId, siteId),
      reportCsv: ({ runId, siteId }) => {
        const report = runService.report(runId, siteId);
        const csv = spreadsheetCsv(
          report.items.map((i) => ({
            site: report.site.name,
            date: report.run.startedAt,
            integrator: report.integrator,
            camera: i.cameraName,
            connector: i.connectorTitle,
            account: i.account,
            recipients: i.recipients.join('; '),
            result: i.status,
            failure_class: i.failureClass ?? '',
            explanation: i.explanation ?? '',
            server_reply: i.reply ?? '',
            message_id: i.messageId ?? '',
            time_ms: i.durationMs ?? '',
          })),
        );
        audit.record({
          action: 'export',
          recordType: 'inventory',
          recordId: runId,
          recordLabel: `handover report CSV: ${report.site.name}`,
          siteId,
          detail: `${report.items.length} row(s)`,
        });
        return {
          filename: `handover-${slug(report.site.name)}-${report.run.startedAt.slice(0, 10)}.csv`,
          csv,
        };
      },
      reportPdf: async ({ runId, siteId }) => {
        const report = runService.report(runId, siteId);
        if (!options.printer)
          throw new AppError(
            'unavailable',
            'PDF printing is not available here; use Print on the report page.',
          );
        const pdf = await options.printer.pdf(runId, siteId);
        audit.record({
          action: 'export',
          recordType: 'inventory',
          recordId: runId,
          recordLabel: `handover report PDF: ${report.site.name}`,
          siteId,
          detail: `${pdf.length} bytes`,
        });
        return {
          filename: `handover-${slug(report.site.name)}-${report.run.startedAt.slice(0, 10)}.pdf`,
          base64: pdf.toString('base64'),
        };
      },
    },
    backup: {
      export: ({ passphrase }) =>
        exportBackup(
          { inventory, secrets: options.secrets, records: vault, audit, now, appVersion: options.appVersion },
          passphrase,
        ),
      import: ({ content, passphrase }) =>
        importBackup(
          { inventory, secrets: options.secrets, records: vault, audit, now, appVersion: options.appVersion },
          content,
          passphrase,
        ),
    },
    settings: {
      get: () => inventory.settings,
      update: (input) => {
        inventory.commit({ settings: { ...inventory.settings, ...input } });
        audit.record({
          action: 'update',
          recordType: 'inventory',
          recordLabel: 'settings',
          detail: Object.entries(input)
            .map(([k, v]) => `${k}=${String(v)}`)
            .join(', '),
        });
        prune();
        return inventory.settings;
      },
    },
  };

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
    runs: runService,
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      clearInterval(pruneTimer);
      await vault.flushClipboard();
      await engine.close();
      await thread?.close();
      listeners.clear();
      commitWrites(db);
      db.close();
    },
  };
}
