import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecretBox } from '../../electron/core/adapters.ts';
import { createCore, type Core } from '../../electron/core/core.ts';
import { createConfStore } from '../../electron/core/store/conf-store.ts';
import { createDispatcher } from '../../electron/ipc/dispatch.ts';
import { silentLogger } from '../../electron/core/adapters.ts';
import { buildBridge } from '../../shared/bridge.ts';
import type { AlertDeskApi } from '../../shared/contract.ts';
import { failure, unwrap } from '../helpers/core.ts';

/** What Electron's safeStorage amounts to on Linux without a keyring: a fixed key, i.e. nothing. */
const basicText: SecretBox = {
  status: async () => ({
    available: false,
    backend: 'basic_text',
    reason: 'No keyring (GNOME Keyring or KWallet) is running.',
  }),
  seal: async () => {
    throw new Error('must not be called');
  },
  open: async () => {
    throw new Error('must not be called');
  },
};

let dir: string;
let core: Core;
let api: AlertDeskApi;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'alertdesk-nokeyring-'));
  core = await createCore({
    dataDir: dir,
    store: createConfStore(dir),
    secrets: basicText,
    files: { pickAttachments: async () => [] },
    osUser: 'tester',
    appVersion: '0.0.0-test',
  });
  const { dispatch } = createDispatcher(core.handlers, silentLogger);
  api = buildBridge(dispatch, () => undefined);
});
afterAll(async () => {
  await core.close();
  await rm(dir, { recursive: true, force: true });
});

describe('without real encryption on this computer', () => {
  it('says so in the app info', async () => {
    expect(unwrap(await api.app.info()).secretStorage).toMatchObject({
      available: false,
      backend: 'basic_text',
    });
  });

  it('refuses to save a connector password, at the password field, and stores nothing', async () => {
    const site = unwrap(await api.sites.create({ name: 'No keyring' }));
    const before = await readFile(join(dir, 'alertdesk.json'), 'utf8');
    const error = failure(
      await api.connectors.create({
        siteId: site.id,
        title: 'Gmail',
        host: 'smtp.gmail.com',
        port: 465,
        security: 'tls',
        auth: 'login',
        username: 'cam@gmail.test',
        password: 'abcdefghijklmnop',
        sender: 'cam@gmail.test',
      }),
    );
    expect(error).toMatchObject({ code: 'secret-storage-unavailable', field: 'password' });
    expect(error.message).toMatch(/does not store passwords unprotected/);
    expect(await readFile(join(dir, 'alertdesk.json'), 'utf8')).toBe(before);
    expect(unwrap(await api.connectors.list())).toHaveLength(0);
  });

  it('refuses to save a watched mailbox password, at the password field, and stores nothing', async () => {
    const before = await readFile(join(dir, 'alertdesk.json'), 'utf8');
    const error = failure(
      await api.mailboxes.create({
        title: 'Control room',
        host: 'imap.gmail.com',
        port: 993,
        security: 'tls',
        username: 'alerts@gmail.test',
        password: 'abcdefghijklmnop',
      }),
    );
    expect(error).toMatchObject({ code: 'secret-storage-unavailable', field: 'password' });
    expect(error.message).toMatch(/so the mailbox was not saved/);
    expect(await readFile(join(dir, 'alertdesk.json'), 'utf8')).toBe(before);
    expect(unwrap(await api.mailboxes.list())).toHaveLength(0);
  });

  it('still saves a relay connector that needs no password', async () => {
    const site = unwrap(await api.sites.list())[0]!;
    const relay = unwrap(
      await api.connectors.create({
        siteId: site.id,
        title: 'Relay',
        host: 'relay.local',
        port: 25,
        security: 'none',
        auth: 'none',
        sender: 'cams@example.test',
      }),
    );
    expect(relay.hasPassword).toBe(false);
  });

  it('refuses to save an app password', async () => {
    const error = failure(
      await api.vault.create({
        account: 'cam@gmail.test',
        provider: 'gmail',
        label: 'x',
        secret: 'abcdefghijklmnop',
      }),
    );
    expect(error).toMatchObject({ code: 'secret-storage-unavailable', field: 'secret' });
    expect(unwrap(await api.vault.list())).toHaveLength(0);
  });
});
