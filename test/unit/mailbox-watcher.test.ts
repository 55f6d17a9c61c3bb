import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../electron/core/adapters.ts';
import { commitWrites, openHistory, type Db } from '../../electron/core/history/db.ts';
import { afterFailure, BACKOFF, loginRetryDelay, retryDelay } from '../../electron/core/inbound/backoff.ts';
import { InboundHub } from '../../electron/core/inbound/hub.ts';
import { watchForWake } from '../../electron/core/inbound/resume.ts';
import { SyncState } from '../../electron/core/inbound/sync-state.ts';
import { MailboxWatcher, uidSet } from '../../electron/core/inbound/watcher.ts';
import { MailboxWatchers } from '../../electron/core/inbound/watchers.ts';
import { imapAccessTokens } from '../../electron/core/inbound/imap-oauth.ts';
import type { StoredMailbox } from '../../electron/core/inventory/inventory.ts';
import type { MailboxStatus } from '../../shared/mailboxes.ts';
import { fakeClock, manualClock } from '../helpers/clock.ts';
import { startTestCore, unwrap, type TestCore } from '../helpers/core.ts';
import { signInEnded, startFakeAuthServer, type FakeAuthServer, useFakeApps } from '../helpers/fake-oauth.ts';
import { FakeImapServer, type FakeImapClient } from '../helpers/fake-imap.ts';
import type { ImapFlow } from 'imapflow';

const MINUTE = 60_000;

describe('backoff and jitter', () => {
  it('doubles from one second to five minutes, each wait between half and all of its ceiling', () => {
    const ceilings = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20].map((n) => retryDelay(n, () => 1));
    expect(ceilings).toEqual([
      1000, 2000, 4000, 8000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000, 300_000,
    ]);
    expect([1, 2, 5, 9].map((n) => retryDelay(n, () => 0))).toEqual([500, 1000, 8000, 128_000]);
    for (let n = 1; n < 15; n++) {
      const d = retryDelay(n, Math.random);
      const ceiling = Math.min(300_000, 1000 * 2 ** (n - 1));
      expect(d).toBeGreaterThanOrEqual(ceiling / 2);
      expect(d).toBeLessThanOrEqual(ceiling);
    }
  });

  it('spreads 30 watchers dropped at once over the window instead of one instant', () => {
    const delays = Array.from({ length: 30 }, () => retryDelay(3, Math.random));
    expect(new Set(delays).size).toBeGreaterThan(20);
    expect(Math.max(...delays) - Math.min(...delays)).toBeGreaterThan(500);
  });

  it('waits half an hour after a rejected login, doubling to six hours (±10 %)', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => loginRetryDelay(n, () => 0.5))).toEqual([
      30 * MINUTE,
      60 * MINUTE,
      120 * MINUTE,
      240 * MINUTE,
      360 * MINUTE,
      360 * MINUTE,
    ]);
    expect(loginRetryDelay(1, () => 0)).toBe(27 * MINUTE);
    expect(loginRetryDelay(1, () => 1)).toBe(33 * MINUTE);
  });

  it('counts failures and rejections apart; a provider refusing connections gets a minute at least', () => {
    const counts = { failures: 0, rejections: 0 };
    expect(afterFailure('connection-refused', counts, () => 1)).toEqual({
      state: 'reconnecting',
      delayMs: 1000,
    });
    expect(afterFailure('connection-dropped', counts, () => 1)).toEqual({
      state: 'reconnecting',
      delayMs: 2000,
    });
    expect(afterFailure('auth-failed', counts, () => 0.5)).toEqual({
      state: 'login-rejected',
      delayMs: 30 * MINUTE,
    });
    expect(afterFailure('app-password-required', counts, () => 0.5).delayMs).toBe(60 * MINUTE);
    expect(counts).toEqual({ failures: 2, rejections: 2 });
    expect(afterFailure('too-many-connections', counts, () => 0)).toEqual({
      state: 'reconnecting',
      delayMs: BACKOFF.busyMinMs,
    });
    expect(counts.rejections).toBe(0);
  });
});

describe('UID sets', () => {
  it('compresses runs of UIDs into ranges', () => {
    expect(uidSet([1, 2, 3, 7, 9, 10])).toBe('1:3,7,9:10');
    expect(uidSet([42])).toBe('42');
    expect(uidSet([])).toBe('');
  });
});

