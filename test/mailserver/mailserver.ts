import {
  access,
  chmod,
  chown,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { makeCertificate } from '../helpers/certs.ts';
import {
  dovecotUsersFile,
  MBOX_LOCATION,
  postfixMailboxes,
  renderTemplate,
  SIEVE_BEFORE,
  type MailboxUser,
} from './config.ts';
import { mailStore, type InboxMessage, type MailStore } from './mail-store.ts';
import { startPopBeforeSmtpTable, type PopBeforeSmtpTable } from './pop-before-smtp.ts';
import {
  accountIds,
  freePorts,
  isRunning,
  isSameProcessAlive,
  pidsNamed,
  readPidFile,
  run,
  selfIdentity,
  terminate,
  waitUntil,
} from './processes.ts';

/** Set to `1` to skip the tests that need the real mail servers (a developer machine without them). */
export const SKIP_ENV = 'ALERTDESK_SKIP_MAILSERVER';
/** Set to `1` to keep a run's temp directory (configs, logs, Maildirs) after `stop()`, for debugging. */
export const KEEP_ENV = 'ALERTDESK_MAILSERVER_KEEP';

/** The Debian packages the harness runs (`apt-get install -y …`). */
export const MAILSERVER_PACKAGES = [
  'postfix',
  'dovecot-core',
  'dovecot-imapd',
  'dovecot-pop3d',
  'dovecot-lmtpd',
  'dovecot-sieve',
] as const;

const POSTFIX = '/usr/sbin/postfix';
const DOVECOT = '/usr/sbin/dovecot';
const SIEVEC = '/usr/bin/sievec';
const REQUIRED: Array<{ path: string; pkg: (typeof MAILSERVER_PACKAGES)[number] }> = [
  { path: POSTFIX, pkg: 'postfix' },
  { path: '/usr/lib/postfix/sbin/master', pkg: 'postfix' },
  { path: '/usr/lib/postfix/sbin/smtpd', pkg: 'postfix' },
  { path: '/usr/lib/postfix/sbin/lmtp', pkg: 'postfix' },
  { path: '/etc/postfix/postfix-files', pkg: 'postfix' },
  { path: DOVECOT, pkg: 'dovecot-core' },
  { path: '/usr/lib/dovecot/auth', pkg: 'dovecot-core' },
  { path: '/usr/lib/dovecot/imap', pkg: 'dovecot-imapd' },
  { path: '/usr/lib/dovecot/pop3', pkg: 'dovecot-pop3d' },
  { path: '/usr/lib/dovecot/lmtp', pkg: 'dovecot-lmtpd' },
  { path: '/usr/lib/dovecot/modules/lib90_sieve_plugin.so', pkg: 'dovecot-sieve' },
  { path: SIEVEC, pkg: 'dovecot-sieve' },
];

const DIR_PREFIX = 'alertdesk-mailserver-';
/**
 * Where run directories go: the temp dir, unless its path is so long that Dovecot's and Postfix's
 * unix sockets inside a run directory would pass the 108-byte socket path limit.
 */
const baseDir = () => (tmpdir().length <= 40 ? tmpdir() : '/tmp');
const START_TIMEOUT_MS = 20_000;

/**
 * The test server's addresses: `alerts` logs in and sends, `ops` and `manager` receive, `archive`
 * is the big mailbox (an mbox: `mailboxes.fillMbox` writes 100,000 messages into it in seconds),
 * `oauth` is the one that also logs in with an OAuth2 token (when the server is started with
 * `oauth2`); its password stays for the harness's own reading and writing.
 */
export const DOMAIN = 'example.test';
export const TEST_USERS = {
  alerts: { address: `alerts@${DOMAIN}`, password: 'tiger-lily-2026' },
  ops: { address: `ops@${DOMAIN}`, password: 'night-owl-2026' },
  manager: { address: `manager@${DOMAIN}`, password: 'blue-heron-2026' },
  archive: { address: `archive@${DOMAIN}`, password: 'deep-well-2026', mail: MBOX_LOCATION },
  oauth: { address: `oauth@${DOMAIN}`, password: 'paper-kite-2026' },
} as const satisfies Record<string, MailboxUser>;

/** The mail servers are missing or cannot run here; the message says what to install or change. */
export class MailServerUnavailableError extends Error {
  override name = 'MailServerUnavailableError';
}

export type { InboxMessage } from './mail-store.ts';

export interface MailServer {
  host: '127.0.0.1';
  domain: string;
  /** Postfix, STARTTLS required, SASL AUTH (PLAIN, LOGIN, CRAM-MD5) required to send. */
  submissionPort: number;
  /** Postfix, TLS from the first byte, SASL AUTH required to send. */
  smtpsPort: number;
  /** Postfix, plain SMTP without AUTH: takes mail only after a POP3 login from the client's address. */
  relayPort: number;
  /**
   * Postfix as the domain's MX: plain SMTP, no AUTH, mail for the domain only. Works while Dovecot
   * is stopped (the mail waits in Postfix's queue).
   */
  mxPort: number;
  /** Dovecot IMAP (plain, STARTTLS offered). */
  imapPort: number;
  /** Dovecot IMAP with TLS from the first byte (what port 993 is elsewhere). */
  imapsPort: number;
  /** Dovecot POP3 (plain, STLS offered; USER/PASS, APOP, SASL). */
  pop3Port: number;
  /** The login and sender address, and its password (IMAP, POP3 and SMTP AUTH alike). */
  user: string;
  password: string;
  users: typeof TEST_USERS;
  /** The self-signed certificate (CN=localhost, SAN localhost and 127.0.0.1) of every TLS port. */
  certPem: string;
  /** The run's temp directory: configs, logs (postfix.log, dovecot.log), Maildirs. */
  dir: string;
  startupMs: number;
  /** Milliseconds since the start at the end of each start-up step, to see where the time goes. */
  startupSteps: Array<[string, number]>;
  /** Every message in the user's INBOX, read over IMAP (STARTTLS, pinned certificate). */
  readInbox(user: string, password: string): Promise<InboxMessage[]>;
  /** Polls the INBOX until a message matches (Postfix delivers a moment after it said 250). */
  waitForMessage(
    user: string,
    password: string,
    match: (m: InboxMessage) => boolean,
    timeoutMs?: number,
  ): Promise<InboxMessage>;
  popBeforeSmtp: Pick<PopBeforeSmtpTable, 'reset' | 'logins' | 'lookups'> & { windowSec: number };
  /** Dovecot alone, stopped and started again on the same ports, Maildirs and certificate. */
  dovecot: DovecotControl;
  /** What tests do to the mailboxes themselves: APPEND, Maildir filling, UIDVALIDITY resets, kicks. */
  mailboxes: MailStore;
  logs(): Promise<{ postfix: string; dovecot: string }>;
  stop(): Promise<void>;
}

export interface DovecotControl {
  /**
   * Stops Dovecot (SIGTERM; its IMAP sessions end, IDLE ones included, as when a server restarts).
   * Postfix keeps taking mail meanwhile and delivers it once Dovecot is back.
   */
  stop(): Promise<void>;
  /** Starts it again and waits until IMAP greets and the LMTP and SASL sockets exist. */
  start(): Promise<void>;
  running(): Promise<boolean>;
}

export interface MailServerOptions {
  /** How long a POP3 login opens the relay port, in seconds (default 120). */
  popWindowSec?: number;
  /**
   * OAuth2 logins (XOAUTH2, OAUTHBEARER) for `TEST_USERS.oauth`: Dovecot's oauth2 pass database
   * checks each token at this introspection URL (RFC 7662, `introspection_mode = post`; the fake
   * authorization server's `introspectionUrl`). Without it, nobody can log in with a token.
   */
  oauth2?: { introspectionUrl: string };
}

/** Which packages are missing, judged by the files the harness runs. Empty when all are there. */
export async function missingMailServerPackages(): Promise<string[]> {
  const missing = new Set<string>();
  for (const { path, pkg } of REQUIRED) {
    await access(path).catch(() => missing.add(pkg));
  }
  return MAILSERVER_PACKAGES.filter((p) => missing.has(p));
}

async function checkPrerequisites(): Promise<void> {
  const missing = await missingMailServerPackages();
  if (missing.length > 0) {
    throw new MailServerUnavailableError(
      `The real mail server tests need Postfix and Dovecot, and these Debian packages are not installed: ` +
        `${missing.join(', ')}. Install them with ` +
        `\`DEBIAN_FRONTEND=noninteractive apt-get install -y ${MAILSERVER_PACKAGES.join(' ')}\` ` +
        `(CI does), or set ${SKIP_ENV}=1 to skip these tests.`,
    );
  }
  if (process.getuid?.() !== 0) {
    throw new MailServerUnavailableError(
      `The real mail server tests must run as root: Postfix's master and Dovecot bind their ports and ` +
        `switch to their own users (postfix, dovecot, dovenull). Run as root (CI does), or set ${SKIP_ENV}=1 to skip.`,
    );
  }
  for (const account of ['postfix', 'dovecot', 'dovenull']) {
    if (!(await accountIds(account))) {
      throw new MailServerUnavailableError(
        `The system account "${account}" is missing; the Postfix/Dovecot packages create it. Reinstall ` +
          `${MAILSERVER_PACKAGES.join(' ')}, or set ${SKIP_ENV}=1 to skip.`,
      );
    }
  }
}

interface Owner {
  pid: number;
  startTime: string;
}

/**
 * Stops what a crashed earlier run left behind: for each harness directory whose owning process is
 * gone, the Postfix master and Dovecot recorded in it, then the directory. Directories of live runs
 * (another test file, another shell) are left alone.
 */
export async function cleanupStaleRuns(): Promise<string[]> {
  const base = baseDir();
  const cleaned: string[] = [];
  const entries = await readdir(base).catch(() => [] as string[]);
  for (const name of entries) {
    if (!name.startsWith(DIR_PREFIX)) continue;
    const dir = join(base, name);
    const owner = await readFile(join(dir, 'owner.json'), 'utf8')
      .then((t) => JSON.parse(t) as Owner)
      .catch(() => null);
    if (owner && (await isSameProcessAlive(owner))) continue;
    await stopDaemons(dir);
    await rm(dir, { recursive: true, force: true });
    cleaned.push(dir);
  }
  return cleaned;
}

function layout(root: string) {
  return {
    root,
    owner: join(root, 'owner.json'),
    cert: join(root, 'tls', 'cert.pem'),
    key: join(root, 'tls', 'key.pem'),
    postfixConf: join(root, 'postfix'),
    // Not inside the config directory: postfix-script wants everything under it owned by root.
    queue: join(root, 'postfix-queue'),
    data: join(root, 'postfix-data'),
    postfixLog: join(root, 'postfix.log'),
    masterPid: join(root, 'postfix-queue', 'pid', 'master.pid'),
    dovecotDir: join(root, 'dovecot'),
    dovecotConf: join(root, 'dovecot', 'dovecot.conf'),
    dovecotOauth2: join(root, 'dovecot', 'oauth2.conf'),
    dovecotOauth2Args: join(root, 'dovecot', 'dovecot-oauth2.conf.ext'),
    dovecotUsers: join(root, 'dovecot', 'users'),
    dovecotRun: join(root, 'dovecot', 'run'),
    dovecotState: join(root, 'dovecot', 'state'),
    dovecotPid: join(root, 'dovecot', 'run', 'master.pid'),
    dovecotLog: join(root, 'dovecot.log'),
    /** Dovecot's instance_name: its processes are called `dovecot-<instance>/imap` and so on. */
    dovecotInstance: `alertdesk-${root.slice(-6).replace(/[^A-Za-z0-9]/g, 'x')}`,
    saslDir: join(root, 'sasl'),
    saslSocket: join(root, 'sasl', 'auth'),
    lmtpSocket: join(root, 'dovecot', 'lmtp'),
    sieveDir: join(root, 'sieve'),
    sieveScript: join(root, 'sieve', 'before.sieve'),
    mail: join(root, 'mail'),
  };
}

/**
 * Stops Dovecot and waits until every process of the instance is gone: its master exits at once on
 * SIGTERM, but the IMAP processes serving clients (IDLE ones included) linger for seconds and
 * would keep answering; a test that stops Dovecot means every connection to end.
 */
async function stopDovecot(pidFile: string, instance: string): Promise<void> {
  const children = await pidsNamed(`dovecot-${instance}/`);
  const master = await readPidFile(pidFile);
  if (master) await terminate(master, 'dovecot');
  await Promise.all(children.map((pid) => terminate(pid, null, 3000)));
}

/** Stops a run's Postfix (orderly, then by signal) and Dovecot, at once, waiting until both are gone. */
async function stopDaemons(root: string): Promise<void> {
  const p = layout(root);
  const postfix = async () => {
    const master = await readPidFile(p.masterPid);
    if (!master || !(await isRunning(master, 'master'))) return;
    await run(POSTFIX, ['-c', p.postfixConf, 'stop'], 10_000);
    await waitUntil('Postfix to stop', async () => !(await isRunning(master)), 5000).catch(() =>
      terminate(master, 'master', 2000),
    );
  };
  const dovecot = () => stopDovecot(p.dovecotPid, p.dovecotInstance);
  await Promise.all([postfix(), dovecot()]);
}

async function tail(path: string, lines = 40): Promise<string> {
  const text = await readFile(path, 'utf8').catch(() => '(no log)');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Connects and reads the first line the server sends (SMTP 220, IMAP `* OK`, POP3 `+OK`). */
function greeting(port: number, ca: string | null, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = ca
      ? tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost' })
      : netConnect({ host: '127.0.0.1', port });
    let data = '';
    const done = (error: Error | null) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(data.split('\r\n')[0] ?? '');
    };
    const timer = setTimeout(() => done(new Error(`no greeting on port ${port}`)), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('utf8');
      if (data.includes('\r\n')) done(null);
    });
    socket.on('error', (e) => done(e));
  });
}

