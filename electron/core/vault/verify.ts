import type { BlastRadius, VerifyOutcome, VerifyProgress, VerifyReport } from '../../../shared/vault.ts';
import { AppError } from '../../../shared/result.ts';
import { plural } from '../../../shared/words.ts';
import type { HostLookup } from '../adapters.ts';
import { auditRef, type AuditLog } from '../history/audit.ts';
import type { Inventory, StoredAppPassword } from '../inventory/inventory.ts';
import type { ConnectorService } from '../inventory/connectors.ts';
import { classify } from '../mail/classify.ts';
import { classifyContext, targetFor, type RouteConnector } from '../mail/engine.ts';
import { toSmtpFailure } from '../mail/failure.ts';
import { SmtpSession } from '../mail/session.ts';
import { Transcript } from '../mail/transcript.ts';
import type { AppPasswordService } from './records.ts';

/** The provider's own submission servers, where an app password of that provider is checked. */
const PROVIDER_SERVERS: Partial<
  Record<StoredAppPassword['provider'], Pick<RouteConnector, 'host' | 'port' | 'security'>>
> = {
  gmail: { host: 'smtp.gmail.com', port: 465, security: 'tls' },
  office365: { host: 'smtp.office365.com', port: 587, security: 'starttls' },
  outlook: { host: 'smtp-mail.outlook.com', port: 587, security: 'starttls' },
};

const REVOKED_LIKE = new Set(['auth-failed', 'app-password-required', 'basic-auth-disabled']);
/** Verdicts that say nothing about the app password: the server could not be asked. */
const CANNOT_ASK = new Set(['login-not-encrypted', 'auth-not-offered', 'auth-mechanism-unsupported']);
const CONCURRENCY = 4;
const usesPassword = (auth: RouteConnector['auth']) =>
  auth === 'plain' || auth === 'login' || auth === 'cram-md5';

export interface ProbeResult {
  ok: boolean;
  /** null when nothing could be learned about the app password (it was not checked). */
  failureClass: string | null;
  message: string;
}

/**
 * Verifies app passwords without sending anything: an AUTH-only probe per record (connect, TLS,
 * EHLO, AUTH, QUIT) against the server where the app password is used.
 */
export class VerifyService {
  private readonly running = new Map<string, AbortController>();
  private readonly inventory: Inventory;
  private readonly records: AppPasswordService;
  private readonly connectors: ConnectorService;
  private readonly audit: AuditLog;
  private readonly lookup: HostLookup | undefined;
  private readonly emit: (progress: VerifyProgress) => void;

  constructor(options: {
    inventory: Inventory;
    records: AppPasswordService;
    connectors: ConnectorService;
    audit: AuditLog;
    lookup: HostLookup | undefined;
    emit: (progress: VerifyProgress) => void;
  }) {
    this.inventory = options.inventory;
    this.records = options.records;
    this.connectors = options.connectors;
    this.audit = options.audit;
    this.lookup = options.lookup;
    this.emit = options.emit;
  }

  /**
   * The server an app password is checked against: the connector of a camera that logs in with it
   * (its host, port and security; a login over it follows the connector's encryption rule), else
   * the provider's own submission server (SSL/TLS or STARTTLS). A connector that does not log in
   * (a relay trusting the site's address) is not where the app password is used: it is skipped.
   */
  routeFor(record: StoredAppPassword): RouteConnector | null {
    for (const camera of this.inventory.cameras) {
      if (camera.appPasswordId !== record.id || !camera.connectorId) continue;
      const route = this.connectors.route(camera.connectorId);
      if (route && usesPassword(route.auth)) return route;
    }
    const server = PROVIDER_SERVERS[record.provider];
    if (!server) return null;
    return {
      id: 'provider',
      siteId: '',
      siteName: '',
      title: record.provider,
      ...server,
      auth: 'login',
      username: record.account,
      passwordSealed: null,
      sender: record.account,
      trustedCertificatePem: null,
      allowPlainLogin: false,
      connectionTimeoutSec: 20,
      state: 'RUN',
      maxSessions: 1,
      rateLimitPerMinute: null,
      dailyLimit: null,
      retryDelaysSec: [],
      pop: null,
    };
  }

