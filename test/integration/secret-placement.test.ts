import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../electron/core/adapters.ts';
import { createCore } from '../../electron/core/core.ts';
import { PassphraseSecretBox } from '../../electron/core/secrets/passphrase-box.ts';
import { createConfStore } from '../../electron/core/store/conf-store.ts';
import { createDispatcher } from '../../electron/ipc/dispatch.ts';
import { buildBridge } from '../../shared/bridge.ts';
import { makeCertificate, type TestCertificate } from '../helpers/certs.ts';
import {
  failure,
  startTestCore,
  TEST_PASSPHRASE,
  unwrap,
  waitForDelivery,
  type TestCore,
} from '../helpers/core.ts';
import { relayConnector } from '../helpers/fixtures.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.ts';

/** Secrets only where they belong: a sealed value opens only in the record it was sealed for. */

let cert: TestCertificate;
const dirs: string[] = [];
let open: TestCore[] = [];
let servers: TestSmtpServer[] = [];

beforeAll(() => {
  cert = makeCertificate();
});
afterEach(async () => {
  for (const t of open) await t.core.close().catch(() => undefined);
  open = [];
  for (const s of servers) await s.close();
  servers = [];
});
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function core(dir?: string): Promise<TestCore> {
  const t = await startTestCore({ dataDir: dir ?? (await mkdtemp(join(tmpdir(), 'alertdesk-place-'))) });
  if (!dir) dirs.push(t.dir);
  open.push(t);
  return t;
}

/** An SMTP server that notes every password it is sent (a host the attacker controls, say). */
async function listeningServer(user: string, password: string) {
  const passwordsSeen: string[] = [];
  const server = await startSmtpServer({
    mode: 'tls',
    cert,
    users: { [user]: password },
    extra: {
      onAuth(auth, _session, callback) {
        passwordsSeen.push(auth.password ?? '');
        if (auth.username === user && auth.password === password) callback(null, { user });
        else
          callback(
            Object.assign(new Error('5.7.8 Authentication credentials invalid'), { responseCode: 535 }),
          );
      },
    },
  });
  servers.push(server);
  return { server, passwordsSeen };
}

/** Edits alertdesk.json as another program could while AlertDesk is closed. */
async function editStore(dir: string, edit: (doc: Record<string, unknown>) => void): Promise<void> {
  const file = join(dir, 'alertdesk.json');
  const doc = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  edit(doc);
  await writeFile(file, JSON.stringify(doc));
}

