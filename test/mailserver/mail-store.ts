import { utimesSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import PostalMime, { type Email } from 'postal-mime';
import { run } from './processes.ts';

export interface InboxMessage {
  uid: number;
  /** The message exactly as stored in the Maildir (Postfix and Dovecot added Return-Path, Received…). */
  raw: Buffer;
  parsed: Email;
}

/** A message to put into a mailbox; `date` becomes its INTERNALDATE (when the server received it). */
export interface StoredTestMessage {
  raw: string | Buffer;
  date?: Date;
}

/** What tests do to the mailboxes of the test server, besides delivering mail through Postfix. */
export interface MailStore {
  /** A connected IMAP client (STARTTLS, the pinned certificate), for tests that look for themselves. */
  connect(user: string, password: string): Promise<ImapFlow>;
  /** Every message in a folder, read over IMAP without setting \Seen. */
  readFolder(user: string, password: string, folder?: string): Promise<InboxMessage[]>;
  /** IMAP APPEND, one message after the other, each with its own INTERNALDATE; returns their UIDs. */
  append(user: string, password: string, folder: string, messages: StoredTestMessage[]): Promise<number[]>;
  /**
   * Writes messages straight into the user's folder on disk, unseen, where APPEND would take
   * minutes: Maildir files (~4,000 a second here), or for the mbox user (`archive`) one mbox
   * file (100,000 messages in a few seconds). `date` becomes the INTERNALDATE. Dovecot gives them
   * UIDs, oldest first, the next time it looks at the folder. Returns how many were written.
   */
  fill(user: string, folder: string, messages: Iterable<StoredTestMessage>): Promise<number>;
  /**
   * Gives the folder a new UIDVALIDITY (`doveadm mailbox update --uid-validity`): every UID a
   * client remembers is void, as after a server migration. Returns the new value.
   */
  resetUidValidity(user: string, folder?: string): Promise<number>;
  /** Ends every IMAP session of the user at once (`doveadm kick`): a server dropping a client mid-IDLE. */
  kick(user: string): Promise<void>;
  /** How many IMAP sessions the user has open now (`doveadm who`): a closed client leaves none. */
  sessions(user: string): Promise<number>;
}

export interface MailStoreDeps {
  /** The users whose mail lives in an mbox (their Dovecot mail_location starts with `mbox:`). */
  mboxUsers: string[];
  imapPort: number;
  certPem: string;
  /** Where each user's home (and Maildir) is: `<mailDir>/<address>/Maildir`. */
  mailDir: string;
  mailIds: { uid: number; gid: number };
  dovecotConf: string;
}

const DOVEADM = '/usr/bin/doveadm';
let sequence = 0;
let resets = 0;

/**
 * A plain test message as a camera would send it: the headers a heartbeat has, CRLF line ends.
 * Anything in `headers` is added (or replaces a default of the same name).
 */
export function testMessage(p: {
  from: string;
  to: string;
  subject: string;
  date?: Date;
  messageId?: string | null;
  headers?: Record<string, string>;
  body?: string;
}): string {
  const fields: Record<string, string | null> = {
    From: p.from,
    To: p.to,
    Subject: p.subject,
    Date: (p.date ?? new Date()).toUTCString().replace('GMT', '+0000'),
    'Message-ID': p.messageId === undefined ? `<${crypto.randomUUID()}@camera.test>` : p.messageId,
    'MIME-Version': '1.0',
    'Content-Type': 'text/plain; charset=utf-8',
    ...p.headers,
  };
  const head = Object.entries(fields)
    .filter((entry): entry is [string, string] => entry[1] !== null)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n');
  return `${head}\r\n\r\n${p.body ?? 'Camera online. Storage OK.'}\r\n`;
}

export function mailStore(deps: MailStoreDeps): MailStore {
  const client = (user: string, password: string) =>
    new ImapFlow({
      host: '127.0.0.1',
      port: deps.imapPort,
      secure: false,
      doSTARTTLS: true,
      servername: 'localhost',
      tls: { ca: deps.certPem },
      auth: { user, pass: password },
      logger: false,
      disableAutoIdle: true,
      connectionTimeout: 5000,
      greetingTimeout: 5000,
      socketTimeout: 60_000,
    });

  const connect = async (user: string, password: string) => {
    const c = client(user, password);
    c.on('error', () => undefined);
    await c.connect();
    return c;
  };

  /** ImapFlow clients are single-use: a fresh one per piece of work, logged out after it. */
  const withClient = async <T>(user: string, password: string, work: (c: ImapFlow) => Promise<T>) => {
    const c = await connect(user, password);
    try {
      return await work(c);
    } finally {
      await c.logout().catch(() => c.close());
    }
  };

  const maildir = (user: string, folder: string) =>
    join(deps.mailDir, user, 'Maildir', folder.toUpperCase() === 'INBOX' ? '' : `.${folder}`);

  return {
    connect,
    readFolder: (user, password, folder = 'INBOX') =>
      withClient(user, password, async (c) => {
        const box = await c.mailboxOpen(folder, { readOnly: true });
        if (box.exists === 0) return [];
        const fetched = await c.fetchAll('1:*', { uid: true, source: true });
        return Promise.all(
          fetched.map(async (m) => {
            const raw = m.source ?? Buffer.alloc(0);
            return { uid: m.uid, raw, parsed: await PostalMime.parse(raw) };
          }),
        );
      }),
    append: (user, password, folder, messages) =>
      withClient(user, password, async (c) => {
        const uids: number[] = [];
        for (const m of messages) {
          const appended = await c.append(folder, m.raw, [], m.date ?? new Date());
          if (!appended || appended.uid === undefined) throw new Error(`APPEND to ${folder} gave no UID`);
          uids.push(appended.uid);
        }
        return uids;
      }),
    async fill(user, folder, messages) {
      const written = deps.mboxUsers.includes(user)
        ? await fillMbox(join(deps.mailDir, user, 'mail'), folder, messages)
        : await fillMaildir(maildir(user, folder), folder, messages);
      // Dovecot reads the mail as the mail uid: everything the harness wrote must be its.
      const home = join(deps.mailDir, user);
      const chowned = await run('chown', ['-R', `${deps.mailIds.uid}:${deps.mailIds.gid}`, home], 60_000);
      if (chowned.code !== 0) throw new Error(`chown of ${home} failed: ${chowned.output}`);
      return written;
    },
    async resetUidValidity(user, folder = 'INBOX') {
      // Any other 32-bit value will do; time-based, so two resets in a row differ.
      const value = (Math.floor(Date.now() / 1000) + ++resets) % 0xffffffff;
      const result = await run(
        DOVEADM,
        ['-c', deps.dovecotConf, 'mailbox', 'update', '-u', user, '--uid-validity', String(value), folder],
        15_000,
      );
      if (result.code !== 0) throw new Error(`doveadm mailbox update failed: ${result.output}`);
      return value;
    },
    async sessions(user) {
      const result = await run(DOVEADM, ['-c', deps.dovecotConf, 'who', '-1', user], 15_000);
      if (result.code !== 0) throw new Error(`doveadm who failed: ${result.output}`);
      // "username proto pid ip": one line per session after the header.
      return result.output.split('\n').filter((line) => line.startsWith(`${user} `) && /\bimap\b/.test(line))
        .length;
    },
    async kick(user) {
      const result = await run(DOVEADM, ['-c', deps.dovecotConf, 'kick', user], 15_000);
      // doveadm kick exits 68 (EX_NOUSER) when the user had no session: nothing to end is fine.
      if (result.code !== 0 && result.code !== 68) throw new Error(`doveadm kick failed: ${result.output}`);
    },
  };
}

/** Maildir files in cur/ (unseen), each with its date as the file time, which Dovecot reads as INTERNALDATE. */
async function fillMaildir(dir: string, folder: string, messages: Iterable<StoredTestMessage>) {
  for (const sub of ['cur', 'new', 'tmp']) await mkdir(join(dir, sub), { recursive: true });
  if (folder.toUpperCase() !== 'INBOX') await writeFile(join(dir, 'maildirfolder'), '');
  let written = 0;
  // Synchronous writes, a yield every thousand: several times faster than promises for tiny files.
  for (const m of messages) {
    const raw = typeof m.raw === 'string' ? Buffer.from(m.raw, 'utf8') : m.raw;
    const date = m.date ?? new Date();
    // Maildir names: unique, with the size (S=) so Dovecot need not stat; ":2," = no flags (unseen).
    const name = `${Math.floor(date.getTime() / 1000)}.M${++sequence}P${process.pid}.alertdesk-test,S=${raw.length}:2,`;
    const path = join(dir, 'cur', name);
    writeFileSync(path, raw);
    utimesSync(path, date, date);
    if (++written % 1000 === 0) await new Promise((r) => setImmediate(r));
  }
  return written;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/** The mbox separator line; its date (local time, asctime format) is the message's INTERNALDATE. */
function fromLine(date: Date): string {
  const day = String(date.getDate()).padStart(2, ' ');
  const time = `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
  return `From MAILER-DAEMON ${DAYS[date.getDay()]} ${MONTHS[date.getMonth()]} ${day} ${time} ${date.getFullYear()}\n`;
}

/** Appends messages to the folder's mbox file in one write (LF line ends, "From " lines quoted). */
async function fillMbox(dir: string, folder: string, messages: Iterable<StoredTestMessage>) {
  await mkdir(dir, { recursive: true });
  const parts: string[] = [];
  for (const m of messages) {
    const text = (typeof m.raw === 'string' ? m.raw : m.raw.toString('latin1'))
      .replace(/\r\n/g, '\n')
      .replace(/^(>*From )/gm, '>$1');
    parts.push(fromLine(m.date ?? new Date()), text.endsWith('\n') ? text : `${text}\n`, '\n');
  }
  await writeFile(join(dir, folder.toUpperCase() === 'INBOX' ? 'inbox' : folder), parts.join(''), {
    flag: 'a',
    encoding: 'latin1',
  });
  return parts.length / 3;
}
