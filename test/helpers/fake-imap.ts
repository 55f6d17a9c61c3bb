import { EventEmitter } from 'node:events';
import type { FetchMessageObject, ImapFlow } from 'imapflow';

/**
 * An IMAP server in memory, and clients for it with the part of imapflow's interface the watcher
 * uses, for unit tests of the supervisor's states and timing (the real protocol is tested against
 * Dovecot). Every command a client runs is recorded.
 */
export interface FakeMessage {
  uid: number;
  subject: string;
  messageId: string | null;
  internalDate: Date;
}

export interface FakeFolder {
  path: string;
  specialUse: string | null;
  uidValidity: bigint;
  messages: FakeMessage[];
  uidNext: number;
}

export class FakeImapServer {
  readonly folders = new Map<string, FakeFolder>();
  readonly commands: string[] = [];
  readonly clients: FakeImapClient[] = [];
  idle = true;

  constructor() {
    this.addFolder('INBOX', '\\Inbox');
    this.addFolder('Junk', '\\Junk');
  }

  addFolder(path: string, specialUse: string | null = null): FakeFolder {
    const folder: FakeFolder = { path, specialUse, uidValidity: 1000n, messages: [], uidNext: 1 };
    this.folders.set(path, folder);
    return folder;
  }

  /** Delivers a message; clients idling with the folder selected are told (EXISTS) at once. */
  deliver(path: string, subject: string, date = new Date()): FakeMessage {
    const folder = this.folders.get(path)!;
    const message = {
      uid: folder.uidNext++,
      subject,
      messageId: `<${subject.replace(/\s/g, '-')}@cam>`,
      internalDate: date,
    };
    folder.messages.push(message);
    for (const c of this.clients) {
      if (!c.isClosed && c.selected === path && c.idling) {
        c.emit('exists', { path, count: folder.messages.length, prevCount: folder.messages.length - 1 });
      }
    }
    return message;
  }

  /** Cuts every open connection, as a server restart does. */
  dropAll(reason = 'Server shutting down.'): void {
    for (const c of this.clients) if (!c.isClosed) c.drop(reason);
  }

  /** A client connected to this server (what `open` resolves with). */
  connect(): ImapFlow {
    const client = new FakeImapClient(this);
    this.clients.push(client);
    return client as unknown as ImapFlow;
  }
}

export class FakeImapClient extends EventEmitter {
  readonly capabilities: Map<string, boolean>;
  isClosed = false;
  byeReason: string | undefined;
  selected: string | null = null;
  private readonly server: FakeImapServer;
  private idleEnd: (() => void) | null = null;

  get idling(): boolean {
    return this.idleEnd !== null;
  }

  constructor(server: FakeImapServer) {
    super();
    this.server = server;
    this.capabilities = new Map(server.idle ? [['IDLE', true]] : []);
  }

  private run(command: string): void {
    if (this.isClosed) throw Object.assign(new Error('Connection not available'), { code: 'NoConnection' });
    this.idleEnd?.();
    this.server.commands.push(command);
  }

  drop(reason: string): void {
    this.byeReason = reason;
    this.close();
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.idleEnd?.();
    this.emit('close');
  }

  async logout(): Promise<void> {
    this.close();
  }

  async list() {
    this.run('LIST');
    return [...this.server.folders.values()].map((f) => ({
      path: f.path,
      flags: new Set<string>(),
      specialUse: f.specialUse ?? undefined,
      specialUseSource: f.path === 'INBOX' ? 'name' : f.specialUse ? 'extension' : undefined,
    }));
  }

  async mailboxOpen(path: string) {
    this.run(`EXAMINE ${path}`);
    const f = this.folder(path);
    this.selected = path;
    return { path, uidValidity: f.uidValidity, uidNext: f.uidNext, exists: f.messages.length };
  }

  async status(path: string) {
    this.run(`STATUS ${path}`);
    const f = this.folder(path);
    return { path, uidValidity: f.uidValidity, uidNext: f.uidNext, messages: f.messages.length };
  }

  async search(query: { since?: Date; uid?: string }) {
    this.run(`SEARCH ${query.since ? `SINCE ${query.since.toISOString()}` : `UID ${query.uid}`}`);
    const f = this.folder(this.selected!);
    if (query.since) return f.messages.filter((m) => m.internalDate >= query.since!).map((m) => m.uid);
    const from = Number(query.uid!.split(':')[0]);
    const max = f.messages.at(-1)?.uid;
    // "n:*" always includes the highest UID, even below n (RFC 3501 §6.4.8).
    return f.messages.filter((m) => m.uid >= from || m.uid === max).map((m) => m.uid);
  }

  async *fetch(range: string): AsyncGenerator<FetchMessageObject> {
    this.run(`FETCH ${range}`);
    const wanted = new Set<number>();
    for (const part of range.split(',')) {
      const [a, b] = part.split(':').map(Number) as [number, number | undefined];
      for (let u = a; u <= (b ?? a); u++) wanted.add(u);
    }
    for (const m of this.folder(this.selected!).messages) {
      if (!wanted.has(m.uid)) continue;
      if (this.isClosed) throw Object.assign(new Error('Connection closed'), { code: 'EConnectionClosed' });
      yield {
        seq: m.uid,
        uid: m.uid,
        size: 1000,
        internalDate: m.internalDate,
        envelope: {
          subject: m.subject,
          messageId: m.messageId ?? undefined,
          from: [{ address: 'cam@site.test' }],
        },
        headers: Buffer.from(`Subject: ${m.subject}\r\n\r\n`),
      };
    }
  }

  idle(): Promise<boolean | undefined> {
    this.run('IDLE');
    return new Promise((resolve) => {
      this.idleEnd = () => {
        this.idleEnd = null;
        resolve(undefined);
      };
    });
  }

  private folder(path: string): FakeFolder {
    const f = this.server.folders.get(path);
    if (!f) throw Object.assign(new Error(`Mailbox doesn't exist: ${path}`), { mailboxMissing: true, path });
    return f;
  }
}
