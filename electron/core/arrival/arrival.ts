import {
  type ArrivalEvent,
  type ArrivalState,
  type AuthResults,
  type DeliveryArrival,
  type RecipientArrival,
} from '../../../shared/arrival.ts';
import { WATCHER_STATE_LABELS, type InboundMessage } from '../../../shared/inbound.ts';
import type { Clock, Logger } from '../adapters.ts';
import { settle, transaction, write, type Db } from '../history/db.ts';
import { mailboxForAddress } from '../inbound/coverage.ts';
import type { InboundHub } from '../inbound/hub.ts';
import type { Inventory } from '../inventory/inventory.ts';
import { describe } from './arrival-words.ts';
import { authResultsOf } from './auth-results.ts';

interface Row {
  delivery_id: string;
  recipient: string;
  token: string;
  state: ArrivalState;
  accepted_at: number;
  due_at: number;
  mailbox_id: string | null;
  mailbox_title: string | null;
  folder: string | null;
  folder_role: 'inbox' | 'junk' | 'other' | null;
  arrived_at: number | null;
  inbound_key: string | null;
  reason: string | null;
  auth_json: string | null;
}

/** What arrival proof needs of a delivery that reached its final state. */
export interface FinishedDelivery {
  id: string;
  status: string;
  runId: string | null;
  from: string;
  accepted: string[];
}

/** What a handover run asks of arrival proof. */
export interface ArrivalPort {
  expect(deliveryId: string, token: string): void;
  /** Resolves once no recipient is awaited any more (null: the delivery is not tracked). */
  settled(deliveryId: string): Promise<DeliveryArrival | null>;
  forDeliveries(ids: string[]): Map<string, DeliveryArrival>;
}

export interface ArrivalDeps {
  db: Db;
  inventory: Pick<Inventory, 'mailboxes' | 'mailbox' | 'settings'>;
  inbound: InboundHub;
  clock: Clock;
  logger: Logger;
  emit: (event: ArrivalEvent) => void;
}

const minutesBetween = (from: number, to: number) => Math.max(0, Math.round((to - from) / 6000) / 10);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function view(r: Row): RecipientArrival {
  return {
    recipient: r.recipient,
    state: r.state,
    acceptedAt: iso(r.accepted_at)!,
    dueAt: iso(r.due_at)!,
    mailboxId: r.mailbox_id,
    mailboxTitle: r.mailbox_title,
    folder: r.folder,
    folderRole: r.folder_role,
    arrivedAt: iso(r.arrived_at),
    minutesAfter: r.arrived_at === null ? null : minutesBetween(r.accepted_at, r.arrived_at),
    reason: r.reason,
    auth: r.auth_json ? (JSON.parse(r.auth_json) as AuthResults) : null,
  };
}

/**
 * Arrival proof. Every test e-mail and handover-run message carries a token; once the server has
 * accepted it, each accepted recipient gets a second verdict from the watched mailboxes, which
 * publish what they read to the inbound hub: arrived (when, which folder, how long after the accept,
 * with the receiving server's SPF/DKIM/DMARC results), not arrived within the wait, or not checked
 * (no watched mailbox receives that address, or its watcher was not watching when the wait ended).
 * One timer waits for the next due verdict; nothing polls. A message that turns up later still
 * counts: the verdict moves to arrived, noted as late.
 */
export class ArrivalService implements ArrivalPort {
  private readonly d: ArrivalDeps;
  /** Tokens of deliveries still in the engine (the row gets its copy at once too). */
  private readonly tokens = new Map<string, string>();
  private readonly waiters = new Map<string, Array<(arrival: DeliveryArrival | null) => void>>();
  /** Final deliveries not yet looked at (handled together after this turn's I/O). */
  private readonly finished: FinishedDelivery[] = [];
  private timer: { due: number; controller: AbortController } | null = null;
  private closed = false;
  private readonly unsubscribe: Array<() => void> = [];
  private readonly sql;

