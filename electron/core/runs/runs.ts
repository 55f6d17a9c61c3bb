import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { SQLInputValue } from 'node:sqlite';
import {
  ARRIVAL_STATES,
  newToken,
  subjectWithToken,
  type ArrivalState,
  type DeliveryArrival,
} from '../../../shared/arrival.ts';
import type { DeliverySummary } from '../../../shared/delivery.ts';
import { TOKEN_HEADER } from '../../../shared/inbound.ts';
import { FAILURE_CATALOG, type FailureClass } from '../../../shared/failures.ts';
import { AppError, notFound } from '../../../shared/result.ts';
import type {
  HandoverReport,
  RunCounts,
  RunDetail,
  RunEvent,
  RunItem,
  RunItemStatus,
  RunPlan,
  RunPlanConnector,
  RunStatus,
  RunSummary,
  SampleSnapshot,
} from '../../../shared/runs.ts';
import type { RunOptionsParsed } from '../../../shared/schemas.ts';
import { renderSubject } from '../../../shared/subject.ts';
import { plural } from '../../../shared/words.ts';
import type { Clock, HostLookup, Logger } from '../adapters.ts';
import type { ArrivalPort } from '../arrival/arrival.ts';
import { settle, transaction, write, writeSoon, type Db } from '../history/db.ts';
import type { AuditLog } from '../history/audit.ts';
import type { Inventory, StoredCamera, StoredConnector, StoredSite } from '../inventory/inventory.ts';
import type { ConnectorService } from '../inventory/connectors.ts';
import {
  composeMessage,
  prepareAttachments,
  type Attachment,
  type ComposedMessage,
  type PreparedAttachment,
} from '../mail/compose.ts';
import { targetFor, type DeliveryEngine, type DeliveryOutcome } from '../mail/engine.ts';
import { SmtpSession } from '../mail/session.ts';
import { Transcript } from '../mail/transcript.ts';
import { buildReport, countItems, isCounted, noCounts } from './report.ts';

/** Jobs queued before the event loop gets a turn (and the first SMTP sessions open). */
const SUBMIT_BATCH = 64;

interface PlannedItem {
  camera: StoredCamera | null;
  site: StoredSite;
  connector: StoredConnector | null;
  account: string;
  passwordSealed: string | null;
  recipients: string[];
  subject: string;
  from: string;
  skipReason: string | null;
}

interface ActiveRun {
  id: string;
  controller: AbortController;
  done: Promise<void>;
  items: Map<string, RunItem>;
  /** Items changed since listeners last heard. */
  dirty: Set<string>;
  flush: NodeJS.Timeout | null;
  /** A camera passes only when its mail arrived in the Inbox (arrival proof). */
  requireArrival: boolean;
  tokenInSubject: boolean;
}

interface ItemRow {
  id: string;
  run_id: string;
  seq: number;
  camera_id: string | null;
  camera_name: string;
  site_id: string;
  site_name: string;
  connector_id: string | null;
  connector_title: string;
  account: string;
  recipients_json: string;
  subject: string;
  status: string;
  delivery_id: string | null;
  failure_class: string | null;
  explanation: string | null;
  fix: string | null;
  reply: string | null;
  message_id: string | null;
  duration_ms: number | null;
  attempts: number;
  finished_at: number | null;
}

interface RunRow {
  id: string;
  started_at: number;
  finished_at: number | null;
  started_by: string;
  status: string;
  scope_label: string;
  site_ids_json: string;
  options_json: string;
  snapshots: number;
  note: string;
  rerun_of: string | null;
}

/** "Quay 2" before "Quay 10". */
const NATURAL = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const FINAL: ReadonlySet<RunItemStatus> = new Set([
  'passed',
  'failed',
  'cancelled',
  'skipped',
  'interrupted',
]);

function itemOf(r: ItemRow): RunItem {
  return {
    id: r.id,
    runId: r.run_id,
    cameraId: r.camera_id,
    cameraName: r.camera_name,
    siteId: r.site_id,
    siteName: r.site_name,
    connectorId: r.connector_id,
    connectorTitle: r.connector_title,
    account: r.account,
    recipients: JSON.parse(r.recipients_json) as string[],
    subject: r.subject,
    status: r.status as RunItemStatus,
    deliveryId: r.delivery_id,
    failureClass: r.failure_class as FailureClass | null,
    explanation: r.explanation,
    fix: r.fix,
    reply: r.reply,
    messageId: r.message_id,
    durationMs: r.duration_ms,
    attempts: r.attempts,
    finishedAt: iso(r.finished_at),
  };
}

