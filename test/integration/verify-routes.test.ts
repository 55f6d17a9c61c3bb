import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthMethod, SecurityMode } from '../../shared/domain.ts';
import { makeCertificate, type TestCertificate } from '../helpers/certs.ts';
import { startTestCore, unwrap, type TestCore } from '../helpers/core.ts';
import { startSmtpServer } from '../helpers/smtp.ts';
import { verifyAndWait } from '../helpers/verify.ts';

/**
 * Verifying an app password (issue 16): where it is checked, that it never goes out in clear text
 * unless the connector allows it, that the server's own mechanism is used, and that AlertDesk says
 * so when it could not check.
 */

const ACCOUNT = 'cam-verify@example.test';
const SECRET = 'abcdefghijklmnop';
let cert: TestCertificate;
let t: TestCore;
let siteId: string;

beforeAll(async () => {
  cert = makeCertificate();
  t = await startTestCore();
  siteId = unwrap(await t.api.sites.create({ name: 'Verify yard' })).id;
});
afterAll(() => t.close());

let serial = 0;
/** A record of `provider` used by a camera on a connector with these settings. */
async function recordOn(
  port: number,
  settings: { security: SecurityMode; auth: AuthMethod; allowPlainLogin?: boolean; pinned?: boolean },
  provider: 'gmail' | 'other' = 'other',
) {
  serial++;
  const connector = unwrap(
    await t.api.connectors.create({
      siteId,
      title: `Relay ${serial}`,
      host: '127.0.0.1',
      port,
      portIsManual: true,
      security: settings.security,
      auth: settings.auth,
      username: settings.auth === 'none' ? '' : 'relay-login@example.test',
      ...(settings.auth === 'none' ? {} : { password: 'relay-password' }),
      sender: ACCOUNT,
      allowPlainLogin: settings.allowPlainLogin ?? false,
      trustedCertificatePem: settings.pinned ? cert.cert : null,
      connectionTimeoutSec: 5,
    }),
  );
  const record = unwrap(
    await t.api.vault.create({ account: ACCOUNT, provider, label: `Camera ${serial}`, secret: SECRET }),
  );
  unwrap(
    await t.api.cameras.create({
      siteId,
      name: `Camera ${serial}`,
      connectorId: connector.id,
      smtpLogin: ACCOUNT,
      appPasswordId: record.id,
    }),
  );
  return record;
}

const verify = (recordId: string) => verifyAndWait(t, { scope: 'record', id: recordId });

describe('verifying an app password', () => {
  it('does not send it in clear text to a relay without STARTTLS, and says it could not check', async () => {
    const relay = await startSmtpServer({ mode: 'none', users: { [ACCOUNT]: SECRET } });
    try {
      const record = await recordOn(relay.port, { security: 'none', auth: 'login' });
      const report = await verify(record.id);
      expect(report.outcomes[0]).toMatchObject({
        ok: false,
        failureClass: null,
        statusBefore: 'active',
        statusAfter: 'active',
      });
      expect(report.outcomes[0]!.message).toMatch(/^Could not check it on 127\.0\.0\.1:\d+: .*clear text/);
      expect(relay.logins).toEqual([]);
      // nothing was learned about the app password: its record is as it was
      const after = unwrap(await t.api.vault.list()).find((r) => r.id === record.id)!;
      expect(after.lastVerified).toBeNull();
    } finally {
      await relay.close();
    }
  });

  it('checks it over TLS when the relay offers STARTTLS, though the connector says "none"', async () => {
    const relay = await startSmtpServer({ mode: 'starttls', cert, users: { [ACCOUNT]: SECRET } });
    try {
      const record = await recordOn(relay.port, { security: 'none', auth: 'login', pinned: true });
      const report = await verify(record.id);
      expect(report.outcomes[0]).toMatchObject({ ok: true });
      expect(relay.logins).toEqual([{ method: 'PLAIN', user: ACCOUNT, ok: true }]);
    } finally {
      await relay.close();
    }
  });

  it('logs in with a mechanism the server advertises, not one forced on it', async () => {
    const relay = await startSmtpServer({
      mode: 'starttls',
      cert,
      users: { [ACCOUNT]: SECRET },
      authMethods: ['CRAM-MD5'],
    });
    try {
      const record = await recordOn(relay.port, { security: 'starttls', auth: 'login', pinned: true });
      const report = await verify(record.id);
      expect(report.outcomes[0]).toMatchObject({ ok: true });
      expect(relay.logins).toEqual([{ method: 'CRAM-MD5', user: ACCOUNT, ok: true }]);
    } finally {
      await relay.close();
    }
  });

  it('logs in in clear text only where the connector allows it', async () => {
    const relay = await startSmtpServer({ mode: 'none', users: { [ACCOUNT]: SECRET } });
    try {
      const record = await recordOn(relay.port, { security: 'none', auth: 'plain', allowPlainLogin: true });
      const report = await verify(record.id);
      expect(report.outcomes[0]).toMatchObject({ ok: true });
      expect(relay.logins).toEqual([{ method: 'PLAIN', user: ACCOUNT, ok: true }]);
    } finally {
      await relay.close();
    }
  });

  it("checks a Gmail app password at Google's submission server when its camera's relay does not log in", async () => {
    const relay = await startSmtpServer({ mode: 'none' });
    try {
      const record = await recordOn(relay.port, { security: 'none', auth: 'none' }, 'gmail');
      const route = t.core.verifier.routeFor(t.core.vault.stored(record.id));
      expect(route).toMatchObject({
        host: 'smtp.gmail.com',
        port: 465,
        security: 'tls',
        allowPlainLogin: false,
      });
    } finally {
      await relay.close();
    }
  });

  it('says plainly that there is nothing to check against', async () => {
    const record = unwrap(
      await t.api.vault.create({
        account: 'lonely@example.test',
        provider: 'other',
        label: 'Unused',
        secret: SECRET,
      }),
    );
    const report = await verify(record.id);
    expect(report.outcomes[0]).toMatchObject({ ok: false, failureClass: null });
    expect(report.outcomes[0]!.message).toMatch(/No server to check against/);
  });
});
