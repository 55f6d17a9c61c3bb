/**
 * bench:catchup — a mailbox watcher catching up on heartbeat mail, against a bare imapflow fetch.
 * Seeds N heartbeat messages (default 10,000, BENCH_MESSAGES) from 5,000 cameras into a Dovecot
 * mailbox of the test mail server, then measures in the same run (medians over BENCH_RUNS rounds,
 * default 5, after one untimed read so Dovecot's own cache is warm for both):
 *  - bare_fetch_ms: imapflow alone: connect, log in, EXAMINE, one UID FETCH of every message with
 *                   the fields the watcher reads (envelope, INTERNALDATE, size, BODY.PEEK[HEADER]);
 *  - catchup_ms:    a new watched mailbox in a fresh core until its watcher is caught up: log in,
 *                   list the folders, SEARCH the first-start window, FETCH in UID batches, every
 *                   message parsed, stored in the hub (SQLite) and counted;
 *  - catchup_ratio: catchup_ms / bare_fetch_ms (target ≤ 2).
 * Used by bench/heartbeats.ts (`measureCatchup`); alone (`node bench/heartbeats-catchup.ts`) it
 * prints its figures and, last, the JSON line {messages, catchup_ms, bare_fetch_ms, catchup_ratio}.
 * Needs root and Postfix + Dovecot, like the mail-server tests.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LIGHT_FETCH } from '../electron/core/inbound/imap-session.ts';
import type { MailboxStatus } from '../shared/mailboxes.ts';
import { openCore } from '../electron/core/node.ts';
import { testMessage, type StoredTestMessage } from '../test/mailserver/mail-store.ts';
import { startMailServer, type MailServer } from '../test/mailserver/mailserver.ts';

export interface CatchupResult {
  messages: number;
  catchup_ms: number;
  bare_fetch_ms: number;
  catchup_ratio: number;
}

export interface CatchupOptions {
  messages?: number;
  runs?: number;
  /** A running test mail server to use (else one is started and stopped). */
  server?: MailServer;
  /**
   * The i-th message (0 = oldest), for a caller whose cameras expect their own senders and
   * subjects; by default a heartbeat of camera i % 5,000 over the last day.
   */
  message?: (index: number, to: string) => StoredTestMessage;
  log?: (line: string) => void;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const round = (n: number) => Math.round(n * 10) / 10;

/** The i-th of `count` heartbeats from 5,000 cameras, one every few seconds over the last day. */
function heartbeat(count: number) {
  const now = Date.now();
  const step = Math.floor(86_400_000 / count);
  return (i: number, to: string): StoredTestMessage => {
    const camera = i % 5000;
    const date = new Date(now - (count - i) * step);
    return {
      date,
      raw: testMessage({
        from: `cam-${camera}@site-${Math.floor(camera / 40)}.example.test`,
        to,
        subject: `[Heartbeat] Camera ${camera} is online (NVR ${Math.floor(camera / 16)})`,
        date,
        headers: { 'X-Mailer': 'NVR Health Mail 4.2', 'X-Camera-Serial': `SN${100000 + camera}` },
      }),
    };
  };
}

export async function measureCatchup(options: CatchupOptions = {}): Promise<CatchupResult> {
  const messages = options.messages ?? 10_000;
  const runs = options.runs ?? 5;
  const log = options.log ?? ((line: string) => console.log(line));
  const server = options.server ?? (await startMailServer());
  const user = server.users.archive;
  const dirs: string[] = [];
  try {
    const seedStart = performance.now();
    const compose = options.message ?? heartbeat(messages);
    await server.mailboxes.fill(
      user.address,
      'INBOX',
      Array.from({ length: messages }, (_, i) => compose(i, user.address)),
    );
    log(`seeded ${messages.toLocaleString()} heartbeats in ${Math.round(performance.now() - seedStart)} ms`);

    const bareFetch = async () => {
      const started = performance.now();
      const client = await server.mailboxes.connect(user.address, user.password);
      try {
        await client.mailboxOpen('INBOX', { readOnly: true });
        const fetched = await client.fetchAll('1:*', LIGHT_FETCH, { uid: true });
        if (fetched.length !== messages) throw new Error(`bare fetch read ${fetched.length} of ${messages}`);
        return performance.now() - started;
      } finally {
        await client.logout().catch(() => client.close());
      }
    };

    const catchup = async () => {
      const dir = await mkdtemp(join(tmpdir(), 'alertdesk-bench-catchup-'));
      dirs.push(dir);
      const core = await openCore({ dataDir: dir, passphrase: 'benchmark passphrase', watchMailboxes: true });
      try {
        let started = 0;
        const done = new Promise<number>((resolve, reject) => {
          const off = core.onEvent((m) => {
            if (m.topic !== 'watcher') return;
            const s = m.payload as MailboxStatus;
            if (s.state === 'connected' && s.messagesSeen >= messages) {
              off();
              resolve(performance.now() - started);
            } else if (s.failure && s.state !== 'catching-up') {
              off();
              reject(new Error(`the watcher failed: ${s.failure.explanation}`));
            }
          });
        });
        started = performance.now();
        await core.mailboxes.create({
          title: 'Heartbeats',
          host: '127.0.0.1',
          port: server.imapPort,
          security: 'starttls',
          auth: 'password',
          username: user.address,
          password: user.password,
          clearPassword: false,
          trustedCertificatePem: server.certPem,
          presetId: null,
          extraFolders: [],
          watchJunk: false,
          siteIds: [],
          cameraIds: [],
          addresses: [],
          enabled: true,
          backfillDays: 7,
          pollSeconds: 60,
        });
        const ms = await done;
        const stored = core.inbound.count();
        if (stored !== messages) throw new Error(`the hub holds ${stored} of ${messages} messages`);
        return ms;
      } finally {
        await core.close();
      }
    };

    // One untimed read first: Dovecot indexes the new mail and fills its cache for whoever is next.
    const warm = await bareFetch();
    log(`first read (Dovecot indexing and caching the new mail, not counted): ${Math.round(warm)} ms`);
    const bare: number[] = [];
    const caught: number[] = [];
    for (let i = 0; i < runs; i++) {
      // Alternate which goes first, so neither always meets a busier or a quieter machine.
      if (i % 2 === 0) {
        bare.push(await bareFetch());
        caught.push(await catchup());
      } else {
        caught.push(await catchup());
        bare.push(await bareFetch());
      }
      log(
        `round ${i + 1}: bare fetch ${Math.round(bare.at(-1)!)} ms, watcher catch-up ${Math.round(caught.at(-1)!)} ms`,
      );
    }
    const bare_fetch_ms = round(median(bare));
    const catchup_ms = round(median(caught));
    const catchup_ratio = Math.round((catchup_ms / bare_fetch_ms) * 100) / 100;
    log(
      `catch-up of ${messages.toLocaleString()} messages: median ${catchup_ms} ms; bare imapflow fetch of the same fields: median ${bare_fetch_ms} ms; ratio ${catchup_ratio} (target ≤ 2: ${catchup_ratio <= 2 ? 'met' : 'MISSED'})`,
    );
    return { messages, catchup_ms, bare_fetch_ms, catchup_ratio };
  } finally {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
    if (!options.server) await server.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await measureCatchup({
    messages: Number(process.env.BENCH_MESSAGES ?? 10_000),
    runs: Number(process.env.BENCH_RUNS ?? 5),
  });
  console.log(JSON.stringify(result));
}