const statusOfDelivery = (d: Pick<DeliverySummary, 'status'>): RunItemStatus =>
  d.status === 'sent' ? 'passed' : d.status === 'queued' ? 'queued' : d.status;

export interface RunDeps {
  db: Db;
  inventory: Inventory;
  connectors: ConnectorService;
  engine: DeliveryEngine;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
  osUser: string;
  appVersion: string;
  /** Folder of the sample snapshot JPEGs (assets/snapshots). */
  samplesDir: string;
  /** Files picked in the open dialog, by token. */
  pickedFile: (token: string) => { path: string; filename: string } | undefined;
  lookup: HostLookup | undefined;
  /** Arrival proof: every message carries a token; runs may require the mail to land. */
  arrival?: ArrivalPort;
  emit: (event: RunEvent) => void;
}

/**
 * Handover runs: every camera of the chosen sites, cameras or connectors is tested through its own
 * connector with its own login and app password, rendered subject and recipients, optionally with
 * a burst of snapshots. Sending goes through the delivery engine (pools, rate limits, retries);
 * the run and each camera's outcome are kept in SQLite beside the delivery history.
 */
export class RunService {
  private readonly d: RunDeps;
  /** Runs in progress: their items and counts live here, SQLite gets each item's final state. */
  private readonly active = new Map<string, ActiveRun>();
  private readonly deliveryToItem = new Map<string, { run: ActiveRun; itemId: string }>();
  /** Items accepted by their server and waiting for arrival proof, by delivery. */
  private readonly arriving = new Map<string, { run: ActiveRun; itemId: string }>();
  private readonly sql;

  constructor(deps: RunDeps) {
    this.d = deps;
    const db = deps.db;
    this.sql = {
      run: db.prepare('SELECT * FROM runs WHERE id = ?'),
      items: db.prepare('SELECT * FROM run_items WHERE run_id = ? ORDER BY seq'),
      counts: db.prepare('SELECT status, COUNT(*) AS n FROM run_items WHERE run_id = ? GROUP BY status'),
      finishItem: db.prepare(
        'UPDATE run_items SET status = ?, delivery_id = ?, failure_class = ?, explanation = ?, fix = ?, reply = ?, message_id = ?, duration_ms = ?, attempts = ?, finished_at = ? WHERE id = ?',
      ),
      finishRun: db.prepare('UPDATE runs SET status = ?, finished_at = ? WHERE id = ?'),
    };
  }

  /** Called for every delivery event of the engine: keeps the live run items up to date. */
  onDelivery(delivery: DeliverySummary): void {
    const ref = this.deliveryToItem.get(delivery.id);
    if (!ref) return;
    const status = statusOfDelivery(delivery);
    if (FINAL.has(status)) return; // the final state comes with the outcome, in finishItem
    const item = ref.run.items.get(ref.itemId)!;
    item.status = status;
    item.attempts = delivery.attemptCount;
    item.failureClass = delivery.failureClass;
    this.touch(ref.run, item.id);
  }

  async samples(): Promise<SampleSnapshot[]> {
    try {
      const names = (await readdir(this.d.samplesDir)).filter((n) => /\.jpe?g$/i.test(n)).sort();
      return Promise.all(
        names.map(async (name) => ({ name, bytes: (await stat(join(this.d.samplesDir, name))).size })),
      );
    } catch {
      return [];
    }
  }

  plan(options: RunOptionsParsed, probe = false): Promise<RunPlan> {
    return this.buildPlan(options, probe);
  }

