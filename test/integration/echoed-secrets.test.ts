import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileLogger } from '../../electron/adapters/file-logger.ts';
import { startTestCore, unwrap, waitForDelivery, type TestCore } from '../helpers/core.ts';
import { filesUnder } from '../helpers/files.ts';
import { leakForms } from '../helpers/runs.ts';
import { ehloThen, startSmtpPeer, type SmtpPeer } from '../helpers/smtp-peer.ts';
import { verifyAndWait } from '../helpers/verify.ts';

/**
 * A server that echoes the password in its reply (`535 … u/<password>`, issue 16): the reply is
 * scrubbed of the session's secrets before it is stored, logged or shown — in the delivery, its
 * transcript, the connector's last test, a diagnosis, a verification, a handover run, the log and
 * every export — so the password appears nowhere in the data folder or anything AlertDesk hands out.
 */

const LOGIN = 'echo-relay@example.test';
const CONNECTOR_PASSWORD = 'Relay-Password-Echoed-4471';
const CAMERA = 'cam-echo@example.test';
const APP_PASSWORD = 'qwertyuiopasdfgh';

let dir: string;
let t: TestCore;
let peer: SmtpPeer;
let siteId: string;
let connectorId: string;
let recordId: string;

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

beforeAll(async () => {
  // Refuses every login, quoting the password it was given, plain and in base64.
  peer = await startSmtpPeer(
    ehloThen(['PIPELINING', 'AUTH PLAIN LOGIN'], (line) => {
      const plain = /^AUTH PLAIN (\S+)$/.exec(line);
      if (!plain) return null;
      const [, user, pass] = Buffer.from(plain[1]!, 'base64').toString('utf8').split('\0');
      return `535 5.7.8 Authentication failed for ${user}/${pass} (${b64(pass!)})`;
    }),
  );
  dir = await mkdtemp(join(tmpdir(), 'alertdesk-echo-'));
  t = await startTestCore({ dataDir: dir, logger: fileLogger(dir) });
  siteId = unwrap(await t.api.sites.create({ name: 'Echo yard' })).id;
  connectorId = unwrap(
    await t.api.connectors.create({
      siteId,
      title: 'Echoing relay',
      host: '127.0.0.1',
      port: peer.port,
      portIsManual: true,
      security: 'none',
      auth: 'plain',
      username: LOGIN,
      password: CONNECTOR_PASSWORD,
      sender: LOGIN,
      allowPlainLogin: true,
      connectionTimeoutSec: 5,
      retryDelaysSec: [],
    }),
  ).id;
  recordId = unwrap(
    await t.api.vault.create({ account: CAMERA, provider: 'other', label: 'Echo cam', secret: APP_PASSWORD }),
  ).id;
  unwrap(
    await t.api.cameras.create({
      siteId,
      name: 'Echo cam',
      connectorId,
      smtpLogin: CAMERA,
      appPasswordId: recordId,
      recipients: ['control-room@example.test'],
    }),
  );
});
afterAll(async () => {
  // (the test closes the core itself to read the data folder at rest)
  await t.close().catch(() => undefined);
  await peer.close();
  await rm(dir, { recursive: true, force: true });
});

describe('a server that echoes the password', () => {
  it('never gets it into the history, the log, the connector, a report or an export', async () => {
    const forms = [...leakForms(LOGIN, CONNECTOR_PASSWORD), ...leakForms(CAMERA, APP_PASSWORD)];
    const shown: Array<[string, string]> = [];

    // A test e-mail (the connector's last test, its audit event, the delivery and its transcript)
    const { deliveryId } = unwrap(
      await t.api.mail.sendTest({ connectorId, to: ['ops@example.test'], subject: 'Echo' }),
    );
    const d = await waitForDelivery(t.api, deliveryId);
    expect(d.status).toBe('failed');
    expect(d.failureClass).toBe('auth-failed');
    // the reply is kept — without the password
    expect(d.reply).toBe(`535 5.7.8 Authentication failed for ${LOGIN}//* redacted */ (/* redacted */)`);
    expect(peer.commands.some((c) => c.startsWith('AUTH PLAIN'))).toBe(true);
    shown.push(['delivery', JSON.stringify(d)]);
    shown.push(['connector', JSON.stringify(unwrap(await t.api.connectors.get({ id: connectorId })))]);

    // A diagnosis of the saved connector
    shown.push(['diagnosis', JSON.stringify(unwrap(await t.api.connectors.diagnose({ connectorId })))]);

    // Verifying the camera's app password on the same server
    const report = await verifyAndWait(t, { scope: 'record', id: recordId });
    expect(report.outcomes[0]).toMatchObject({ ok: false, failureClass: 'auth-failed' });
    shown.push(['verification', JSON.stringify(report)]);
    shown.push(['vault', JSON.stringify(unwrap(await t.api.vault.list()))]);

    // A handover run of the site (the camera logs in with its app password)
    unwrap(await t.api.connectors.setState({ id: connectorId, state: 'RUN' }));
    const run = unwrap(await t.api.runs.start({ scope: { siteIds: [siteId] } }));
    const detail = await t.core.runs.settled(run.id);
    expect(detail.items.map((i) => i.status)).toEqual(['failed']);
    shown.push(['run', JSON.stringify(unwrap(await t.api.runs.get({ runId: run.id })))]);
    shown.push(['run report', JSON.stringify(unwrap(await t.api.runs.report({ runId: run.id, siteId })))]);
    shown.push(['run report CSV', unwrap(await t.api.runs.reportCsv({ runId: run.id, siteId })).csv]);

    // Everything the history shows and exports
    const page = unwrap(await t.api.deliveries.query({ limit: 500 }));
    for (const row of page.rows)
      shown.push([`delivery ${row.id}`, JSON.stringify(unwrap(await t.api.deliveries.get({ id: row.id })))]);
    shown.push(['deliveries CSV', unwrap(await t.api.deliveries.exportCsv({})).csv]);
    shown.push(['audit', JSON.stringify(unwrap(await t.api.audit.query({ limit: 500 })))]);
    shown.push(['audit CSV', unwrap(await t.api.audit.exportCsv({})).csv]);
    // the replies were there to leak: every view names the 535
    expect(shown.filter(([, text]) => text.includes('535')).length).toBeGreaterThanOrEqual(8);
    for (const [where, text] of shown)
      for (const form of forms) expect(text.includes(form), `${form} in ${where}`).toBe(false);

    // Every stored transcript, decompressed
    const blobs = t.core.db.prepare('SELECT transcript FROM attempts').all() as Array<{
      transcript: Uint8Array;
    }>;
    expect(blobs.length).toBeGreaterThanOrEqual(2);
    for (const { transcript } of blobs) {
      const text = inflateRawSync(transcript).toString('utf8');
      for (const form of forms) expect(text.includes(form), `${form} in a transcript`).toBe(false);
    }

    // And every byte of the data folder, the log included
    await t.core.close();
    const files = await filesUnder(dir);
    const log = files.find((f) => f.endsWith('alertdesk.log'));
    expect(log).toBeDefined();
    expect((await readFile(log!, 'utf8')).includes('535 5.7.8')).toBe(true);
    for (const file of files) {
      const bytes = await readFile(file);
      for (const form of forms) expect(bytes.includes(Buffer.from(form)), `${form} in ${file}`).toBe(false);
    }
  }, 60_000);
});
