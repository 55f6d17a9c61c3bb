import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { InboundMessage } from '../../shared/inbound.ts';
import type { MailboxInput } from '../../shared/mailboxes.ts';
import { failure, startTestCore, unwrap, type TestCore } from '../helpers/core.ts';
import { signInEnded, startFakeAuthServer, type FakeAuthServer, useFakeApps } from '../helpers/fake-oauth.ts';
import { deliver, mailboxOn, recordStatuses, statesOf, until } from '../helpers/watchers.ts';
import { startMailServer, type MailServer } from '../mailserver/mailserver.ts';
import { describeMailServer } from '../mailserver/describe.ts';

/**
 * A watched mailbox that logs in to real Dovecot with an OAuth2 access token: Dovecot's oauth2
 * pass database asks the fake authorization server (token introspection, RFC 7662) whether the
 * token is live and whose it is. Signed in through the fake server's device flow, the watcher
 * connects, catches up and publishes; a revoked consent turns it "login rejected" with "sign in
 * again" and no retries; signing in again connects it at once.
 */

const unique = (label: string) => `${label} ${crypto.randomUUID().slice(0, 8)}`;
const subjectsOf = (messages: InboundMessage[]) => messages.map((m) => m.subject);

describeMailServer('OAuth2 mailboxes against real Dovecot', () => {
  let server: MailServer;
  let fake: FakeAuthServer;
  let t: TestCore;
  let user: { address: string; password: string };

  beforeAll(async () => {
    fake = await startFakeAuthServer();
    fake.deviceInterval = 1;
    server = await startMailServer({ oauth2: { introspectionUrl: fake.introspectionUrl } });
    user = server.users.oauth;
    fake.signInAs = { email: user.address };
    t = await startTestCore({ watchMailboxes: true, oauthEndpoints: fake.endpoints });
    await useFakeApps(t.api, fake);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await server?.stop();
    await fake?.close();
  });

  async function signIn() {
    fake.deviceScript = ['approve'];
    const start = unwrap(
      await t.api.oauth.startSignIn({
        provider: 'microsoft',
        access: ['imap'],
        expectedAccount: user.address,
        purpose: 'mailbox',
      }),
    );
    const event = await signInEnded(t.api, start.flowId);
    expect(event.error).toBeNull();
    return event.account!;
  }

  const settings = (over: Partial<MailboxInput> = {}): MailboxInput => {
    const { password: _none, ...rest } = mailboxOn(server, user, over);
    return { ...rest, auth: 'oauth2', title: 'Control room (OAuth2)', watchJunk: true };
  };
  const status = (id: string) => t.core.watchers.status(t.core.inventory.mailbox(id)!);
  const received = (id: string) => subjectsOf(t.core.inbound.query({ sourceId: id, limit: 500 }));
  /** Dovecot's log lines for logins of the OAuth2 user (successful and failed). */
  const logins = async () => {
    const lines = (await server.logs()).dovecot.split('\n');
    return {
      ok: lines.filter((l) => l.includes(`Login: user=<${user.address}>`)),
      failed: lines.filter((l) => l.includes('imap-login') && /auth failed/i.test(l)),
    };
  };

  let mailboxId = '';

  it('signs in through the device flow, tests the connection with the token, connects, catches up and publishes', async () => {
    const early = unique('NVR heartbeat before the sign-in');
    await deliver(server, user.address, early);
    await server.waitForMessage(user.address, user.password, (m) => m.parsed.subject === early);

    // Not signed in yet: saving says so at the sign-in, and stores nothing.
    const refused = failure(await t.api.mailboxes.create(settings()));
    expect(refused.field).toBe('oauthAccountId');
    expect(refused.message).toContain(`Sign in with ${user.address} first`);
    expect(t.core.inventory.mailboxes).toHaveLength(0);

    const account = await signIn();
    expect(account.access).toEqual(['imap']);
    const tested = unwrap(
      await t.api.mailboxes.test({
        draft: {
          host: '127.0.0.1',
          port: server.imapPort,
          security: 'starttls',
          auth: 'oauth2',
          username: user.address,
          trustedCertificatePem: server.certPem,
        },
      }),
    );
    expect(tested.failure).toBeNull();
    expect(tested).toMatchObject({ ok: true, inbox: 'INBOX', junk: 'Junk' });

    const events = recordStatuses(t.core);
    const mailbox = unwrap(await t.api.mailboxes.create({ ...settings(), oauthAccountId: account.id }));
    mailboxId = mailbox.id;
    expect(mailbox).toMatchObject({
      hasPassword: false,
      signIn: { state: 'signed-in', account: user.address },
    });
    await until(
      t,
      () => status(mailbox.id).state === 'connected' && received(mailbox.id).includes(early),
      'the first catch-up over an OAuth2 login',
    );
    const live = unique('NVR heartbeat while watching');
    await deliver(server, user.address, live);
    await until(t, () => received(mailbox.id).includes(live), 'the heartbeat pushed in IDLE');
    expect(statesOf(events, mailbox.id)).toEqual(['catching-up', 'connected']);

    // Dovecot took the token (imapflow prefers OAUTHBEARER where offered), checked at the fake server.
    const { ok } = await logins();
    expect(ok.some((l) => /method=(OAUTHBEARER|XOAUTH2)/.test(l))).toBe(true);
    expect(fake.introspections.active).toBeGreaterThanOrEqual(2); // Test connection and the watcher
    // Password logins of the other users still work, and the token opens no one else's mailbox.
    const { ops } = server.users;
    await expect(server.readInbox(ops.address, ops.password)).resolves.toBeInstanceOf(Array);
    const token = (await t.core.oauth.accessToken(account.id)).accessToken;
    const stranger = new ImapFlow({
      host: '127.0.0.1',
      port: server.imapPort,
      secure: false,
      tls: { ca: server.certPem, servername: 'localhost' },
      auth: { user: ops.address, accessToken: token },
      logger: false,
    });
    stranger.on('error', () => undefined);
    await expect(stranger.connect()).rejects.toMatchObject({ authenticationFailed: true });
    stranger.close();
  });

  it('a revoked consent: login rejected with "sign in again", one renewal, no hammering; signing in again connects at once', async () => {
    expect(mailboxId).not.toBe('');
    const refreshes = fake.counts.refresh;
    const refusedBefore = (await logins()).failed.length;
    fake.revoke(user.address);
    // The open session stays until the server ends it; then the held token is refused.
    await server.mailboxes.kick(user.address);
    await until(t, () => status(mailboxId).state === 'login-rejected', 'the refused login');
    const s = status(mailboxId);
    expect(s.failure).toMatchObject({ class: 'oauth-consent-revoked', title: 'Sign-in revoked' });
    expect(s.failure!.explanation).toContain('no longer accepts');
    expect(s.failure!.fix).toMatch(/^Sign in again with the mailbox/);
    expect(s.nextAttemptAt).toBeNull();
    expect(fake.counts.refresh).toBe(refreshes + 1);
    expect(unwrap(await t.api.mailboxes.get({ id: mailboxId })).signIn?.state).toBe('consent-revoked');

    // Mail keeps arriving at the server; the watcher asks neither Dovecot nor the provider again.
    // One refused login (the held token; the renewal never got a token). Dovecot writes the line
    // when the client hangs up, a moment after the refusal.
    await vi.waitFor(async () => expect((await logins()).failed.length).toBe(refusedBefore + 1), {
      timeout: 10_000,
    });
    const failedLogins = refusedBefore + 1;
    const introspections = fake.introspections.total;
    const meanwhile = unique('heartbeat while revoked');
    await deliver(server, user.address, meanwhile);
    await server.waitForMessage(user.address, user.password, (m) => m.parsed.subject === meanwhile);
    expect(received(mailboxId)).not.toContain(meanwhile);
    expect((await logins()).failed.length).toBe(failedLogins);
    expect(fake.introspections.total).toBe(introspections);
    expect(fake.counts.refresh).toBe(refreshes + 1);
    expect(status(mailboxId).state).toBe('login-rejected');

    await signIn();
    await until(
      t,
      () => status(mailboxId).state === 'connected' && received(mailboxId).includes(meanwhile),
      'the watcher connected again after the new sign-in',
    );
    expect(status(mailboxId).failure).toBeNull();
    expect(unwrap(await t.api.mailboxes.get({ id: mailboxId })).signIn?.state).toBe('signed-in');
  });
});
