import type { SQLInputValue } from 'node:sqlite';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type {
  FolderRole,
  HeaderFields,
  InboundMessage,
  SourceHealth,
  WatcherState,
} from '../../../shared/inbound.ts';
import type { Logger } from '../adapters.ts';
import { transaction, type Db } from '../history/db.ts';
import { parseHeaderFields, tokenOf } from './headers.ts';
import { TOKEN_HEADER } from '../../../shared/inbound.ts';

/** A message as a source read it: the envelope and the raw header block (never the body). */
export interface InboundInput {
  sourceId: string;
  folder: string;
  folderRole: FolderRole;
  uidValidity: string | number | bigint;
  uid: number;
  messageId: string | null;
  from: string;
  fromName: string;
  to: string[];
  subject: string;
  sentAt: Date | string | null;
  receivedAt: Date | string;
  size: number;
  /** The raw header block; kept compressed, read on demand (rules on a header, Authentication-Results). */
  headers: string | Buffer;
  /** The camera, when the source knows it (the bench inbox, by the camera's login). */
  cameraId?: string | null;
}

export interface InboundQuery {
  sourceId?: string;
  /** Received at or after (ms). */
  since?: number;
  until?: number;
  token?: string;
  from?: string;
  limit?: number;
  offset?: number;
}

type Row = {
  key: string;
  source_id: string;
  folder: string;
  folder_role: string;
  uid_validity: string;
  uid: number;
  message_id: string | null;
  from_addr: string;
  from_name: string;
  to_json: string;
  subject: string;
  sent_at: number | null;
  received_at: number;
  seen_at: number;
  size: number;
  token: string | null;
  camera_id: string | null;
};

const COLUMNS =
  'key, source_id, folder, folder_role, uid_validity, uid, message_id, from_addr, from_name, to_json, subject, sent_at, received_at, seen_at, size, token, camera_id';

const HEADER_DEFLATE = { level: 1 };
const TOKEN_HINT = new RegExp(TOKEN_HEADER, 'i');

const iso = (ms: number) => new Date(ms).toISOString();
const msOf = (at: Date | string) => (at instanceof Date ? at.getTime() : Date.parse(at));

function view(r: Row): InboundMessage {
  return {
    key: r.key,
    sourceId: r.source_id,
    folder: r.folder,
    folderRole: r.folder_role as FolderRole,
    uidValidity: r.uid_validity,
    uid: r.uid,
    messageId: r.message_id,
    from: r.from_addr,
    fromName: r.from_name,
    to: JSON.parse(r.to_json) as string[],
    subject: r.subject,
    sentAt: r.sent_at === null ? null : iso(r.sent_at),
    receivedAt: iso(r.received_at),
    seenAt: iso(r.seen_at),
    size: r.size,
    token: r.token,
    cameraId: r.camera_id,
  };
}

/** `<abc@host>` → `abc@host`; blank → null. */
function bareMessageId(id: string | null): string | null {
  const bare = id?.trim().replace(/^<|>$/g, '').trim();
  return bare ? bare : null;
}

/**
 * The one place inbound mail lands. Sources (the IMAP watchers, the bench inbox) publish what they
 * read; each message is stored once — idempotent by source, folder, UIDVALIDITY and UID, with the
 * Message-ID as a second key within a source (a UIDVALIDITY reset, or a message seen in two
 * folders, is not counted twice) — and only the new ones reach the subscribers (heartbeats,
 * arrival proof), after they are written.
 *
 * Sources also report whether they are being read successfully (`reportHealth`): a camera whose
 * mailbox is not watched must read as unknown, never as silent.
 */
export class InboundHub {
  private readonly db: Db;
  private readonly now: () => number;
  private readonly logger: Logger;
  private readonly listeners = new Set<(messages: InboundMessage[]) => void>();
  private readonly healthListeners = new Set<(health: SourceHealth) => void>();
  private readonly healthBySource = new Map<string, SourceHealth>();
  private readonly insert;
  private readonly byKey;

  constructor(db: Db, now: () => number, logger: Logger) {
    this.db = db;
    this.now = now;
    this.logger = logger;
    this.insert = db.prepare(
      `INSERT INTO inbound_messages (${COLUMNS}, headers) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT DO NOTHING`,
    );
    this.byKey = db.prepare(`SELECT ${COLUMNS} FROM inbound_messages WHERE key = ?`);
  }

