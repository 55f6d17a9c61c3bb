import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, renameSync } from 'node:fs';
import type { AuditIntegrity } from '../../../shared/audit-integrity.ts';
import { writePrivateFile } from '../store/data-folder.ts';
import type { Db } from './db.ts';

/**
 * The audit log's tamper evidence. Each event from `from` on carries
 * MAC = HMAC-SHA256(key, MAC of the event before ‖ the event's content, its number included), so
 * changing, removing, re-numbering or inserting an event breaks the chain from there; the key is
 * sealed in the data folder's keyring, so nobody without it can forge a MAC. The chain's last link
 * is also kept in a small file beside the database (`audit-head.json`, MAC'd too): cutting events
 * off the end of the table shows as well. A problem with the head found at opening is written into
 * the head itself (`breaks`), so the events AlertDesk adds afterwards do not paper over it. What it
 * cannot show is the whole folder put back to an older copy of itself.
 */

export interface AuditRowContent {
  seq: number;
  at: number;
  os_user: string;
  action: string;
  record_type: string;
  record_id: string | null;
  record_label: string;
  site_id: string | null;
  camera_id: string | null;
  result: string;
  detail: string;
  event_id: string | null;
}

interface ChainRow extends AuditRowContent {
  mac: Uint8Array | null;
}

/** A problem found at an opening, kept for good. */
interface Break {
  seq: number;
  text: string;
  foundAt: string;
}

interface HeadFile {
  seq: number;
  mac: string;
  breaks?: Break[];
  tag: string;
}

/** An event's columns in table order: what is written, and what its MAC covers. */
export function auditValues(row: AuditRowContent): Array<string | number | null> {
  return [
    row.seq,
    row.at,
    row.os_user,
    row.action,
    row.record_type,
    row.record_id,
    row.record_label,
    row.site_id,
    row.camera_id,
    row.result,
    row.detail,
    row.event_id,
  ];
}

const START = Buffer.alloc(32);
const SEPARATOR = Buffer.from([0]);
const MAX_BAD = 1000;

export class AuditChain {
  /** A KeyObject: HMAC with a raw key imports it again on every call (~4× slower). */
  readonly key: KeyObject;
  /** First event number covered. */
  readonly from: number;
  private readonly headFile: string;
  private breaks: Break[] = [];

  constructor(key: Buffer | KeyObject, from: number, headFile: string) {
    this.key = Buffer.isBuffer(key) ? createSecretKey(key) : key;
    this.from = from;
    this.headFile = headFile;
  }

  /** The MAC of an event, given the MAC of the event before it (null for the first covered one). */
  mac(row: AuditRowContent, previous: Uint8Array | null): Buffer {
    const content = JSON.stringify(auditValues(row));
    return createHmac('sha256', this.key)
      .update(previous ?? START)
      .update(SEPARATOR)
      .update(content, 'utf8')
      .digest();
  }

  /** Writes the chain's last link beside the database (after the event's commit). */
  writeHead(seq: number, mac: Uint8Array | null): void {
    const macHex = Buffer.from(mac ?? START).toString('hex');
    const head: HeadFile = {
      seq,
      mac: macHex,
      breaks: this.breaks,
      tag: this.tag(headText(seq, macHex, this.breaks)),
    };
    const temp = `${this.headFile}.tmp`;
    writePrivateFile(temp, JSON.stringify(head));
    renameSync(temp, this.headFile);
  }

  /**
   * At opening, before anything is written: compares the head with the log. What does not match
   * (events cut off the end, the head removed or altered) is kept as a break in the head from now
   * on, so the events written afterwards — which move the head on — cannot make it disappear.
   */
  openHead(db: Db, at: number): void {
    const last =
      (db.prepare('SELECT seq, mac FROM audit ORDER BY seq DESC LIMIT 1').get() as
        { seq: number; mac: Uint8Array | null } | undefined) ?? null;
    const read = this.readHead();
    if (read.head) this.breaks = read.head.breaks ?? [];
    const problem = this.compareHead(db, read, last?.seq ?? this.from - 1);
    if (!problem) return;
    this.breaks = [...this.breaks, { ...problem, foundAt: new Date(at).toISOString() }];
    this.writeHead(last?.seq ?? this.from - 1, last?.mac ?? null);
  }

  /** Starts a fresh chain: nothing covered yet, the head before the first covered event. */
  startHead(): void {
    this.writeHead(this.from - 1, null);
  }

  tag(text: string): string {
    return createHmac('sha256', this.key).update(text, 'utf8').digest('hex');
  }

