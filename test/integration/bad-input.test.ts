import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorInput } from '../../shared/schemas.ts';
import { failure, startTestCore, unwrap, type TestCore } from '../helpers/core.ts';

let t: TestCore;
let siteId: string;
let connectorId: string;

const good = (): ConnectorInput => ({
  siteId,
  title: 'Alerts',
  host: 'smtp.example.test',
  port: 587,
  portIsManual: false,
  security: 'starttls',
  auth: 'login',
  username: 'alerts@example.test',
  password: 'Zq8!long-secret-value',
  sender: 'alerts@example.test',
});

/** The whole data folder as bytes, to prove a refused call changed nothing on disk. */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of await readdir(dir)) {
    const path = join(dir, name);
    if ((await stat(path)).isFile() && !name.endsWith('-wal') && !name.endsWith('-shm')) {
      out.set(name, (await readFile(path)).toString('base64'));
    }
  }
  return out;
}

beforeAll(async () => {
  t = await startTestCore();
  siteId = unwrap(await t.api.sites.create({ name: 'Harbour Gate' })).id;
  connectorId = unwrap(await t.api.connectors.create(good())).id;
});
afterAll(() => t.close());

describe('bad input comes back at its field and stores nothing', () => {
  const connectorCases: Array<[string, Partial<ConnectorInput> | Record<string, unknown>, string, RegExp]> = [
    ['port 0', { port: 0, portIsManual: true }, 'port', /between 1 and 65535/],
    ['port 70000', { port: 70000, portIsManual: true }, 'port', /between 1 and 65535/],
    ['a sender without @', { sender: 'alerts.example.test' }, 'sender', /has no @/],
    ['an empty host', { host: '' }, 'host', /Host is required/],
    ['a host with a scheme', { host: 'smtp://smtp.example.test' }, 'host', /remove the "smtp:\/\/" part/],
    ['an unknown security mode', { security: 'ssl' }, 'security', /"tls".*"starttls" or "none"/],
    [
      'CR/LF in the sender name',
      { senderName: 'Cameras\r\nBcc: victim@example.test' },
      'senderName',
      /one line/,
    ],
    ['a login method without a user name', { username: '' }, 'username', /User name is required/],
    ['an unknown field', { surprise: true }, 'surprise', /Unknown field/],
  ];
  for (const [what, change, field, message] of connectorCases) {
    it(`refuses a connector with ${what} at "${field}"`, async () => {
      const before = await snapshot(t.dir);
      const error = failure(await t.api.connectors.create({ ...good(), ...change } as ConnectorInput));
      expect(error.code).toBe('invalid-input');
      expect(error.field).toBe(field);
      expect(error.message).toMatch(message);
      expect(await snapshot(t.dir)).toEqual(before);
    });
  }

  it('refuses an update with a bad port and keeps the stored connector as it was', async () => {
    const before = unwrap(await t.api.connectors.get({ id: connectorId }));
    const error = failure(
      await t.api.connectors.update({
        ...good(),
        id: connectorId,
        title: 'Renamed',
        port: 0,
        portIsManual: true,
      }),
    );
    expect(error.field).toBe('port');
    expect(unwrap(await t.api.connectors.get({ id: connectorId }))).toEqual(before);
  });

  it('refuses a certificate that is not PEM at its field', async () => {
    const error = failure(
      await t.api.connectors.create({ ...good(), trustedCertificatePem: 'not a certificate' }),
    );
    expect(error).toMatchObject({ code: 'invalid-input', field: 'trustedCertificatePem' });
  });

  const mailCases: Array<[string, Record<string, unknown>, string, RegExp]> = [
    [
      'an address without @ among several',
      { to: ['ops@example.test', 'night-shift.example.test'] },
      'to.1',
      /has no @/,
    ],
    ['no recipient at all', { to: [] }, 'to', /at least one/],
    ['CR/LF in the subject', { subject: 'Test\r\nBcc: victim@example.test' }, 'subject', /one line/],
    ['LF in the reply-to', { replyTo: 'noc@example.test\nX-Evil: 1' }, 'replyTo', /one line/],
    ['an unknown importance', { importance: 'urgent' }, 'importance', /normal, high or low/],
    [
      'invalid base64 in an attachment',
      { attachments: [{ filename: 'a.txt', content: 'not*base64!' }] },
      'attachments.0.content',
      /not valid base64/,
    ],
    [
      'an attachment without a file name',
      { attachments: [{ content: 'aGVsbG8=' }] },
      'attachments.0.filename',
      /file name/,
    ],
    [
      'a file name with CR/LF',
      { attachments: [{ filename: 'a\r\n.txt', content: 'aGVsbG8=' }] },
      'attachments.0.filename',
      /one line/,
    ],
  ];
  for (const [what, change, field, message] of mailCases) {
    it(`refuses a test e-mail with ${what} at "${field}" and queues nothing`, async () => {
      const before = (t.core.db.prepare('SELECT COUNT(*) AS n FROM deliveries').get() as { n: number }).n;
      const error = failure(
        await t.api.mail.sendTest({
          connectorId,
          to: ['ops@example.test'],
          subject: 'Test',
          ...change,
        } as never),
      );
      expect(error.code).toBe('invalid-input');
      expect(error.field).toBe(field);
      expect(error.message).toMatch(message);
      expect((t.core.db.prepare('SELECT COUNT(*) AS n FROM deliveries').get() as { n: number }).n).toBe(
        before,
      );
    });
  }

  it('refuses a payload that is not an object at all', async () => {
    const error = failure(
      await (t.api.sites.create as (x: unknown) => ReturnType<typeof t.api.sites.create>)('DROP TABLE'),
    );
    expect(error.code).toBe('invalid-input');
  });

  it('refuses a second site with the same name at "name"', async () => {
    expect(failure(await t.api.sites.create({ name: 'harbour gate' }))).toMatchObject({
      code: 'duplicate',
      field: 'name',
    });
  });
});