/**
 * Starts Postfix and Dovecot on free loopback ports, from configs rendered into a new temp
 * directory. Throws {@link MailServerUnavailableError} when they are not installed or not runnable.
 */
export async function startMailServer(options: MailServerOptions = {}): Promise<MailServer> {
  const started = performance.now();
  const startupSteps: Array<[string, number]> = [];
  const mark = (step: string) => startupSteps.push([step, Math.round(performance.now() - started)]);
  await checkPrerequisites();
  await cleanupStaleRuns();
  mark('prerequisites');

  const root = await mkdtemp(join(baseDir(), DIR_PREFIX));
  // Postfix (as postfix), the virtual agent and Dovecot's mail processes (as the mail uid) must get in.
  await chmod(root, 0o755);
  await writeFile(join(root, 'owner.json'), JSON.stringify(await selfIdentity()));
  const p = layout(root);
  const postfixIds = (await accountIds('postfix'))!;
  const dovecotIds = (await accountIds('dovecot'))!;
  const mailIds = (await accountIds('nobody')) ?? { uid: 65534, gid: 65534 };

  let popTable: PopBeforeSmtpTable | null = null;
  const fail = async (what: string, detail = ''): Promise<never> => {
    const logs =
      `\n--- ${p.postfixLog} (last lines) ---\n${await tail(p.postfixLog)}` +
      `\n--- ${p.dovecotLog} (last lines) ---\n${await tail(p.dovecotLog)}`;
    await stopDaemons(root).catch(() => undefined);
    await popTable?.close().catch(() => undefined);
    throw new Error(`Test mail server: ${what}${detail ? `\n${detail}` : ''}${logs}\n(kept ${root})`);
  };

  try {
    const cert = makeCertificate();
    await mkdir(join(root, 'tls'), { mode: 0o755 });
    await writeFile(p.cert, cert.cert, { mode: 0o644 });
    await writeFile(p.key, cert.key, { mode: 0o600 });
    mark('certificate');

    const [submissionPort, smtpsPort, relayPort, mxPort, imapPort, imapsPort, pop3Port] = (await freePorts(
      7,
    )) as [number, number, number, number, number, number, number];
    const windowSec = options.popWindowSec ?? 120;
    popTable = await startPopBeforeSmtpTable(p.dovecotLog, windowSec);
    const users = Object.values(TEST_USERS);
    const values = {
      ROOT_DIR: root,
      DOMAIN,
      INSTANCE: p.dovecotInstance,
      QUEUE_DIR: p.queue,
      DATA_DIR: p.data,
      POSTFIX_LOG: p.postfixLog,
      MAILBOXES: postfixMailboxes(users),
      CERT_FILE: p.cert,
      KEY_FILE: p.key,
      SASL_SOCKET: p.saslSocket,
      POP_TABLE_PORT: popTable.port,
      SUBMISSION_PORT: submissionPort,
      SMTPS_PORT: smtpsPort,
      RELAY_PORT: relayPort,
      MX_PORT: mxPort,
      IMAP_PORT: imapPort,
      IMAPS_PORT: imapsPort,
      POP3_PORT: pop3Port,
      LMTP_SOCKET: p.lmtpSocket,
      SIEVE_SCRIPT: p.sieveScript,
      DOVECOT_RUN_DIR: p.dovecotRun,
      DOVECOT_STATE_DIR: p.dovecotState,
      DOVECOT_LOG: p.dovecotLog,
      USERS_FILE: p.dovecotUsers,
      OAUTH2_INCLUDE: p.dovecotOauth2,
      OAUTH2_ARGS: p.dovecotOauth2Args,
      OAUTH2_USER: TEST_USERS.oauth.address,
    };

    // Maildirs: written by Dovecot's LMTP (after Sieve) and read by its IMAP, both as the mail uid.
    await mkdir(p.mail, { mode: 0o700 });
    await chown(p.mail, mailIds.uid, mailIds.gid);
    await mkdir(p.saslDir, { mode: 0o755 });
    // The global Sieve script, compiled here: the mail uid may not write its binary beside it.
    await mkdir(p.sieveDir, { mode: 0o755 });
    await writeFile(p.sieveScript, SIEVE_BEFORE, { mode: 0o644 });

    // ── Dovecot first: Postfix's SASL asks its auth socket ──────────────────────────────────
    await mkdir(p.dovecotDir, { mode: 0o755 });
    await writeFile(p.dovecotConf, await renderTemplate('dovecot.conf', values));
    if (options.oauth2) {
      const url = new URL(options.oauth2.introspectionUrl);
      if (url.hostname !== '127.0.0.1') throw new Error('the introspection URL must be on 127.0.0.1');
      const oauth2 = { ...values, OAUTH2_INTROSPECTION_URL: url.href };
      await writeFile(p.dovecotOauth2, await renderTemplate('dovecot-oauth2.conf', oauth2));
      // Read by Dovecot's auth process (the dovecot user), like the users file.
      await writeFile(p.dovecotOauth2Args, await renderTemplate('dovecot-oauth2.conf.ext', oauth2), {
        mode: 0o640,
      });
      await chown(p.dovecotOauth2Args, 0, dovecotIds.gid);
    }
    // Read by Dovecot's auth process, which runs as the dovecot user.
    await writeFile(p.dovecotUsers, dovecotUsersFile(users, p.mail, mailIds.uid, mailIds.gid), {
      mode: 0o640,
    });
    await chown(p.dovecotUsers, 0, dovecotIds.gid);
    const sievec = await run(SIEVEC, ['-c', p.dovecotConf, p.sieveScript], 10_000);
    if (sievec.code !== 0) await fail(`sievec could not compile ${p.sieveScript}`, sievec.output);
    const dovecot = await run(DOVECOT, ['-c', p.dovecotConf], 10_000);
    if (dovecot.code !== 0) await fail(`dovecot did not start (exit ${dovecot.code})`, dovecot.output);
    mark('dovecot');

    // ── Postfix ───────────────────────────────────────────────────────────────────────────────
    await mkdir(p.postfixConf, { mode: 0o755 });
    await mkdir(p.queue, { mode: 0o755 });
    await mkdir(p.data, { mode: 0o700 });
    await chown(p.data, postfixIds.uid, postfixIds.gid);
    for (const file of ['main.cf', 'master.cf'] as const) {
      const path = join(p.postfixConf, file);
      await writeFile(path, await renderTemplate(file, values));
      // Postfix rereads a config file changed in the last second or two until it is older ("still
      // being edited?"), which costs about 2 s per start: backdate the fresh files.
      const past = new Date(Date.now() - 60_000);
      await utimes(path, past, past);
    }
    const postfix = await run(POSTFIX, ['-c', p.postfixConf, 'start'], 15_000);
    if (postfix.code !== 0) {
      // Postfix prints its configuration errors only to a terminal (or the log, once it has one).
      const check = await run(
        'script',
        ['-qec', `${POSTFIX} -c ${p.postfixConf} check`, '/dev/null'],
        10_000,
      );
      await fail(`postfix start failed (exit ${postfix.code})`, `${postfix.output}\n${check.output}`);
    }

    mark('postfix');

    // ── Ready when every port greets and the SASL and LMTP sockets exist ─────────────────────
    const deadline = started + START_TIMEOUT_MS - performance.now();
    const ready = async (port: number, ca: string | null, expect: RegExp, timeoutMs: number) => {
      let last = '';
      await waitUntil(
        `a greeting on port ${port}`,
        async () => {
          last = await greeting(port, ca).catch((e: Error) => e.message);
          return expect.test(last);
        },
        Math.max(1000, timeoutMs),
      ).catch(() => fail(`port ${port} did not greet as expected`, `last: ${last}`));
    };
    const socket = (path: string, what: string, timeoutMs: number) =>
      waitUntil(
        what,
        () =>
          access(path).then(
            () => true,
            () => false,
          ),
        Math.max(1000, timeoutMs),
      ).catch(() => fail(`Dovecot did not create ${what}`));
    const dovecotReady = (timeoutMs: number) =>
      Promise.all([
        ready(imapPort, null, /^\* OK /, timeoutMs),
        ready(imapsPort, cert.cert, /^\* OK /, timeoutMs),
        ready(pop3Port, null, /^\+OK /, timeoutMs),
        socket(p.saslSocket, 'its auth socket for Postfix', timeoutMs),
        socket(p.lmtpSocket, 'its LMTP socket for Postfix', timeoutMs),
      ]);
    await Promise.all([
      ready(submissionPort, null, /^220 /, deadline),
      ready(smtpsPort, cert.cert, /^220 /, deadline),
      ready(relayPort, null, /^220 /, deadline),
      ready(mxPort, null, /^220 /, deadline),
      dovecotReady(deadline),
    ]);

    mark('ready');
    const table = popTable;
    const mailboxes = mailStore({
      mboxUsers: users.filter((u) => 'mail' in u && u.mail.startsWith('mbox:')).map((u) => u.address),
      imapPort,
      certPem: cert.cert,
      mailDir: p.mail,
      mailIds,
      dovecotConf: p.dovecotConf,
    });
    const readInbox = (user: string, password: string) => mailboxes.readFolder(user, password, 'INBOX');
    const dovecotControl: DovecotControl = {
      stop: () => stopDovecot(p.dovecotPid, p.dovecotInstance),
      async start() {
        const started = await run(DOVECOT, ['-c', p.dovecotConf], 10_000);
        if (started.code !== 0) throw new Error(`dovecot did not start again: ${started.output}`);
        await dovecotReady(START_TIMEOUT_MS);
        // Mail Postfix took while Dovecot was down waits in its queue: deliver it now.
        await run('/usr/sbin/postqueue', ['-c', p.postfixConf, '-f'], 10_000);
      },
      async running() {
        const pid = await readPidFile(p.dovecotPid);
        return pid !== null && (await isRunning(pid, 'dovecot'));
      },
    };

    let stopped = false;
    const server: MailServer = {
      host: '127.0.0.1',
      domain: DOMAIN,
      submissionPort,
      smtpsPort,
      relayPort,
      mxPort,
      imapPort,
      imapsPort,
      pop3Port,
      user: TEST_USERS.alerts.address,
      password: TEST_USERS.alerts.password,
      users: TEST_USERS,
      certPem: cert.cert,
      dir: root,
      startupMs: Math.round(performance.now() - started),
      startupSteps,
      readInbox,
      async waitForMessage(user, password, match, timeoutMs = 15_000) {
        const until = Date.now() + timeoutMs;
        for (;;) {
          const messages = await readInbox(user, password);
          const found = messages.find(match);
          if (found) return found;
          if (Date.now() > until) {
            throw new Error(
              `no matching message for ${user} within ${timeoutMs} ms (${messages.length} in INBOX)\n` +
                `--- postfix.log ---\n${await tail(p.postfixLog, 25)}`,
            );
          }
          await new Promise((r) => setTimeout(r, 150));
        }
      },
      popBeforeSmtp: {
        windowSec,
        reset: () => table.reset(),
        logins: () => table.logins(),
        lookups: table.lookups,
      },
      dovecot: dovecotControl,
      mailboxes,
      async logs() {
        const [postfixLog, dovecotLog] = await Promise.all([
          readFile(p.postfixLog, 'utf8').catch(() => ''),
          readFile(p.dovecotLog, 'utf8').catch(() => ''),
        ]);
        return { postfix: postfixLog, dovecot: dovecotLog };
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        await stopDaemons(root);
        await table.close();
        if (process.env[KEEP_ENV] !== '1') await rm(root, { recursive: true, force: true });
      },
    };
    return server;
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('Test mail server:')) throw error;
    return await fail(
      'start-up failed',
      error instanceof Error ? (error.stack ?? error.message) : String(error),
    );
  }
}
