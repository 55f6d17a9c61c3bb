import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DocumentStore } from '../../electron/core/adapters.ts';
import type { OAuthAccount } from '../../shared/oauth.ts';
import { fakeClock } from '../helpers/clock.ts';
import { failure, startTestCore, unwrap, type TestCore } from '../helpers/core.ts';
import {
  fakeBrowser,
  signInEnded,
  startFakeAuthServer,
  type FakeAuthServer,
  useFakeApps,
} from '../helpers/fake-oauth.ts';

/**
 * Every OAuth store change — a sign-in, a sign-out, the sign-in apps, an account turning "consent
 * revoked" — is written with its audit events in one atomic write of the store (the outbox), so
 * the events reach the audit log even when writing the log fails (or the app dies) right after,
 * and a store write that fails leaves neither the change nor its events.
 */

let fake: FakeAuthServer;
let dir: string;
let t: TestCore;

beforeAll(async () => {
  fake = await startFakeAuthServer();
});
afterAll(async () => {
  await fake.close();
});

const open = () =>
  startTestCore({ dataDir: dir, clock: fakeClock(), browser: fakeBrowser(), oauthEndpoints: fake.endpoints });

beforeEach(async () => {
  fake.signInAs = { email: 'alerts@contoso.com' };
  fake.networkDown = false;
  dir = await mkdtemp(join(tmpdir(), 'alertdesk-oauth-audit-'));
  t = await open();
  await useFakeApps(t.api, fake);
});
afterEach(async () => {
  await t.close();
  await rm(dir, { recursive: true, force: true });
});

async function signIn(): Promise<{ state: string; account: OAuthAccount | null; message: string }> {
  fake.deviceScript = ['approve'];
  const start = unwrap(await t.api.oauth.startSignIn({ provider: 'microsoft', access: ['smtp', 'imap'] }));
  const event = await signInEnded(t.api, start.flowId);
  return { state: event.state, account: event.account, message: event.error?.message ?? '' };
}

const events = async (core: TestCore, action: string) =>
  unwrap(await core.api.audit.query({ filter: { action } })).rows;

/** The audit log refuses writes (a locked or failing history file), as a crash right after the store write would leave it. */
function breakAuditLog(): () => void {
  const audit = t.core.audit as unknown as { append: unknown };
  audit.append = () => {
    throw new Error('database is locked');
  };
  return () => delete audit.append;
}

/** The store refuses writes (a full disk); returns the store file as it was. */
async function breakStore(): Promise<string> {
  const store = (t.core.inventory as unknown as { store: DocumentStore }).store;
  store.setMany = () => {
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  };
  return readFile(join(dir, 'alertdesk.json'), 'utf8');
}

/** Closes the core and opens the folder again, as the next start of the app would. */
async function reopen(): Promise<void> {
  await t.close();
  t = await open();
}