  /**
   * Logs in with `secret` as `record.account` and says goodbye; nothing is sent. The mechanism is
   * one the server advertises; the secret never goes out unencrypted unless the connector allows it.
   */
  async probe(record: StoredAppPassword, secret: string): Promise<ProbeResult> {
    const route = this.routeFor(record);
    if (!route) {
      return {
        ok: false,
        failureClass: null,
        message:
          'No server to check against: link a camera that uses this app password to a connector that logs in.',
      };
    }
    const transcript = new Transcript();
    const where = `${route.host}:${route.port}`;
    try {
      const session = await SmtpSession.open(
        { ...targetFor(route, record.account, secret, ''), auth: 'any', pop: null },
        transcript,
        this.lookup,
      );
      session.quit();
      return { ok: true, failureClass: null, message: `Login accepted by ${where}` };
    } catch (error) {
      const v = classify(
        toSmtpFailure(error, transcript.currentStep()).raw,
        classifyContext(route, record.account),
      );
      if (CANNOT_ASK.has(v.class))
        return { ok: false, failureClass: null, message: `Could not check it on ${where}: ${v.explanation}` };
      return { ok: false, failureClass: v.class, message: v.explanation };
    }
  }

  recordsIn(scope: {
    scope: 'record' | 'camera' | 'site' | 'all';
    id?: string | undefined;
  }): StoredAppPassword[] {
    const live = (r: StoredAppPassword) =>
      r.status !== 'retired' && r.status !== 'revoked' && r.secretSealed !== null;
    switch (scope.scope) {
      case 'record': {
        const r = this.records.stored(scope.id!);
        if (!r.secretSealed)
          throw new AppError('secret-destroyed', 'This record has no secret left to verify.', 'id');
        return [r];
      }
      case 'camera': {
        const camera = this.inventory.camera(scope.id!);
        if (!camera) throw new AppError('not-found', 'The camera no longer exists.', 'id');
        if (!camera.appPasswordId)
          throw new AppError('invalid-input', `"${camera.name}" has no app-password record to verify.`, 'id');
        return [this.records.stored(camera.appPasswordId)].filter(live);
      }
      case 'site': {
        if (!this.inventory.site(scope.id!))
          throw new AppError('not-found', 'The site no longer exists.', 'id');
        const ids = new Set(
          this.inventory.cameras
            .filter((c) => c.siteId === scope.id && c.appPasswordId)
            .map((c) => c.appPasswordId!),
        );
        return this.inventory.appPasswords.filter((r) => ids.has(r.id) && live(r));
      }
      case 'all':
        return this.inventory.appPasswords.filter(live);
    }
  }

  start(scope: { scope: 'record' | 'camera' | 'site' | 'all'; id?: string | undefined }): {
    runId: string;
    total: number;
    done: Promise<VerifyReport>;
  } {
    const records = this.recordsIn(scope);
    const runId = crypto.randomUUID();
    const controller = new AbortController();
    this.running.set(runId, controller);
    const done = this.run(runId, records, controller.signal).finally(() => this.running.delete(runId));
    return { runId, total: records.length, done };
  }

  cancel(runId: string): boolean {
    const c = this.running.get(runId);
    c?.abort();
    return c !== undefined;
  }