describe('the watcher supervisor (fake server, manual clock)', () => {
  let db: Db;
  let hub: InboundHub;
  let sync: SyncState;
  let server: FakeImapServer;
  let clock: ReturnType<typeof manualClock>;
  let statuses: MailboxStatus[];
  let opens: number;
  let failNext: unknown[];
  let watcher: MailboxWatcher | null;

  const mailbox: StoredMailbox = {
    id: 'mbx',
    title: 'Control room',
    host: 'imap.example.test',
    port: 993,
    security: 'tls',
    auth: 'password',
    username: 'alerts@example.test',
    passwordSealed: 'sealed',
    presetId: null,
    extraFolders: [],
    watchJunk: true,
    siteIds: [],
    cameraIds: [],
    addresses: [],
    enabled: true,
    pollSeconds: 60,
    backfillDays: 7,
    createdAt: '',
    updatedAt: '',
  };

  const start = (over: Partial<StoredMailbox> = {}, open?: () => Promise<ImapFlow>) => {
    watcher = new MailboxWatcher({
      mailbox: { ...mailbox, ...over },
      credentials: async () => ({ pass: 'secret' }),
      open:
        open ??
        (async () => {
          opens++;
          const failure = failNext.shift();
          if (failure) throw failure;
          return server.connect();
        }),
      hub,
      syncState: sync,
      clock,
      logger: silentLogger,
      onStatus: (s) => statuses.push(s),
      random: () => 0.5,
    });
    watcher.start();
    return watcher;
  };
  /** Lets the watcher run until it waits on the clock (or `check` holds). */
  const settle = async (check: () => boolean = () => false) => {
    for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setImmediate(r));
  };
  const state = () => watcher!.status().state;
  const subjects = () =>
    hub
      .query({ sourceId: 'mbx' })
      .map((m) => m.subject)
      .sort();

  beforeEach(() => {
    db = openHistory(':memory:');
    hub = new InboundHub(db, () => Date.now(), silentLogger);
    sync = new SyncState(db);
    server = new FakeImapServer();
    clock = manualClock();
    statuses = [];
    opens = 0;
    failNext = [];
    watcher = null;
  });
  afterEach(async () => {
    await watcher?.stop();
    commitWrites(db);
    db.close();
  });

  it('catches up, then reads mail pushed in IDLE at once and Junk on the poll', async () => {
    server.deliver('INBOX', 'old heartbeat');
    server.deliver('Junk', 'old spam');
    start();
    await settle(() => state() === 'connected');
    expect(state()).toBe('connected');
    expect(subjects()).toEqual(['old heartbeat', 'old spam']);
    expect(hub.health('mbx')).toMatchObject({ state: 'connected', watching: true });

    server.deliver('INBOX', 'pushed');
    await settle(() => subjects().includes('pushed'));
    expect(subjects()).toContain('pushed');
    server.deliver('Junk', 'new spam');
    await settle();
    expect(subjects()).not.toContain('new spam');
    await clock.advance(60_000);
    await settle(() => subjects().includes('new spam'));
    expect(subjects()).toContain('new spam');
    // Junk was looked at with STATUS, and opened only because it had something new.
    expect(server.commands.filter((c) => c === 'STATUS Junk')).toHaveLength(1);
  });

  it('on a server without IDLE, the Inbox is read on the timer instead', async () => {
    server.idle = false;
    start({ watchJunk: false, pollSeconds: 30 });
    await settle(() => state() === 'connected');
    expect(watcher!.status().idle).toBe(false);
    server.deliver('INBOX', 'no push');
    await settle();
    expect(subjects()).not.toContain('no push');
    await clock.advance(30_000);
    await settle(() => subjects().includes('no push'));
    expect(subjects()).toContain('no push');
    expect(server.commands).not.toContain('IDLE');
  });

  it('a refused connection: reconnecting after ½–1 s, then 1–2 s…, connected once the server is back', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    failNext = [refused, refused];
    start();
    await settle(() => clock.pending().length > 0);
    expect(state()).toBe('reconnecting');
    expect(watcher!.status().failure).toMatchObject({ class: 'connection-refused', retryable: true });
    expect(clock.pending()).toEqual([750]);
    await clock.advance(750);
    await settle(() => opens === 2 && clock.pending().length > 0);
    expect(clock.pending()).toEqual([1500]);
    await clock.advance(1500);
    await settle(() => state() === 'connected');
    expect(opens).toBe(3);
    expect(watcher!.status().failure).toBeNull();
    expect(statuses.map((s) => s.state)).toEqual(
      expect.arrayContaining(['catching-up', 'reconnecting', 'connected']),
    );
  });

  it('a rejected login is not tried again for half an hour, unless the login is fixed', async () => {
    failNext = [
      Object.assign(new Error('Command failed'), {
        authenticationFailed: true,
        responseText: 'Invalid credentials',
      }),
    ];
    start();
    await settle(() => state() === 'login-rejected');
    expect(watcher!.status().failure).toMatchObject({ class: 'auth-failed', retryable: false });
    expect(hub.health('mbx')).toMatchObject({ state: 'login-rejected', watching: false });
    await clock.advance(29 * MINUTE);
    await settle();
    expect(opens).toBe(1);
    // Waking from sleep does not retry a refused password either.
    watcher!.reconnect('woke up');
    await settle();
    expect(opens).toBe(1);
    watcher!.retryNow('test connection passed');
    await settle(() => state() === 'connected');
    expect(opens).toBe(2);
  });

  it('after the server drops the connection mid-IDLE, the catch-up fetches only the UIDs after the last one read', async () => {
    for (const s of ['a', 'b', 'c']) server.deliver('INBOX', s);
    start({ watchJunk: false });
    await settle(() => state() === 'connected');
    server.dropAll();
    await settle(() => state() === 'reconnecting');
    expect(watcher!.status().failure?.explanation).toContain('Server shutting down.');
    server.deliver('INBOX', 'd');
    server.deliver('INBOX', 'e');
    const mark = server.commands.length;
    await clock.advance(750);
    await settle(() => state() === 'connected');
    expect(
      server.commands.slice(mark).filter((c) => c.startsWith('FETCH') || c.startsWith('SEARCH')),
    ).toEqual(['SEARCH UID 4:*', 'FETCH 4:5']);
    expect(subjects()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('a first start reads only the window; older messages are marked read, never fetched', async () => {
    const folder = server.folders.get('INBOX')!;
    for (let i = 0; i < 50; i++) {
      folder.messages.push({
        uid: i + 1,
        subject: `old ${i}`,
        messageId: null,
        internalDate: new Date(Date.now() - 30 * 86_400_000),
      });
    }
    folder.uidNext = 51;
    server.deliver('INBOX', 'recent');
    start({ watchJunk: false, backfillDays: 7 });
    await settle(() => state() === 'connected');
    expect(subjects()).toEqual(['recent']);
    expect(server.commands.filter((c) => c.startsWith('FETCH'))).toEqual(['FETCH 51']);
    expect(watcher!.status().folders[0]).toMatchObject({ lastUid: 51 });
  });

  it('waking from sleep drops the connection and catches up at once, without a backoff', async () => {
    start({ watchJunk: false });
    await settle(() => state() === 'connected');
    watcher!.reconnect('the computer woke from sleep');
    await settle(() => opens === 2 && state() === 'connected');
    expect(opens).toBe(2);
    expect(statuses.map((s) => s.state)).toContain('reconnecting');
  });

  it('stopping while a connection is still opening does not wait for it, and closes it when it opens', async () => {
    let opened: (client: ImapFlow) => void = () => undefined;
    start({}, () => new Promise<ImapFlow>((resolve) => (opened = resolve)));
    await settle();
    expect(state()).toBe('catching-up');
    await watcher!.stop();
    expect(state()).toBe('stopped');
    const late = server.connect();
    opened(late);
    await settle();
    expect((late as unknown as FakeImapClient).isClosed).toBe(true);
    watcher = null;
  });

  it('stopping during a backoff ends at once and reports stopped, not watching', async () => {
    failNext = [Object.assign(new Error('x'), { code: 'ECONNRESET' })];
    start();
    await settle(() => clock.pending().length > 0);
    await watcher!.stop();
    expect(state()).toBe('stopped');
    expect(hub.health('mbx')).toMatchObject({ state: 'stopped', watching: false });
    expect(clock.pending()).toEqual([]);
    watcher = null;
  });
});

describe('waking from sleep', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('is noticed from the power monitor, and from timers that stood still while the wall clock ran', () => {
    vi.useFakeTimers({ now: Date.parse('2026-12-01T08:00:00Z') });
    const wakes: string[] = [];
    let resume: () => void = () => undefined;
    const stop = watchForWake(
      {
        onResume: (listener) => {
          resume = listener;
          return () => undefined;
        },
      },
      (why) => wakes.push(why),
      { everyMs: 15_000, slackMs: 30_000 },
    );
    vi.advanceTimersByTime(60_000);
    expect(wakes).toEqual([]);
    resume();
    expect(wakes).toEqual(['the computer woke from sleep']);
    // Asleep for ten minutes: the wall clock jumps, the next timer fires late.
    vi.setSystemTime(Date.now() + 10 * 60_000);
    vi.advanceTimersByTime(15_000);
    expect(wakes[1]).toMatch(/timers stood still for 600 s/);
    stop();
    vi.setSystemTime(Date.now() + 10 * 60_000);
    vi.advanceTimersByTime(15_000);
    expect(wakes).toHaveLength(2);
  });
});