describe('OAuth changes and their audit events land together', () => {
  it('a sign-in: the account and its event travel in one store write and reach the log at the next opening', async () => {
    const mend = breakAuditLog();
    const { state, account } = await signIn();
    expect(state).toBe('signed-in');
    // The event is in the same file as the account, waiting for the log.
    const stored = JSON.parse(await readFile(join(dir, 'alertdesk.json'), 'utf8')) as {
      oauthAccounts: Array<{ id: string }>;
      auditOutbox: Array<{ action: string; recordId: string }>;
    };
    expect(stored.oauthAccounts.map((a) => a.id)).toEqual([account!.id]);
    expect(stored.auditOutbox).toEqual([
      expect.objectContaining({ action: 'sign-in', recordId: account!.id }),
    ]);
    mend();
    await reopen();
    const signIns = await events(t, 'sign-in');
    expect(signIns).toHaveLength(1);
    expect(signIns[0]).toMatchObject({ recordId: account!.id, result: 'ok' });
    expect(signIns[0]!.detail).toContain('access: imap, smtp');
    expect((await t.core.audit.verify()).state).toBe('intact');
  });

  it('a sign-out: the account gone, its connectors detached and every event written, all or nothing', async () => {
    const { account } = await signIn();
    const site = unwrap(await t.api.sites.create({ name: 'Harbour Terminal' }));
    const connector = unwrap(
      await t.api.connectors.create({
        siteId: site.id,
        title: 'M365 alerts',
        host: 'smtp.office365.com',
        port: 587,
        security: 'starttls',
        auth: 'xoauth2',
        username: 'alerts@contoso.com',
        oauthAccountId: account!.id,
        sender: 'alerts@contoso.com',
      }),
    );
    const mend = breakAuditLog();
    unwrap(await t.api.oauth.signOut({ id: account!.id }));
    mend();
    await reopen();
    expect(unwrap(await t.api.oauth.accounts())).toHaveLength(0);
    expect(unwrap(await t.api.connectors.get({ id: connector.id })).oauthAccountId).toBeNull();
    expect(await events(t, 'sign-out')).toEqual([
      expect.objectContaining({
        recordId: account!.id,
        detail: expect.stringContaining('1 connector and 0 mailboxes now not signed in'),
      }),
    ]);
    expect((await events(t, 'update')).filter((e) => e.recordId === connector.id)).toEqual([
      expect.objectContaining({ detail: expect.stringContaining('signed out of alerts@contoso.com') }),
    ]);
  });

  it('the sign-in apps and a consent turning revoked are written with their events too', async () => {
    const { account } = await signIn();
    const mend = breakAuditLog();
    unwrap(
      await t.api.oauth.updateApps({
        microsoft: { clientId: fake.clientId, tenant: 'contoso.onmicrosoft.com' },
        google: { clientId: fake.clientId, clientSecret: fake.clientSecret },
      }),
    );
    fake.revoke('alerts@contoso.com');
    unwrap(await t.api.oauth.check({ id: account!.id }));
    mend();
    await reopen();
    expect(unwrap(await t.api.oauth.apps()).microsoft.tenant).toBe('contoso.onmicrosoft.com');
    expect((await events(t, 'update')).filter((e) => e.recordLabel === 'Sign-in apps')).toContainEqual(
      expect.objectContaining({ detail: 'changed: Microsoft tenant (contoso.onmicrosoft.com)' }),
    );
    expect(unwrap(await t.api.oauth.accounts())[0]!.status).toBe('consent-revoked');
    expect(await events(t, 'refresh')).toEqual([
      expect.objectContaining({
        recordId: account!.id,
        result: 'failed',
        detail: expect.stringContaining('Sign in again'),
      }),
    ]);
  });
});

describe('an OAuth change the store refuses writes neither the change nor its event', () => {
  it('a sign-in that cannot be stored fails in plain words, keeps no account and logs no successful sign-in', async () => {
    const before = await breakStore();
    const { state, message } = await signIn();
    expect(state).toBe('failed');
    expect(message).toContain('no space left on device');
    expect(t.core.inventory.oauthAccounts).toHaveLength(0);
    expect(await readFile(join(dir, 'alertdesk.json'), 'utf8')).toBe(before);
    // What is logged is the failure, never a sign-in that did not happen.
    expect(await events(t, 'sign-in')).toEqual([expect.objectContaining({ result: 'failed' })]);
    await reopen();
    expect(unwrap(await t.api.oauth.accounts())).toHaveLength(0);
    expect((await events(t, 'sign-in')).filter((e) => e.result === 'ok')).toHaveLength(0);
  });

  it('a sign-out or an apps change that cannot be stored changes nothing and logs nothing', async () => {
    const { account } = await signIn();
    const signOuts = (await events(t, 'sign-out')).length;
    const updates = (await events(t, 'update')).length;
    const before = await breakStore();
    // Refused as every failed store write is (an internal error, the cause in the log file).
    expect(failure(await t.api.oauth.signOut({ id: account!.id })).code).toBe('internal');
    expect(
      failure(
        await t.api.oauth.updateApps({
          microsoft: { clientId: 'another-client', tenant: 'common' },
          google: { clientId: fake.clientId, clientSecret: fake.clientSecret },
        }),
      ).code,
    ).toBe('internal');
    expect(await readFile(join(dir, 'alertdesk.json'), 'utf8')).toBe(before);
    expect(await events(t, 'sign-out')).toHaveLength(signOuts);
    expect(await events(t, 'update')).toHaveLength(updates);
    await reopen();
    expect(unwrap(await t.api.oauth.accounts()).map((a) => a.id)).toEqual([account!.id]);
    expect(unwrap(await t.api.oauth.apps()).microsoft.clientId).toBe(fake.clientId);
    expect(await events(t, 'sign-out')).toHaveLength(signOuts);
  });
});