describe('a sealed secret moved to another record', () => {
  it('is never sent anywhere: not to the other connector’s server, not to its own', async () => {
    const trusted = await listeningServer('alerts@customer.test', 'alpha-secret-A');
    const other = await listeningServer('b@elsewhere.test', 'bravo-secret-B');
    let t = await core();
    const siteId = unwrap(await t.api.sites.create({ name: 'Harbour' })).id;
    const make = async (title: string, port: number, username: string, password: string) =>
      unwrap(
        await t.api.connectors.create({
          siteId,
          title,
          host: '127.0.0.1',
          port,
          portIsManual: true,
          security: 'tls',
          auth: 'plain',
          username,
          password,
          sender: username,
          connectionTimeoutSec: 5,
          trustedCertificatePem: cert.cert,
          retryDelaysSec: [],
        }),
      );
    const a = await make('Customer relay', trusted.server.port, 'alerts@customer.test', 'alpha-secret-A');
    const b = await make('Other relay', other.server.port, 'b@elsewhere.test', 'bravo-secret-B');
    const dir = t.dir;
    await t.core.close();
    open = [];

    // Swap the two sealed passwords: A's would now be sent to B's server.
    await editStore(dir, (doc) => {
      const connectors = doc.connectors as Array<{ id: string; passwordSealed: string }>;
      const [ca, cb] = [connectors.find((c) => c.id === a.id)!, connectors.find((c) => c.id === b.id)!];
      [ca.passwordSealed, cb.passwordSealed] = [cb.passwordSealed, ca.passwordSealed];
    });
    t = await core(dir);

    for (const connector of [b, a]) {
      const { deliveryId } = unwrap(
        await t.api.mail.sendTest({ connectorId: connector.id, to: ['ops@example.test'], subject: 'Test' }),
      );
      const d = await waitForDelivery(t.api, deliveryId);
      expect(d.status).toBe('failed');
    }
    expect(other.passwordsSeen).not.toContain('alpha-secret-A');
    expect(trusted.passwordsSeen).not.toContain('bravo-secret-B');
    expect(other.server.received).toHaveLength(0);
    const finding = unwrap(await t.api.vault.findings()).find((f) => f.kind === 'misplaced-secret');
    expect(finding).toMatchObject({ severity: 'critical' });
    expect(finding!.detail).toContain('Customer relay (password)');
    expect(finding!.detail).toContain('Other relay (password)');
  });

  it('is not used as a mailbox password when moved into a watched mailbox', async () => {
    let t = await core();
    const siteId = unwrap(await t.api.sites.create({ name: 'Harbour' })).id;
    const connector = unwrap(
      await t.api.connectors.create({
        ...relayConnector(siteId),
        security: 'tls',
        auth: 'plain',
        username: 'alerts@customer.test',
        password: 'alpha-secret-A',
      }),
    );
    const mailbox = unwrap(
      await t.api.mailboxes.create({
        title: 'Control room',
        host: '127.0.0.1',
        port: 993,
        security: 'tls',
        username: 'watch@customer.test',
        password: 'mailbox-secret-M',
        enabled: false,
      }),
    );
    const dir = t.dir;
    await t.core.close();
    open = [];

    // The connector's sealed password copied into the mailbox: an IMAP login would carry it.
    await editStore(dir, (doc) => {
      const c = (doc.connectors as Array<{ id: string; passwordSealed: string }>).find(
        (x) => x.id === connector.id,
      )!;
      const m = (doc.mailboxes as Array<{ id: string; passwordSealed: string }>).find(
        (x) => x.id === mailbox.id,
      )!;
      m.passwordSealed = c.passwordSealed;
    });
    t = await core(dir);

    const stored = t.core.inventory.mailbox(mailbox.id)!.passwordSealed!;
    await expect(t.core.secrets.open(stored, `mailbox/${mailbox.id}/password`)).rejects.toThrow();
    const finding = unwrap(await t.api.vault.findings()).find((f) => f.kind === 'misplaced-secret');
    expect(finding).toMatchObject({ severity: 'critical' });
    expect(finding!.detail).toContain('Control room (password)');
    expect(finding!.detail).toContain('the password of each mailbox');
  });

  it('does not reveal another record’s app password', async () => {
    let t = await core();
    const create = async (account: string, secret: string) =>
      unwrap(await t.api.vault.create({ account, provider: 'gmail', label: account, secret }));
    const one = await create('cam1@example.test', 'aaaabbbbccccdddd');
    const two = await create('cam2@example.test', 'eeeeffffgggghhhh');
    const dir = t.dir;
    await t.core.close();
    open = [];
    await editStore(dir, (doc) => {
      const records = doc.appPasswords as Array<{ id: string; secretSealed: string }>;
      const [r1, r2] = [records.find((r) => r.id === one.id)!, records.find((r) => r.id === two.id)!];
      r1.secretSealed = r2.secretSealed;
    });
    t = await core(dir);
    expect(failure(await t.api.vault.reveal({ id: one.id }))).toMatchObject({ code: 'secret-misplaced' });
    const finding = unwrap(await t.api.vault.findings()).find((f) => f.kind === 'misplaced-secret');
    expect(finding?.recordIds).toEqual([one.id]);
  });
});

describe('secrets sealed before the keyring existed', () => {
  it('are sealed again at opening, bound to their record, and still open', async () => {
    let t = await core();
    const siteId = unwrap(await t.api.sites.create({ name: 'Depot' })).id;
    const connector = unwrap(await t.api.connectors.create(relayConnector(siteId)));
    const dir = t.dir;
    await t.core.close();
    open = [];
    // As an earlier version stored it: sealed by the passphrase box directly, bound to nothing.
    const box = await PassphraseSecretBox.open(join(dir, 'passphrase-key.json'), TEST_PASSPHRASE);
    const legacy = await box.seal('legacy-relay-password');
    expect(legacy).toMatch(/^pp1:/);
    await editStore(dir, (doc) => {
      const c = (
        doc.connectors as Array<{ id: string; passwordSealed: string | null; auth: string; username: string }>
      )[0]!;
      c.passwordSealed = legacy;
    });
    t = await core(dir);
    const stored = t.core.inventory.connector(connector.id)!.passwordSealed!;
    expect(stored).toMatch(/^k1:/);
    expect(await t.core.secrets.open(stored, `connector/${connector.id}/password`)).toBe(
      'legacy-relay-password',
    );
    const event = t.core.db
      .prepare("SELECT detail FROM audit WHERE record_label = 'stored secrets'")
      .get() as {
      detail: string;
    };
    expect(event.detail).toMatch(/1 secret\(s\) sealed again, each bound to its record/);
  });
});