  constructor(deps: ArrivalDeps) {
    this.d = deps;
    const db = deps.db;
    this.sql = {
      setToken: db.prepare('UPDATE deliveries SET token = ? WHERE id = ?'),
      setOverall: db.prepare('UPDATE deliveries SET arrival = ? WHERE id = ?'),
      delivery: db.prepare('SELECT run_id, from_addr, token FROM deliveries WHERE id = ?'),
      insert: db.prepare(
        `INSERT OR IGNORE INTO arrivals (delivery_id, recipient, token, state, accepted_at, due_at, mailbox_id, mailbox_title, reason)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      rows: db.prepare('SELECT * FROM arrivals WHERE delivery_id = ? ORDER BY recipient'),
      byToken: db.prepare('SELECT * FROM arrivals WHERE token = ?'),
      nextDue: db.prepare("SELECT MIN(due_at) AS due FROM arrivals WHERE state = 'waiting'"),
      due: db.prepare("SELECT * FROM arrivals WHERE state = 'waiting' AND due_at <= ?"),
      unwatched: db.prepare(
        "SELECT * FROM arrivals WHERE state = 'not-checked' AND mailbox_id = ? AND due_at <= ? AND arrived_at IS NULL",
      ),
      arrived: db.prepare(
        `UPDATE arrivals SET state = ?, mailbox_id = ?, mailbox_title = ?, folder = ?, folder_role = ?, arrived_at = ?,
           inbound_key = ?, reason = ?, auth_json = ? WHERE delivery_id = ? AND recipient = ?`,
      ),
      verdict: db.prepare(
        'UPDATE arrivals SET state = ?, reason = ? WHERE delivery_id = ? AND recipient = ?',
      ),
      // (the hub's own query builds its statement per call: too slow once per message of a run)
      landed: db.prepare('SELECT key FROM inbound_messages WHERE token = ? LIMIT 20'),
    };
    this.unsubscribe.push(
      deps.inbound.subscribe((messages) => {
        for (const m of messages) if (m.token) this.found(m);
      }),
      deps.inbound.onHealth((h) => {
        if (h.watching) this.watchedAgain(h.sourceId);
      }),
    );
    // Verdicts that fell due while AlertDesk was closed are decided now.
    this.arm();
  }

  /** Records a delivery's token as it is queued (the Delivery table shows it, tests find it). */
  expect(deliveryId: string, token: string): void {
    this.tokens.set(deliveryId, token);
    write(this.d.db, () => this.sql.setToken.run(token, deliveryId));
  }

  /** Called for every delivery that reached a final state (the engine's onFinished). */
  onFinished(delivery: FinishedDelivery): void {
    if (!this.tokens.has(delivery.id)) return;
    this.finished.push(delivery);
    if (this.finished.length === 1) setImmediate(() => this.startWaits());
  }

  settled(deliveryId: string): Promise<DeliveryArrival | null> {
    const now = this.forDelivery(deliveryId);
    if (now && now.overall !== 'waiting') return Promise.resolve(now);
    if (!now && !this.tokens.has(deliveryId)) return Promise.resolve(null);
    return new Promise((resolve) =>
      this.waiters.set(deliveryId, [...(this.waiters.get(deliveryId) ?? []), resolve]),
    );
  }

  forDelivery(deliveryId: string): DeliveryArrival | null {
    return this.forDeliveries([deliveryId]).get(deliveryId) ?? null;
  }

  forDeliveries(ids: string[]): Map<string, DeliveryArrival> {
    settle(this.d.db);
    const out = new Map<string, DeliveryArrival>();
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const rows = this.d.db
        .prepare(
          `SELECT a.*, d.run_id, d.from_addr FROM arrivals a JOIN deliveries d ON d.id = a.delivery_id
            WHERE a.delivery_id IN (${chunk.map(() => '?').join(',')}) ORDER BY a.recipient`,
        )
        .all(...chunk) as unknown as Array<Row & { run_id: string | null; from_addr: string }>;
      const grouped = new Map<string, typeof rows>();
      for (const r of rows) grouped.set(r.delivery_id, [...(grouped.get(r.delivery_id) ?? []), r]);
      for (const [id, group] of grouped)
        out.set(id, this.build(id, group[0]!.run_id, group[0]!.from_addr, group));
    }
    return out;
  }

  /** Opens the waits still queued (their verdicts are decided on the next start) and stops listening. */
  close(): void {
    if (this.finished.length) this.startWaits();
    this.closed = true;
    this.timer?.controller.abort();
    this.timer = null;
    for (const off of this.unsubscribe.splice(0)) off();
    for (const [, list] of this.waiters) for (const resolve of list) resolve(null);
    this.waiters.clear();
  }

  private build(id: string, runId: string | null, from: string, rows: Row[]): DeliveryArrival {
    const recipients = rows.map(view);
    return {
      deliveryId: id,
      runId,
      token: rows[0]!.token,
      recipients,
      ...describe(recipients, from, this.d.inventory.settings.arrivalWaitMinutes),
    };
  }

  /** Opens the wait of every delivery accepted since the last turn, one transaction for all. */
  private startWaits(): void {
    if (this.closed || this.finished.length === 0) return;
    const batch = this.finished.splice(0);
    const now = this.d.clock.now();
    const wait = this.d.inventory.settings.arrivalWaitMinutes * 60_000;
    const tracked: Array<{ id: string; token: string }> = [];
    const untracked: string[] = [];
    transaction(this.d.db, () => {
      for (const delivery of batch) {
        const token = this.tokens.get(delivery.id)!;
        this.tokens.delete(delivery.id);
        const recipients = [...new Set(delivery.accepted.map((a) => a.trim().toLowerCase()))];
        if (delivery.status !== 'sent' || recipients.length === 0) {
          untracked.push(delivery.id);
          continue;
        }
        for (const recipient of recipients) {
          const mailbox = mailboxForAddress(this.d.inventory, recipient);
          this.sql.insert.run(
            delivery.id,
            recipient,
            token,
            mailbox ? 'waiting' : 'not-checked',
            now,
            now + wait,
            mailbox?.id ?? null,
            mailbox?.title ?? null,
            mailbox
              ? null
              : `No watched mailbox receives ${recipient}: add the address to a watched mailbox to prove arrival.`,
          );
        }
        tracked.push({ id: delivery.id, token });
      }
    });
    for (const id of untracked) this.resolve(id, null);
    for (const { id, token } of tracked) {
      // It may have landed before the server's reply reached AlertDesk.
      const early = (this.sql.landed.all(token) as Array<{ key: string }>).flatMap(
        ({ key }) => this.d.inbound.get(key) ?? [],
      );
      if (early.length) for (const m of early) this.found(m);
      else this.refresh(id);
    }
    this.arm();
  }

  /** A message with a token was read: the recipients it proves get their verdict. */
  private found(m: InboundMessage): void {
    const rows = this.sql.byToken.all(m.token) as unknown as Row[];
    if (rows.length === 0) return;
    const open = rows.filter((r) => r.state !== 'arrived' && r.state !== 'junk');
    // Normally the recipient's own mailbox; else a recipient the message names, wherever it was read.
    let proven = open.filter((r) => r.mailbox_id === m.sourceId);
    if (proven.length === 0) proven = open.filter((r) => m.to.includes(r.recipient));
    if (proven.length === 0) return;
    const auth = authResultsOf(this.d.inbound.headerFields(m.key));
    const arrivedAt = Date.parse(m.receivedAt);
    const title = this.titleOf(m.sourceId);
    const touched = new Set<string>();
    transaction(this.d.db, () => {
      for (const r of proven) {
        const late =
          arrivedAt > r.due_at
            ? `It landed after the ${this.d.inventory.settings.arrivalWaitMinutes}-minute wait: alerts this slow may come too late to act on.`
            : null;
        this.sql.arrived.run(
          m.folderRole === 'junk' ? 'junk' : 'arrived',
          m.sourceId,
          title,
          m.folder,
          m.folderRole,
          arrivedAt,
          m.key,
          late,
          auth ? JSON.stringify(auth) : null,
          r.delivery_id,
          r.recipient,
        );
        touched.add(r.delivery_id);
      }
    });
    for (const id of touched) this.refresh(id);
    this.arm();
  }

  /** The verdicts that fell due: not arrived where the mailbox is watched, else not checked (and why). */
  private expire(): void {
    const now = this.d.clock.now();
    const rows = this.sql.due.all(now) as unknown as Row[];
    if (rows.length === 0) return;
    const minutes = this.d.inventory.settings.arrivalWaitMinutes;
    const touched = new Set<string>();
    transaction(this.d.db, () => {
      for (const r of rows) {
        const health = r.mailbox_id ? this.d.inbound.health(r.mailbox_id) : null;
        const title = r.mailbox_title ?? 'its mailbox';
        if (health?.watching) {
          this.sql.verdict.run(
            'not-arrived',
            `Not in ${title} ${minutes} min after the server accepted it.`,
            r.delivery_id,
            r.recipient,
          );
        } else {
          const state = health ? WATCHER_STATE_LABELS[health.state] : 'not watched';
          this.sql.verdict.run(
            'not-checked',
            `${title} was not being watched when the wait ended (${state}${health ? ` since ${health.since}` : ''}): AlertDesk cannot tell whether it arrived. It is checked again once the mailbox is watched.`,
            r.delivery_id,
            r.recipient,
          );
        }
        touched.add(r.delivery_id);
      }
    });
    for (const id of touched) this.refresh(id);
  }

  /** A watcher caught up again: what it still has not shown after its wait did not arrive. */
  private watchedAgain(sourceId: string): void {
    const rows = this.sql.unwatched.all(sourceId, this.d.clock.now()) as unknown as Row[];
    if (rows.length === 0) return;
    transaction(this.d.db, () => {
      for (const r of rows)
        this.sql.verdict.run(
          'not-arrived',
          `Not in ${r.mailbox_title ?? 'its mailbox'} when it was watched again after the wait.`,
          r.delivery_id,
          r.recipient,
        );
    });
    for (const id of new Set(rows.map((r) => r.delivery_id))) this.refresh(id);
  }

  /** Writes the delivery's overall verdict, tells the listeners, wakes whoever waits for it. */
  private refresh(deliveryId: string): void {
    const rows = this.sql.rows.all(deliveryId) as unknown as Row[];
    if (rows.length === 0) return;
    const d = this.sql.delivery.get(deliveryId) as { run_id: string | null; from_addr: string } | undefined;
    const arrival = this.build(deliveryId, d?.run_id ?? null, d?.from_addr ?? '', rows);
    write(this.d.db, () => this.sql.setOverall.run(arrival.overall, deliveryId));
    this.d.emit({ arrival });
    if (arrival.overall !== 'waiting') this.resolve(deliveryId, arrival);
  }

  private resolve(deliveryId: string, arrival: DeliveryArrival | null): void {
    const list = this.waiters.get(deliveryId);
    this.waiters.delete(deliveryId);
    for (const resolve of list ?? []) resolve(arrival);
  }

  /** Sleeps until the next verdict falls due (one timer, re-armed when an earlier one appears). */
  private arm(): void {
    if (this.closed) return;
    const due = (this.sql.nextDue.get() as { due: number | null }).due;
    if (due === null) {
      this.timer?.controller.abort();
      this.timer = null;
      return;
    }
    if (this.timer && this.timer.due <= due) return;
    this.timer?.controller.abort();
    const controller = new AbortController();
    this.timer = { due, controller };
    const wait = due - this.d.clock.now();
    // Already due (a wait that ended while AlertDesk was closed): decided in the next turn.
    const slept =
      wait > 0
        ? this.d.clock.sleep(wait, controller.signal)
        : new Promise<void>((resolve) => setImmediate(resolve));
    slept.then(
      () => {
        if (this.timer?.controller !== controller) return;
        this.timer = null;
        try {
          this.expire();
        } catch (error) {
          this.d.logger.error('arrival: deciding due verdicts failed', { error: String(error) });
        }
        this.arm();
      },
      () => undefined,
    );
  }

  private titleOf(sourceId: string): string {
    if (sourceId === 'bench') return 'the bench inbox';
    return this.d.inventory.mailbox(sourceId)?.title ?? sourceId;
  }
}