  async start(
    options: RunOptionsParsed,
    rerun: { of: string; items: RunItem[] } | null = null,
  ): Promise<RunSummary> {
    const planned = rerun ? this.itemsFromPrevious(rerun.items, options) : this.resolve(options);
    if (planned.length === 0) {
      throw new AppError(
        'invalid-input',
        'There is nothing to test in this selection: no cameras and no connectors.',
        'scope.siteIds',
      );
    }
    const attachments = await this.attachments(options);
    const runId = crypto.randomUUID();
    const now = this.d.clock.now();
    const siteIds = [...new Set(planned.map((p) => p.site.id))];
    const scopeLabel = this.label(options, planned, rerun !== null);
    const items = planned.map((p, seq) => ({ id: crypto.randomUUID(), seq, plan: p }));

    const live = new Map<string, RunItem>();
    transaction(this.d.db, () => {
      this.d.db
        .prepare(
          'INSERT INTO runs (id, started_at, started_by, status, scope_label, site_ids_json, options_json, snapshots, note, rerun_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        )
        .run(
          runId,
          now,
          this.d.osUser,
          'running',
          scopeLabel,
          JSON.stringify(siteIds),
          JSON.stringify(options),
          attachments.length,
          options.note,
          rerun?.of ?? null,
        );
      const insert = this.d.db.prepare(
        `INSERT INTO run_items (id, run_id, seq, camera_id, camera_name, site_id, site_name, connector_id, connector_title, account,
          recipients_json, subject, status, explanation, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const { id, seq, plan: p } of items) {
        const item: RunItem = {
          id,
          runId,
          cameraId: p.camera?.id ?? null,
          cameraName: p.camera?.name ?? `(connector) ${p.connector?.title ?? ''}`,
          siteId: p.site.id,
          siteName: p.site.name,
          connectorId: p.connector?.id ?? null,
          connectorTitle: p.connector?.title ?? '—',
          account: p.account,
          recipients: p.recipients,
          subject: p.subject,
          status: p.skipReason ? 'skipped' : 'queued',
          deliveryId: null,
          failureClass: null,
          explanation: p.skipReason,
          fix: null,
          reply: null,
          messageId: null,
          durationMs: null,
          attempts: 0,
          finishedAt: p.skipReason ? new Date(now).toISOString() : null,
        };
        live.set(id, item);
        insert.run(
          id,
          runId,
          seq,
          item.cameraId,
          item.cameraName,
          item.siteId,
          item.siteName,
          item.connectorId,
          item.connectorTitle,
          item.account,
          JSON.stringify(item.recipients),
          item.subject,
          item.status,
          item.explanation,
          p.skipReason ? now : null,
        );
      }
    });
    this.d.audit.record({
      action: 'test',
      recordType: 'inventory',
      recordId: runId,
      recordLabel: `handover run: ${scopeLabel}`,
      detail: `${plural(items.length, 'item')}, ${plural(attachments.length, 'snapshot')}${rerun ? `, re-run of the failures of ${rerun.of}` : ''}`,
    });

    const run: ActiveRun = {
      id: runId,
      controller: new AbortController(),
      done: Promise.resolve(),
      items: live,
      dirty: new Set(),
      flush: null,
      requireArrival: options.requireArrival && this.d.arrival !== undefined,
      tokenInSubject: options.tokenInSubject ?? this.d.inventory.settings.tokenInSubject,
    };
    this.active.set(runId, run);
    run.done = this.send(run, items, attachments).finally(() => this.active.delete(runId));
    this.publish(run, []);
    return this.summary(runId);
  }

  cancel(runId: string): RunSummary {
    const run = this.active.get(runId);
    if (!run) {
      const summary = this.summary(runId); // an unknown run is not-found, not "finished"
      if (summary.status === 'interrupted') {
        throw new AppError(
          'not-running',
          'This run was interrupted when AlertDesk stopped: nothing of it is being sent any more. Re-run it to test the cameras it did not finish.',
        );
      }
      throw new AppError('not-running', 'This run has already finished.');
    }
    run.controller.abort();
    return this.summary(runId);
  }

  async rerunFailed(runId: string): Promise<RunSummary> {
    const previous = this.detail(runId);
    if (this.active.has(runId))
      throw new AppError('still-running', 'This run is still going: wait for it to finish, or cancel it.');
    const failed = previous.items.filter(
      (i) => i.status === 'failed' || i.status === 'cancelled' || i.status === 'interrupted',
    );
    if (failed.length === 0)
      throw new AppError(
        'nothing-failed',
        'Every camera of this run passed or was skipped: there is nothing to re-run.',
      );
    const options = JSON.parse(
      (this.d.db.prepare('SELECT options_json FROM runs WHERE id = ?').get(runId) as { options_json: string })
        .options_json,
    ) as RunOptionsParsed;
    return this.start(options, { of: runId, items: failed });
  }

  /** Waits for a run to finish (tests, scripts). */
  async settled(runId: string): Promise<RunDetail> {
    await this.active.get(runId)?.done;
    return this.detail(runId);
  }

  list(): RunSummary[] {
    const rows = this.d.db.prepare('SELECT id FROM runs ORDER BY started_at DESC LIMIT 500').all() as Array<{
      id: string;
    }>;
    return rows.map((r) => this.summary(r.id));
  }

  summary(runId: string): RunSummary {
    settle(this.d.db);
    const row = this.sql.run.get(runId) as RunRow | undefined;
    if (!row) throw notFound('Run', runId);
    const live = this.active.get(runId);
    return {
      id: row.id,
      startedAt: iso(row.started_at)!,
      finishedAt: iso(row.finished_at),
      startedBy: row.started_by,
      status: row.status as RunStatus,
      scopeLabel: row.scope_label,
      siteIds: JSON.parse(row.site_ids_json) as string[],
      snapshots: row.snapshots,
      note: row.note,
      rerunOf: row.rerun_of,
      counts: live ? countItems([...live.items.values()]) : this.counts(runId),
    };
  }

  detail(runId: string): RunDetail {
    const summary = this.summary(runId);
    const live = this.active.get(runId);
    const items = live
      ? [...live.items.values()].map((i) => ({ ...i }))
      : (this.sql.items.all(runId) as unknown as ItemRow[]).map(itemOf);
    const proofs = this.d.arrival?.forDeliveries(items.flatMap((i) => (i.deliveryId ? [i.deliveryId] : [])));
    for (const item of items) item.arrival = (item.deliveryId && proofs?.get(item.deliveryId)) || null;
    return { ...summary, items };
  }

  report(runId: string, siteId: string): HandoverReport {
    const report = buildReport(this.detail(runId), siteId, this.d.inventory.site(siteId), {
      generatedAt: this.d.clock.now(),
      integrator: this.d.osUser,
    });
    const requireArrival = this.optionsOf(runId).requireArrival ?? false;
    const arrivalCounts = Object.fromEntries(ARRIVAL_STATES.map((s) => [s, 0])) as Record<
      ArrivalState,
      number
    >;
    for (const i of report.items) if (i.arrival) arrivalCounts[i.arrival.overall]++;
    return {
      ...report,
      ...(report.ready && requireArrival
        ? {
            verdict: `All ${plural(report.counts.total, 'alert path')} delivered and arrived in the Inbox: the site's e-mail alerts are ready for handover.`,
          }
        : {}),
      requireArrival,
      arrivalCounts,
    };
  }

  /** A live run's item heard about its arrival proof (a late one after the run is read from the history). */
  onArrival(proof: DeliveryArrival): void {
    const ref = this.deliveryToItem.get(proof.deliveryId) ?? this.arriving.get(proof.deliveryId);
    if (!ref) return;
    const item = ref.run.items.get(ref.itemId);
    if (!item) return;
    item.arrival = proof;
    this.touch(ref.run, item.id);
  }

  private optionsOf(runId: string): Partial<RunOptionsParsed> {
    const row = this.d.db.prepare('SELECT options_json FROM runs WHERE id = ?').get(runId) as
      { options_json: string } | undefined;
    return row ? (JSON.parse(row.options_json) as Partial<RunOptionsParsed>) : {};
  }

  private counts(runId: string): RunCounts {
    const rows = this.sql.counts.all(runId) as Array<{ status: RunItemStatus; n: number }>;
    const counts = noCounts();
    for (const { status, n } of rows) {
      counts.total += n;
      if (isCounted(status)) counts[status] += n;
      else counts.pending += n;
    }
    return counts;
  }

  private async send(
    run: ActiveRun,
    items: Array<{ id: string; seq: number; plan: PlannedItem }>,
    attachments: PreparedAttachment[],
  ): Promise<void> {
    const startedAt = new Date(this.d.clock.now());
    const pending: Array<Promise<void>> = [];
    let submitted = 0;
    // Queued one camera per connector in turn: the first sessions open on as many connectors as the
    // pools allow, and the run's last cameras are spread over connectors too, instead of waiting
    // behind the last connector's pool (each connector still sends its cameras in their order).
    for (const { id, plan: p } of byConnectorInTurn(items)) {
      if (p.skipReason || !p.connector) continue;
      // The first sessions open while the rest is still being queued (a thousand cameras take ~25 ms).
      if (++submitted % SUBMIT_BATCH === 0) await new Promise((resolve) => setImmediate(resolve));
      const connector = p.connector;
      const token = newToken();
      const subject = run.tokenInSubject ? subjectWithToken(p.subject, token) : p.subject;
      const message = {
        meta: { subject, from: p.from, to: p.recipients, cc: [], bcc: [] },
        build: (): Promise<ComposedMessage> =>
          composeMessage({
            from: p.from,
            fromName: p.camera ? `${p.camera.name} (AlertDesk test)` : 'AlertDesk test',
            to: p.recipients,
            cc: [],
            bcc: [],
            replyTo: '',
            subject,
            body: this.body(p, run.id, startedAt),
            contentType: 'text',
            importance: 'normal',
            attachments,
            headers: {
              [TOKEN_HEADER]: token,
              'X-AlertDesk-Run': run.id,
              ...(p.camera ? { 'X-AlertDesk-Camera': p.camera.id } : {}),
              'X-Mailer': `AlertDesk ${this.d.appVersion}`,
            },
          }),
      };
      const job = this.d.engine.submit({
        kind: 'bulk',
        connectorId: connector.id,
        camera: p.camera ? { id: p.camera.id, name: p.camera.name } : null,
        runId: run.id,
        login: { username: p.account, passwordSealed: p.passwordSealed },
        message,
        signal: run.controller.signal,
      });
      this.d.arrival?.expect(job.id, token);
      this.deliveryToItem.set(job.id, { run, itemId: id });
      run.items.get(id)!.deliveryId = job.id;
      pending.push(job.done.then((outcome) => this.finishItem(run, id, outcome)));
    }
    await Promise.all(pending);
    write(this.d.db, () =>
      this.sql.finishRun.run(
        run.controller.signal.aborted ? 'cancelled' : 'finished',
        this.d.clock.now(),
        run.id,
      ),
    );
    if (run.flush) clearTimeout(run.flush);
    this.active.delete(run.id);
    const changed = [...run.dirty].map((itemId) => run.items.get(itemId)!);
    run.dirty.clear();
    this.publish(run, changed);
    this.d.logger.info('handover run finished', { runId: run.id, ...this.counts(run.id) });
  }

  private async finishItem(run: ActiveRun, itemId: string, d: DeliveryOutcome): Promise<void> {
    this.deliveryToItem.delete(d.id);
    const item = run.items.get(itemId)!;
    item.status = statusOfDelivery(d);
    const awaitArrival = run.requireArrival && item.status === 'passed';
    if (awaitArrival) item.status = 'arriving';
    item.deliveryId = d.id;
    item.failureClass = d.failureClass;
    item.explanation =
      d.failure?.explanation ?? (item.status === 'cancelled' ? 'Cancelled before it was sent.' : null);
    item.fix = d.failure?.fix ?? (d.failureClass ? FAILURE_CATALOG[d.failureClass].fix : null);
    item.reply = d.reply;
    item.messageId = d.messageId;
    item.durationMs = d.durationMs;
    item.attempts = d.attemptCount;
    const now = this.d.clock.now();
    item.finishedAt = new Date(now).toISOString();
    const values: SQLInputValue[] = [
      item.status,
      item.deliveryId,
      item.failureClass,
      item.explanation,
      item.fix,
      item.reply,
      item.messageId,
      item.durationMs,
      item.attempts,
      now,
      itemId,
    ];
    // After the I/O waiting in this turn: the next session matters more (see writeSoon).
    writeSoon(this.d.db, () => this.sql.finishItem.run(...values));
    this.touch(run, itemId);
    if (awaitArrival) await this.arrivalVerdict(run, item, values);
  }

  /**
   * A run that requires arrival proof: the camera passes only when its mail arrived in the Inbox
   * (or a folder a rule filed it in); in Junk, not arrived or not checked, it fails with the fix.
   */
  private async arrivalVerdict(run: ActiveRun, item: RunItem, values: SQLInputValue[]): Promise<void> {
    this.arriving.set(item.deliveryId!, { run, itemId: item.id });
    const signal = run.controller.signal;
    const proof = await Promise.race([
      this.d.arrival!.settled(item.deliveryId!),
      new Promise<'cancelled'>((resolve) => {
        if (signal.aborted) resolve('cancelled');
        else signal.addEventListener('abort', () => resolve('cancelled'), { once: true });
      }),
    ]);
    this.arriving.delete(item.deliveryId!);
    if (proof === 'cancelled') {
      item.status = 'cancelled';
      item.explanation = 'Accepted by the server; the run was cancelled before its arrival was proven.';
    } else {
      item.arrival = proof;
      item.status = proof?.overall === 'arrived' ? 'passed' : 'failed';
    }
    if (item.status === 'failed' && proof !== 'cancelled') {
      item.explanation = proof
        ? `Accepted by the server; ${proof.summary.charAt(0).toLowerCase()}${proof.summary.slice(1)}`
        : 'Accepted by the server, but its arrival was not tracked.';
      item.fix = proof?.fix ?? 'Watch the recipient mailbox to prove arrival, then re-run this camera.';
    }
    const now = this.d.clock.now();
    item.finishedAt = new Date(now).toISOString();
    const next = [...values];
    next[0] = item.status;
    next[3] = item.explanation;
    next[4] = item.fix;
    next[9] = now;
    writeSoon(this.d.db, () => this.sql.finishItem.run(...next));
    this.touch(run, item.id);
  }

  /** Marks an item changed; listeners hear about changed items at most ten times a second. */
  private touch(run: ActiveRun, itemId: string): void {
    run.dirty.add(itemId);
    run.flush ??= setTimeout(() => {
      run.flush = null;
      if (!this.active.has(run.id)) return;
      const changed = [...run.dirty].map((id) => ({ ...run.items.get(id)! }));
      run.dirty.clear();
      this.publish(run, changed);
    }, 100);
  }

  private publish(run: ActiveRun, items: RunItem[]): void {
    this.d.emit({ run: this.summary(run.id), items });
  }

  private body(p: PlannedItem, runId: string, startedAt: Date): string {
    const c = p.camera;
    return [
      'This is a handover test e-mail sent by AlertDesk.',
      '',
      `Site:       ${p.site.name}${p.site.customer ? ` (${p.site.customer})` : ''}`,
      ...(c
        ? [
            `Camera:     ${c.name}${c.model ? ` — ${[c.vendor, c.model].filter(Boolean).join(' ')}` : ''}`,
            ...(c.host ? [`Address:    ${c.host}`] : []),
            ...(c.location ? [`Location:   ${c.location}`] : []),
          ]
        : []),
      `Connector:  ${p.connector?.title} (${p.connector?.host}:${p.connector?.port})`,
      `Login:      ${p.account}`,
      `Run:        ${runId}, started ${startedAt.toISOString()} by ${this.d.osUser}`,
      '',
      'If this message arrived, this camera can reach its recipients with its own credentials.',
    ].join('\n');
  }

  /** Resolves the scope into one item per camera, plus one per connector that has no camera in it. */
  private resolve(options: RunOptionsParsed): PlannedItem[] {
    const inv = this.d.inventory;
    const { siteIds, cameraIds, connectorIds } = options.scope;
    for (const id of siteIds)
      if (!inv.site(id)) throw new AppError('not-found', 'A chosen site no longer exists.', 'scope.siteIds');
    for (const id of connectorIds)
      if (!inv.connector(id))
        throw new AppError('not-found', 'A chosen connector no longer exists.', 'scope.connectorIds');
    const sites = new Set(siteIds);
    const cams = new Set(cameraIds);
    for (const id of cameraIds)
      if (!inv.camera(id))
        throw new AppError('not-found', 'A chosen camera no longer exists.', 'scope.cameraIds');
    const connectorSet = new Set(connectorIds);
    const cameras = inv.cameras.filter(
      (c) =>
        sites.has(c.siteId) || cams.has(c.id) || (c.connectorId !== null && connectorSet.has(c.connectorId)),
    );
    const covered = new Set(cameras.map((c) => c.connectorId).filter((x): x is string => x !== null));
    const bareConnectors = inv.connectors.filter(
      (c) => (sites.has(c.siteId) || connectorSet.has(c.id)) && !covered.has(c.id),
    );
    return [
      ...cameras.map((c) => this.cameraItem(c, options)),
      ...bareConnectors.map((c) => this.connectorItem(c, options)),
    ].sort(
      (a, b) =>
        NATURAL.compare(a.site.name, b.site.name) ||
        NATURAL.compare(a.camera?.name ?? '~', b.camera?.name ?? '~'),
    );
  }

  private itemsFromPrevious(items: RunItem[], options: RunOptionsParsed): PlannedItem[] {
    const out: PlannedItem[] = [];
    for (const i of items) {
      if (i.cameraId) {
        const camera = this.d.inventory.camera(i.cameraId);
        if (camera) out.push(this.cameraItem(camera, options));
      } else if (i.connectorId) {
        const connector = this.d.inventory.connector(i.connectorId);
        if (connector) out.push(this.connectorItem(connector, options));
      }
    }
    return out;
  }

  private cameraItem(c: StoredCamera, options: RunOptionsParsed): PlannedItem {
    const inv = this.d.inventory;
    const site = inv.site(c.siteId)!;
    const connector = c.connectorId ? (inv.connector(c.connectorId) ?? null) : null;
    const account = c.smtpLogin || connector?.username || '';
    let passwordSealed: string | null = null;
    let skipReason: string | null = null;
    if (c.appPasswordId) {
      const record = inv.appPassword(c.appPasswordId);
      passwordSealed = record?.secretSealed ?? null;
      if (!record)
        skipReason = `The app-password record linked to this camera no longer exists: record the app password of ${account} again.`;
      else if (!record.secretSealed)
        skipReason = `The app password of ${record.account} was destroyed; record the current one first.`;
    } else if (connector && account.toLowerCase() === connector.username.toLowerCase()) {
      passwordSealed = connector.passwordSealed;
    } else if (connector) {
      // No server was asked: without the camera's own app password there is nothing to log in with
      // (the connector's password belongs to another login).
      skipReason = missingAppPassword(account, connector.username);
    }
    const recipients = c.recipients.length ? c.recipients : options.fallbackRecipients;
    if (!connector) skipReason = 'The camera has no connector: choose the connector it sends through.';
    else if (recipients.length === 0)
      skipReason = 'The camera has no recipients (and no fallback recipients were given).';
    const subject = renderSubject(c.subjectTemplate || '%Site_Name% – %Camera_Name% – %Event_Type%', {
      Camera_Name: c.name,
      Event_Type: 'Handover test',
      Site_Name: site.name,
      Customer: site.customer,
      Camera_Location: c.location,
      Camera_IP: c.host,
      Camera_Model: c.model,
      Vendor: c.vendor,
      Serial: c.serial,
      Date: new Date(this.d.clock.now()).toISOString().slice(0, 10),
      Time: new Date(this.d.clock.now()).toTimeString().slice(0, 8),
    }).text;
    return {
      camera: c,
      site,
      connector,
      account,
      passwordSealed,
      recipients,
      subject: subject || `${site.name} – ${c.name} – Handover test`,
      from: account.includes('@') ? account : (connector?.sender ?? account),
      skipReason,
    };
  }

  private connectorItem(c: StoredConnector, options: RunOptionsParsed): PlannedItem {
    const site = this.d.inventory.site(c.siteId)!;
    return {
      camera: null,
      site,
      connector: c,
      account: c.username,
      passwordSealed: c.passwordSealed,
      recipients: options.fallbackRecipients,
      subject: `${site.name} – ${c.title} – Handover test`,
      from: c.sender,
      skipReason: options.fallbackRecipients.length
        ? null
        : 'No camera uses this connector and no fallback recipients were given.',
    };
  }

  private label(options: RunOptionsParsed, items: PlannedItem[], rerun: boolean): string {
    const names = [...new Set(items.map((i) => i.site.name))];
    // A title, not a list: past three sites it says how many.
    const sites = names.length <= 3 ? names.join(', ') : plural(names.length, 'site');
    const where =
      options.scope.siteIds.length && !options.scope.cameraIds.length && !options.scope.connectorIds.length
        ? sites
        : `${plural(items.length, 'camera')} at ${sites}`;
    return rerun ? `Re-run of failures — ${where}` : where;
  }

  /** The run's snapshots, read and MIME-encoded once for all its messages. */
  private async attachments(options: RunOptionsParsed): Promise<PreparedAttachment[]> {
    return prepareAttachments(await this.readSnapshots(options));
  }

  private async readSnapshots(options: RunOptionsParsed): Promise<Attachment[]> {
    if (options.snapshotFiles.length) {
      return Promise.all(
        options.snapshotFiles.map(async (token, i) => {
          const ref = this.d.pickedFile(token);
          if (!ref)
            throw new AppError(
              'invalid-input',
              'A picked snapshot is no longer available; pick it again.',
              `snapshotFiles.${i}`,
            );
          return { filename: ref.filename, content: await readFile(ref.path) };
        }),
      );
    }
    if (options.snapshots === 0) return [];
    const samples = (await this.samples()).slice(0, options.snapshots);
    if (samples.length < options.snapshots) {
      throw new AppError(
        'invalid-input',
        `Only ${plural(samples.length, 'sample snapshot')} ${samples.length === 1 ? 'is' : 'are'} installed.`,
        'snapshots',
      );
    }
    return Promise.all(
      samples.map(async (s) => ({
        filename: s.name,
        content: await readFile(join(this.d.samplesDir, s.name)),
      })),
    );
  }

  private async buildPlan(options: RunOptionsParsed, probe: boolean): Promise<RunPlan> {
    const items = this.resolve(options);
    const attachments = await this.attachments(options);
    // The encoded parts are what travels; headers, body and boundaries add a few KB.
    const messageBytes = attachments.reduce((n, a) => n + a.part.length + 80, 0) + 3000;
    const byConnector = new Map<string, RunPlanConnector>();
    for (const i of items) {
      if (!i.connector || i.skipReason) continue;
      const c = i.connector;
      const entry = byConnector.get(c.id) ?? {
        connectorId: c.id,
        title: c.title,
        siteName: i.site.name,
        host: c.host,
        port: c.port,
        state: c.state,
        cameras: 0,
        sizeLimit: this.d.engine.capabilities.get(c.id)?.size ?? null,
        sizeKnown: this.d.engine.capabilities.has(c.id),
        rateLimitPerMinute: c.rateLimitPerMinute,
      };
      entry.cameras++;
      byConnector.set(c.id, entry);
    }
    const connectors = [...byConnector.values()];
    if (probe) await this.probeSizes(connectors);
    const warnings: string[] = [];
    for (const c of connectors) {
      if (c.state === 'STOPPED')
        warnings.push(
          `"${c.title}" is STOPPED: its ${plural(c.cameras, 'camera')} will fail as connector-stopped. Start it, or test it first.`,
        );
      if (c.sizeLimit && messageBytes > c.sizeLimit) {
        warnings.push(
          `A test message is about ${kb(messageBytes)}, more than the ${kb(c.sizeLimit)} "${c.title}" accepts: use fewer or smaller snapshots.`,
        );
      }
    }
    let minimumSeconds: number | null = null;
    for (const c of connectors) {
      if (c.rateLimitPerMinute)
        minimumSeconds = Math.max(
          minimumSeconds ?? 0,
          Math.floor(((c.cameras - 1) / c.rateLimitPerMinute) * 60),
        );
    }
    return {
      items: items.filter((i) => !i.skipReason).length,
      skipped: items
        .filter((i) => i.skipReason)
        .map((i) => ({
          cameraName: i.camera?.name ?? i.connector?.title ?? '',
          siteName: i.site.name,
          reason: i.skipReason!,
        })),
      connectors,
      messageBytes,
      attachmentBytes: attachments.reduce((n, a) => n + a.size, 0),
      warnings,
      minimumSeconds,
    };
  }

  /** Reads each connector's SIZE limit from its EHLO reply, without logging in or sending. */
  private async probeSizes(connectors: RunPlanConnector[]): Promise<void> {
    const unknown = connectors.filter((c) => !c.sizeKnown);
    const queue = [...unknown];
    await Promise.all(
      Array.from({ length: Math.min(4, queue.length) }, async () => {
        for (let c = queue.shift(); c; c = queue.shift()) {
          const route = this.d.connectors.route(c.connectorId);
          if (!route) continue;
          try {
            const session = await SmtpSession.open(
              {
                ...targetFor(
                  { ...route, connectionTimeoutSec: Math.min(route.connectionTimeoutSec, 8) },
                  '',
                  '',
                  '',
                ),
                auth: 'none',
              },
              new Transcript(),
              this.d.lookup,
            );
            session.quit();
            this.d.engine.capabilities.set(c.connectorId, session.capabilities);
            c.sizeLimit = session.capabilities.size;
            c.sizeKnown = true;
          } catch {
            // unreachable now: the run will say why, per camera
          }
        }
      }),
    );
  }
}

/** Why a camera with its own SMTP login but no app-password record was not tested. */
export function missingAppPassword(account: string, connectorLogin: string): string {
  return `This camera logs in as ${account}, but its own app password is not recorded in AlertDesk${connectorLogin ? ` (the connector's password is for ${connectorLogin})` : ''}: record it, then re-run. No server was contacted.`;
}

function kb(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${Math.ceil(n / 1024)} KB`;
}

/** Items one per connector in turn (the first of each, then the second of each…), each connector's in order. */
export function byConnectorInTurn<T extends { plan: { connector: { id: string } | null } }>(items: T[]): T[] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = item.plan.connector?.id ?? '';
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  const queues = [...groups.values()];
  const out: T[] = [];
  for (let i = 0; out.length < items.length; i++) for (const q of queues) if (i < q.length) out.push(q[i]!);
  return out;
}