describe('JavaMail properties holding a secret', () => {
  it('are refused at their field when a connector is saved', async () => {
    const t = await core();
    const siteId = unwrap(await t.api.sites.create({ name: 'Quay' })).id;
    const error = failure(
      await t.api.connectors.create({
        ...relayConnector(siteId),
        extraProperties: [
          ['mail.smtp.localhost', 'nvr01'],
          ['mail.smtp.passwd', 'hunter2hunter2'],
        ],
      }),
    );
    expect(error).toMatchObject({ code: 'invalid-input', field: 'extraProperties.1.0' });
  });

  it('are removed from a store an earlier version wrote, and the removal is audited', async () => {
    let t = await core();
    const siteId = unwrap(await t.api.sites.create({ name: 'Quay' })).id;
    const c = unwrap(
      await t.api.connectors.create({
        ...relayConnector(siteId),
        extraProperties: [['mail.smtp.localhost', 'nvr01']],
      }),
    );
    const dir = t.dir;
    await t.core.close();
    open = [];
    await editStore(dir, (doc) => {
      const stored = (doc.connectors as Array<{ extraProperties: string[][] }>)[0]!;
      stored.extraProperties.push(['mail.smtp.pwd', 'hunter2hunter2'], ['mail.smtps.secret', 's3cr3t-value']);
    });
    t = await core(dir);
    expect(unwrap(await t.api.connectors.get({ id: c.id })).extraProperties).toEqual([
      ['mail.smtp.localhost', 'nvr01'],
    ]);
    const store = await readFile(join(dir, 'alertdesk.json'), 'utf8');
    expect(store).not.toContain('hunter2hunter2');
    expect(store).not.toContain('s3cr3t-value');
    expect(unwrap(await t.api.connectors.exportProperties({ id: c.id })).text).not.toMatch(/hunter2|s3cr3t/);
    const events = unwrap(await t.api.audit.query({ filter: { search: 'JavaMail' } })).rows;
    expect(events.map((e) => e.detail)).toContain('2 JavaMail properties holding a secret in clear removed');
  });
});

describe('a keyring this computer cannot open', () => {
  it('is never replaced: saving a password is refused with what to do, and the audit log says it cannot be checked', async () => {
    let t = await core();
    const siteId = unwrap(await t.api.sites.create({ name: 'Copied' })).id;
    const dir = t.dir;
    await t.core.close();
    open = [];
    const keyringBefore = JSON.parse(await readFile(join(dir, 'alertdesk.json'), 'utf8')).keyring as unknown;
    // Another computer's secure storage: it seals, but cannot open what this folder holds.
    const foreign = await createCore({
      dataDir: dir,
      store: createConfStore(dir),
      secrets: {
        status: async () => ({ available: true, backend: 'keychain', reason: null }),
        seal: async (plain) => `xx:${plain.length}`,
        open: async () => {
          throw new Error('decryption failed');
        },
      },
      files: { pickAttachments: async () => [] },
      osUser: 'elsewhere',
      appVersion: '0.0.0-test',
    });
    try {
      const { dispatch } = createDispatcher(foreign.handlers, silentLogger);
      const api = buildBridge(dispatch, () => undefined);
      const error = failure(
        await api.connectors.create({
          ...relayConnector(siteId),
          auth: 'login',
          username: 'u@example.test',
          password: 'new-password-1',
        }),
      );
      expect(error).toMatchObject({ code: 'secret-storage-unavailable', field: 'password' });
      expect(error.message).toMatch(/copied from another computer.*open a backup instead/);
      expect(unwrap(await api.audit.integrity()).state).toBe('unprotected');
    } finally {
      await foreign.close();
    }
    expect(JSON.parse(await readFile(join(dir, 'alertdesk.json'), 'utf8')).keyring).toEqual(keyringBefore);
    t = await core(dir);
    expect(unwrap(await t.api.audit.integrity()).state).toBe('intact');
  });
});