  private async run(runId: string, records: StoredAppPassword[], signal: AbortSignal): Promise<VerifyReport> {
    const outcomes: VerifyOutcome[] = [];
    const lines: Array<{ ok: boolean; text: string }> = [];
    const queue = [...records];
    this.emit({ runId, done: 0, total: records.length, last: null, report: null });
    const worker = async () => {
      for (let record = queue.shift(); record && !signal.aborted; record = queue.shift()) {
        const before = record.status;
        let result: ProbeResult;
        try {
          result = await this.probe(record, await this.records.openSecret(record.id));
        } catch (error) {
          result = { ok: false, failureClass: null, message: (error as Error).message };
        }
        const after =
          result.failureClass !== null || result.ok
            ? this.records.applyVerification(record.id, result.ok, result.failureClass, result.message)
            : record;
        const outcome: VerifyOutcome = {
          recordId: record.id,
          account: record.account,
          ok: result.ok,
          failureClass: result.failureClass,
          message: result.message,
          statusBefore: before,
          statusAfter: after.status,
        };
        outcomes.push(outcome);
        const line = `${result.failureClass ?? (result.ok ? 'login accepted' : 'not checked')}: ${result.message}${before !== after.status ? ` (status ${before} → ${after.status})` : ''}`;
        lines.push({
          ok: result.ok,
          text: `${record.account} · ${record.label} ${auditRef(record.id)}: ${line}`,
        });
        if (records.length === 1)
          this.audit.record({
            action: 'verify',
            recordType: 'app-password',
            recordId: record.id,
            recordLabel: `${record.account} · ${record.label}`,
            result: result.ok ? 'ok' : 'failed',
            detail: line,
          });
        this.emit({ runId, done: outcomes.length, total: records.length, last: outcome, report: null });
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, records.length) }, worker));
    // Verifying many records is one act: one audit event, with every record's outcome in its detail
    // (failures first), instead of hundreds of near-identical rows.
    if (records.length > 1) {
      const accepted = outcomes.filter((o) => o.ok).length;
      this.audit.record({
        action: 'verify',
        recordType: 'app-password',
        recordLabel: `${plural(records.length, 'app password')} verified together`,
        result: accepted === outcomes.length && !signal.aborted ? 'ok' : 'failed',
        detail: [
          `${accepted} accepted, ${outcomes.length - accepted} rejected or not checked${signal.aborted ? `, ${records.length - outcomes.length} not verified (cancelled)` : ''}.`,
          ...lines.filter((l) => !l.ok).map((l) => l.text),
          ...lines.filter((l) => l.ok).map((l) => l.text),
        ].join('\n'),
      });
    }
    const report: VerifyReport = {
      runId,
      outcomes,
      accountsRevoked: this.blastRadius(outcomes),
      cancelled: signal.aborted,
    };
    this.emit({ runId, done: outcomes.length, total: records.length, last: outcomes.at(-1) ?? null, report });
    return report;
  }

  /**
   * Accounts whose every live record was rejected in this run: all app passwords of an account go
   * when its password changes or 2-step verification is turned off. Lists who is affected.
   */
  blastRadius(outcomes: VerifyOutcome[]): BlastRadius[] {
    const byAccount = new Map<string, VerifyOutcome[]>();
    for (const o of outcomes)
      byAccount.set(o.account.toLowerCase(), [...(byAccount.get(o.account.toLowerCase()) ?? []), o]);
    const out: BlastRadius[] = [];
    for (const [account, list] of byAccount) {
      const live = this.inventory.appPasswords.filter(
        (r) =>
          r.account.toLowerCase() === account &&
          r.status !== 'retired' &&
          r.status !== 'revoked' &&
          r.secretSealed !== null,
      );
      const tested = new Set(list.map((o) => o.recordId));
      const allTested = live.every((r) => tested.has(r.id));
      const allRejected = list.every(
        (o) => !o.ok && o.failureClass !== null && REVOKED_LIKE.has(o.failureClass),
      );
      if (list.length < 2 || !allTested || !allRejected) continue;
      const ids = list.map((o) => o.recordId);
      const cameras = this.inventory.cameras
        .filter((c) => c.appPasswordId && ids.includes(c.appPasswordId))
        .map((c) => ({
          id: c.id,
          name: c.name,
          siteId: c.siteId,
          siteName: this.inventory.site(c.siteId)?.name ?? '—',
        }));
      const sites = [...new Map(cameras.map((c) => [c.siteId, { id: c.siteId, name: c.siteName }])).values()];
      const shown = list[0]!.account;
      out.push({
        account: shown,
        recordIds: ids,
        cameras,
        sites,
        message: `All ${list.length} app passwords of ${shown} were rejected together. The account password was probably changed or 2-step verification was turned off — either revokes every app password of the account. ${plural(cameras.length, 'camera')} at ${plural(sites.length, 'site')} ${cameras.length === 1 ? 'is' : 'are'} no longer sending alerts: create new app passwords and rotate each record.`,
      });
    }
    return out;
  }
}