  /**
   * Stores the messages not seen before and tells the subscribers about them (in one call, in the
   * order given). Returns the new ones. All of a batch lands, or none of it.
   */
  publish(inputs: InboundInput[]): InboundMessage[] {
    if (inputs.length === 0) return [];
    const seenAt = this.now();
    const added = transaction(this.db, () => {
      const out: InboundMessage[] = [];
      for (const input of inputs) {
        if (!Number.isSafeInteger(input.uid) || input.uid < 0)
          throw new Error(`inbound: ${input.sourceId} gave the UID ${input.uid}, which is not an IMAP UID`);
        const key = `${input.sourceId}/${input.folder}/${String(input.uidValidity)}/${input.uid}`;
        const messageId = bareMessageId(input.messageId);
        // A Message-ID seen before in this source is refused by the unique index (ON CONFLICT DO
        // NOTHING), as is a key seen before: no look-up first. The header block is parsed only when
        // it may hold a token: a catch-up stores thousands of messages without one.
        const text = typeof input.headers === 'string' ? input.headers : input.headers.toString('latin1');
        const token = tokenOf(TOKEN_HINT.test(text) ? parseHeaderFields(text) : {}, input.subject);
        const sentMs = input.sentAt === null ? null : msOf(input.sentAt);
        const receivedMs = msOf(input.receivedAt);
        const raw = typeof input.headers === 'string' ? Buffer.from(input.headers, 'latin1') : input.headers;
        const row: Row = {
          key,
          source_id: input.sourceId,
          folder: input.folder,
          folder_role: input.folderRole,
          uid_validity: String(input.uidValidity),
          uid: input.uid,
          message_id: messageId,
          from_addr: input.from.trim().toLowerCase(),
          from_name: input.fromName,
          to_json: JSON.stringify(input.to.map((a) => a.trim().toLowerCase())),
          subject: input.subject,
          sent_at: sentMs === null || Number.isNaN(sentMs) ? null : sentMs,
          received_at: Number.isNaN(receivedMs) ? seenAt : receivedMs,
          seen_at: seenAt,
          size: input.size,
          token,
          camera_id: input.cameraId ?? null,
        };
        const result = this.insert.run(
          row.key,
          row.source_id,
          row.folder,
          row.folder_role,
          row.uid_validity,
          row.uid,
          row.message_id,
          row.from_addr,
          row.from_name,
          row.to_json,
          row.subject,
          row.sent_at,
          row.received_at,
          row.seen_at,
          row.size,
          row.token,
          row.camera_id,
          deflateRawSync(raw, HEADER_DEFLATE),
        );
        if (result.changes === 1) out.push(view(row));
      }
      return out;
    });
    if (added.length > 0) {
      for (const listener of this.listeners) {
        try {
          listener(added);
        } catch (error) {
          this.logger.error('inbound: a subscriber failed', { error: String(error) });
        }
      }
    }
    return added;
  }

  /** Called with the new messages of every publish; returns the function that unsubscribes. */
  subscribe(listener: (messages: InboundMessage[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get(key: string): InboundMessage | null {
    const row = this.byKey.get(key) as Row | undefined;
    return row ? view(row) : null;
  }

  /** The message's header fields (parsed from the stored header block), or null for an unknown key. */
  headerFields(key: string): HeaderFields | null {
    const row = this.db.prepare('SELECT headers FROM inbound_messages WHERE key = ?').get(key) as
      { headers: Uint8Array } | undefined;
    return row ? parseHeaderFields(inflateRawSync(row.headers)) : null;
  }

  /** Messages newest first. */
  query(q: InboundQuery = {}): InboundMessage[] {
    const where: string[] = [];
    const params: SQLInputValue[] = [];
    const add = (clause: string, value: SQLInputValue | undefined) => {
      if (value === undefined) return;
      where.push(clause);
      params.push(value);
    };
    add('source_id = ?', q.sourceId);
    add('received_at >= ?', q.since);
    add('received_at <= ?', q.until);
    add('token = ?', q.token);
    add('from_addr = ?', q.from?.toLowerCase());
    const sql = `SELECT ${COLUMNS} FROM inbound_messages ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY received_at DESC, key LIMIT ? OFFSET ?`;
    params.push(q.limit ?? 500, q.offset ?? 0);
    return (this.db.prepare(sql).all(...params) as Row[]).map(view);
  }

  count(sourceId?: string): number {
    const row = (
      sourceId === undefined
        ? this.db.prepare('SELECT count(*) AS n FROM inbound_messages').get()
        : this.db.prepare('SELECT count(*) AS n FROM inbound_messages WHERE source_id = ?').get(sourceId)
    ) as { n: number };
    return row.n;
  }

  /** Drops messages received before `beforeMs` (the history's retention); returns how many. */
  prune(beforeMs: number): number {
    return Number(
      transaction(this.db, () =>
        this.db.prepare('DELETE FROM inbound_messages WHERE received_at < ?').run(beforeMs),
      ).changes,
    );
  }

  /** Forgets every message of a source (a watched mailbox deleted). */
  forgetSource(sourceId: string): number {
    this.healthBySource.delete(sourceId);
    return Number(
      transaction(this.db, () =>
        this.db.prepare('DELETE FROM inbound_messages WHERE source_id = ?').run(sourceId),
      ).changes,
    );
  }

  /** A source says whether it is being read successfully (connected and caught up) right now. */
  reportHealth(sourceId: string, state: WatcherState, watching: boolean): void {
    const previous = this.healthBySource.get(sourceId);
    if (previous && previous.state === state && previous.watching === watching) return;
    const health: SourceHealth = {
      sourceId,
      state,
      watching,
      since: previous && previous.watching === watching ? previous.since : iso(this.now()),
    };
    this.healthBySource.set(sourceId, health);
    for (const listener of this.healthListeners) {
      try {
        listener(health);
      } catch (error) {
        this.logger.error('inbound: a health subscriber failed', { error: String(error) });
      }
    }
  }

  /** The source's last reported health; a source never reported is not being watched. */
  health(sourceId: string): SourceHealth | null {
    return this.healthBySource.get(sourceId) ?? null;
  }

  onHealth(listener: (health: SourceHealth) => void): () => void {
    this.healthListeners.add(listener);
    return () => this.healthListeners.delete(listener);
  }
}