describe('OAuth2 logins (fake IMAP server, fake authorization server)', () => {
  const USER = 'alerts@contoso.com';
  let fake: FakeAuthServer;
  let t: TestCore;
  let server: FakeImapServer;
  let clock: ReturnType<typeof manualClock>;
  let watchers: MailboxWatchers;
  let opens: number;
  let mailboxId: string;

  /** IMAP's answer to a token it does not take, as imapflow reports Dovecot's and Exchange's. */
  const refused = () =>
    Object.assign(new Error('Command failed'), {
      authenticationFailed: true,
      serverResponseCode: 'AUTHENTICATIONFAILED',
      responseText: 'AUTHENTICATE failed.',
    });

  async function signIn() {
    fake.deviceScript = ['approve'];
    const start = unwrap(
      await t.api.oauth.startSignIn({ provider: 'microsoft', access: ['imap'], expectedAccount: USER }),
    );
    const event = await signInEnded(t.api, start.flowId);
    expect(event.state).toBe('signed-in');
    return event.account!;
  }

  const watcher = () => t.core.inventory.mailbox(mailboxId)!;
  const status = () => watchers.status(watcher());
  // Token renewals go over loopback HTTP to the fake authorization server: wait for the state
  // (under load that can take a while), checking every few milliseconds.
  const settle = (check: () => boolean) =>
    vi.waitFor(() => expect(check()).toBe(true), { timeout: 15_000, interval: 5 });

  beforeAll(async () => {
    fake = await startFakeAuthServer();
    fake.signInAs = { email: USER };
  });
  afterAll(async () => {
    await fake.close();
  });

  beforeEach(async () => {
    fake.networkDown = false;
    fake.counts = { device: 0, poll: 0, code: 0, refresh: 0, revoke: 0 };
    t = await startTestCore({ clock: fakeClock(), oauthEndpoints: fake.endpoints });
    await useFakeApps(t.api, fake);
    server = new FakeImapServer();
    server.deliver('INBOX', 'heartbeat 1');
    clock = manualClock();
    opens = 0;
    const { core } = t;
    watchers = new MailboxWatchers({
      inventory: core.inventory,
      hub: core.inbound,
      syncState: new SyncState(core.db),
      secrets: core.secrets,
      clock,
      logger: silentLogger,
      appVersion: 'test',
      run: true,
      emit: () => undefined,
      accessToken: imapAccessTokens(core.oauth, core.inventory),
      // The fake IMAP server takes only live tokens of the fake authorization server.
      open: async (account, credentials) => {
        opens++;
        const ok =
          'accessToken' in credentials && fake.accessTokenValid(account.username, credentials.accessToken);
        if (!ok) throw refused();
        return server.connect();
      },
    });
    await signIn();
    mailboxId = unwrap(
      await t.api.mailboxes.create({
        title: 'Contoso alerts',
        host: 'outlook.office365.com',
        port: 993,
        security: 'tls',
        auth: 'oauth2',
        username: USER,
        watchJunk: false,
      }),
    ).id;
  });
  afterEach(async () => {
    await watchers.close();
    await t.close();
  });

  it('a token refused at login is renewed at once (forced refresh) and the watcher connects without a pause', async () => {
    await t.core.oauth.accessToken(unwrap(await t.api.oauth.accounts())[0]!.id);
    fake.expireAccessTokens(); // revoked or cut short early: AlertDesk still thinks it fresh
    await watchers.start();
    await settle(() => status().state === 'connected');
    expect(opens).toBe(2);
    expect(fake.counts.refresh).toBe(1);
    expect(clock.pending()).toEqual([60_000]); // only the poll timer: no backoff was waited
    expect(t.core.inbound.query({ sourceId: mailboxId }).map((m) => m.subject)).toEqual(['heartbeat 1']);
  });

  it('a session the server ends for an expired token reconnects at once with a renewed one', async () => {
    await watchers.start();
    await settle(() => status().state === 'connected');
    expect(fake.counts.refresh).toBe(0);
    fake.expireAccessTokens();
    server.dropAll('Session invalidated - AccessTokenExpired');
    server.deliver('INBOX', 'heartbeat 2');
    await settle(() => opens === 2 && status().state === 'connected');
    // The server said why it ended the session: the reconnect went straight to a renewed token.
    expect(fake.counts.refresh).toBe(1);
    expect(clock.pending()).toEqual([60_000]);
    expect(status().failure).toBeNull();
    expect(t.core.inbound.query({ sourceId: mailboxId }).map((m) => m.subject)).toContain('heartbeat 2');
  });

  it('a token refused again after renewal is a rejected login of its own class, retried only after a long pause', async () => {
    await watchers.start();
    await settle(() => status().state === 'connected');
    // The server stops taking this account's tokens (IMAP turned off for the mailbox, say).
    server.dropAll('Connection reset');
    await settle(() => status().state === 'reconnecting' && clock.pending().length === 1);
    const before = opens;
    const open = fake.accessTokenValid;
    fake.accessTokenValid = () => false;
    try {
      await clock.advance(1000);
      await settle(() => status().state === 'login-rejected');
    } finally {
      fake.accessTokenValid = open;
    }
    expect(opens - before).toBe(2); // the held token, then one renewed token: no more
    expect(fake.counts.refresh).toBe(1);
    expect(status().failure).toMatchObject({ class: 'oauth-token-rejected', retryable: false });
    expect(status().failure!.explanation).toContain('also after AlertDesk renewed it');
    // Half an hour (±10 %), as for a wrong password: renewing again and again would change nothing.
    const [wait] = clock.pending();
    expect(clock.pending()).toHaveLength(1);
    expect(wait).toBeGreaterThanOrEqual(loginRetryDelay(1, () => 0));
    expect(wait).toBeLessThanOrEqual(loginRetryDelay(1, () => 1));
  });

  it('a revoked consent: login rejected with "sign in again", no retries at all until someone signs in, then connected', async () => {
    await watchers.start();
    await settle(() => status().state === 'connected');
    fake.revoke(USER);
    server.dropAll('Server shutting down.');
    await settle(() => status().state === 'reconnecting' && clock.pending().length === 1);
    await clock.advance(1000);
    await settle(() => status().state === 'login-rejected');
    const failure = status().failure!;
    expect(failure).toMatchObject({ class: 'oauth-consent-revoked', title: 'Sign-in revoked' });
    expect(failure.fix).toMatch(/^Sign in again/);
    expect(status().nextAttemptAt).toBeNull();
    expect(clock.pending()).toEqual([]);
    expect(fake.counts.refresh).toBe(1);
    expect(unwrap(await t.api.mailboxes.get({ id: mailboxId })).signIn).toMatchObject({
      state: 'consent-revoked',
      account: USER,
    });
    // A day later nothing has been asked of the server or the provider.
    const opened = opens;
    await clock.advance(24 * 3600_000);
    watchers.accountChanged({ account: 'someone.else@contoso.com', aliases: [] }, 'signed-in');
    await settle(() => true);
    expect(opens).toBe(opened);
    expect(fake.counts.refresh).toBe(1);

    const account = await signIn();
    watchers.accountChanged(account, 'signed-in'); // what the core does when a sign-in completes
    await settle(() => status().state === 'connected');
    expect(status().failure).toBeNull();
    expect(unwrap(await t.api.mailboxes.get({ id: mailboxId })).signIn?.state).toBe('signed-in');
  });

  it('signing out ends the session at once: nothing is read with a forgotten sign-in', async () => {
    await watchers.start();
    await settle(() => status().state === 'connected');
    const account = unwrap(await t.api.oauth.accounts())[0]!;
    expect(account.mailboxIds).toEqual([mailboxId]);
    unwrap(await t.api.oauth.signOut({ id: account.id }));
    watchers.accountChanged(account, 'signed-out');
    await settle(() => status().state === 'login-rejected');
    expect(status().failure).toMatchObject({ class: 'oauth-sign-in-needed' });
    expect(status().failure!.explanation).toContain(`Nobody has signed in with ${USER}`);
    expect(clock.pending()).toEqual([]);
  });
});