  tagMatches(text: string, tag: string): boolean {
    const expected = Buffer.from(this.tag(text), 'hex');
    const given = Buffer.from(tag, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /**
   * Checks every covered event, and the head kept outside the database. In slices, giving the event
   * loop a turn between them: a log of 100,000 events takes a second or more to check on a slow
   * laptop, and the app keeps answering meanwhile. Events written while it runs are checked too.
   */
  async verify(db: Db, at: number, slice = 2000): Promise<AuditIntegrity> {
    const bad: number[] = [];
    let firstBad: number | null = null;
    const problems: string[] = [];
    const flag = (seq: number, problem: string) => {
      if (firstBad === null) {
        firstBad = seq;
        problems.push(problem);
      }
      if (bad.length < MAX_BAD) bad.push(seq);
    };
    let checked = 0;
    let previous: ChainRow | null =
      (db.prepare('SELECT * FROM audit WHERE seq = ?').get(this.from - 1) as ChainRow | undefined) ?? null;
    const next = db.prepare('SELECT * FROM audit WHERE seq > ? ORDER BY seq LIMIT ?');
    for (let after = this.from - 1; ;) {
      if (!db.isOpen) break;
      const rows = next.all(after, slice) as unknown as ChainRow[];
      for (const row of rows) {
        checked++;
        const expectedSeq = previous && previous.seq >= this.from - 1 ? previous.seq + 1 : this.from;
        if (row.seq !== expectedSeq) {
          flag(
            row.seq,
            `event #${expectedSeq}${row.seq - expectedSeq > 1 ? ` to #${row.seq - 1}` : ''} was removed`,
          );
        }
        if (!row.mac) {
          flag(row.seq, `event #${row.seq} carries no protection`);
        } else {
          const prevMac = row.seq === this.from ? null : (previous?.mac ?? null);
          const expected = this.mac(row, prevMac);
          const mac = Buffer.from(row.mac);
          if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) {
            flag(row.seq, `event #${row.seq} was changed`);
          }
        }
        previous = row;
      }
      if (rows.length < slice) break;
      after = rows.at(-1)!.seq;
      await new Promise((resolve) => setImmediate(resolve));
    }
    const last = previous && previous.seq >= this.from ? previous : null;
    const headProblem = db.isOpen ? this.compareHead(db, this.readHead(), last?.seq ?? this.from - 1) : null;
    for (const b of [...this.breaks, ...(headProblem ? [headProblem] : [])]) {
      if (firstBad === null || b.seq < firstBad) firstBad = b.seq;
      problems.push(b.text);
    }
    const broken = firstBad !== null;
    return {
      state: broken ? 'broken' : 'intact',
      checkedAt: new Date(at).toISOString(),
      checked,
      protectedFrom: this.from,
      firstBadSeq: firstBad,
      badSeqs: bad,
      message: broken
        ? `${capitalise(problems.join('; '))}. Keep a copy of the data folder as it is for investigation, and compare with an exported copy of the log if you have one.`
        : checked === 0
          ? 'The audit log is protected from its next event on.'
          : `All ${checked} protected events check out.`,
    };
  }

  private readHead(): { head: HeadFile | null; problem: string | null } {
    if (!existsSync(this.headFile))
      return { head: null, problem: 'the record of its last event (audit-head.json) was removed' };
    let head: HeadFile;
    try {
      head = JSON.parse(readFileSync(this.headFile, 'utf8')) as HeadFile;
    } catch {
      return { head: null, problem: 'the record of its last event (audit-head.json) is damaged' };
    }
    if (!this.tagMatches(headText(head.seq, head.mac, head.breaks ?? []), String(head.tag)))
      return { head: null, problem: 'the record of its last event (audit-head.json) was altered' };
    return { head, problem: null };
  }

  /** What is wrong between the head and the log, if anything. */
  private compareHead(
    db: Db,
    read: { head: HeadFile | null; problem: string | null },
    lastSeq: number,
  ): { seq: number; text: string } | null {
    const { head } = read;
    if (!head) return { seq: Math.max(lastSeq, this.from), text: read.problem! };
    // A crash between the event's commit and the head's write leaves the head one behind: fine.
    if (head.seq < this.from) return null;
    if (head.seq > lastSeq) {
      return {
        seq: lastSeq + 1,
        text: `events up to #${head.seq} were written, but the log ended at #${lastSeq}: events were cut off its end`,
      };
    }
    const row = db.prepare('SELECT mac FROM audit WHERE seq = ?').get(head.seq) as
      { mac: Uint8Array | null } | undefined;
    if (!row?.mac || Buffer.from(row.mac).toString('hex') !== head.mac) {
      return { seq: head.seq, text: `event #${head.seq} is not the one AlertDesk wrote` };
    }
    return null;
  }
}

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

const headText = (seq: number, macHex: string, breaks: Break[]) =>
  `head\0${seq}\0${macHex}\0${JSON.stringify(breaks)}`;
