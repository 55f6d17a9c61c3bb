import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Site } from '../../shared/domain.ts';
import type { FailureClass } from '../../shared/failures.ts';
import type { RunDetail, RunItem, RunItemStatus } from '../../shared/runs.ts';
import type { CameraInput, ConnectorInput } from '../../shared/schemas.ts';
import { OUTCOME_LABEL } from '../../shared/words.ts';
import { makeCertificate, type TestCertificate } from '../helpers/certs.ts';
import { failure, startTestCore, unwrap, type TestCore } from '../helpers/core.ts';
import { closedPort } from '../helpers/faults.ts';
import {
  header,
  leakForms,
  messagesOf,
  recordRunEvents,
  startRunServer,
  type RunTestServer,
} from '../helpers/runs.ts';
import type { ReceivedMessage } from '../helpers/smtp.ts';

interface Account {
  user: string;
  secret: string;
}

/** Every login the servers know, with the secret they accept. */
const A = {
  harbour: { user: 'harbour@harbour.test', secret: 'harbourrelaypass' },
  gate: { user: 'gate@harbour.test', secret: 'gatekeepergatepw' },
  dock: { user: 'dock@harbour.test', secret: 'dockofficenewpwd' },
  northAdmin: { user: 'admin@north.test', secret: 'northadminsecret' },
  yard: { user: 'yard@north.test', secret: 'yardcamerasyardp' },
  shed: { user: 'shed@north.test', secret: 'shedcameranewpwd' },
  rail: { user: 'rail@north.test', secret: 'railrelaysecret1' },
  south: { user: 'south@south.test', secret: 'southofficepass1' },
  nvr: { user: 'nvr@south.test', secret: 'southnvrpassword' },
  pier: { user: 'pier@west.test', secret: 'westpierpassword' },
  pierFour: { user: 'pier4@west.test', secret: 'pierfourcurrentp' },
  pierOffice: { user: 'office@west.test', secret: 'westofficesecret' },
  quay: { user: 'quay@quay.test', secret: 'cancelquaysecret' },
  bay: { user: 'bay@bay.test', secret: 'snapshotbaypassw' },
  tiny: { user: 'tiny@bay.test', secret: 'tinyrelaysecret1' },
  locker: { user: 'shared@lockers.test', secret: 'lockercurrentpwd' },
} satisfies Record<string, Account>;

/** App passwords recorded in the vault that the provider no longer accepts (revoked or mistyped). */
const STALE = {
  dock: 'dockofficeoldpwd',
  shed: 'shedcameraoldpwd',
  pierFour: 'pierfourstalepwd',
  locker: 'lockerrevokedpwd',
};

/** Every (login, secret) pair used anywhere in this file, to prove none of them leaks. */
const ALL_SECRETS: Array<[string, string]> = [
  ...Object.values(A).map((a): [string, string] => [a.user, a.secret]),
  [A.dock.user, STALE.dock],
  [A.shed.user, STALE.shed],
  [A.pierFour.user, STALE.pierFour],
  [A.locker.user, STALE.locker],
];

const SAMPLES_DIR = fileURLToPath(new URL('../../assets/snapshots', import.meta.url));

let cert: TestCertificate;
/** The provider most connectors use: STARTTLS with a pinned self-signed certificate, real logins. */
let mail: RunTestServer;
let t: TestCore;

beforeAll(async () => {
  cert = makeCertificate();
  mail = await startRunServer({
    mode: 'starttls',
    cert,
    users: Object.fromEntries(
      [A.harbour, A.gate, A.dock, A.northAdmin, A.yard, A.shed, A.south, A.nvr, A.pier, A.pierFour]
        .concat([A.pierOffice, A.bay, A.locker])
        .map((a) => [a.user, a.secret]),
    ),
  });
  t = await startTestCore();
});
afterAll(async () => {
  await t.close();
  await mail.close();
});

// ─── Fixture helpers ─────────────────────────────────────────────────────────────────────────────

function connectorFields(
  siteId: string,
  title: string,
  port: number,
  login: Account,
  more: Partial<ConnectorInput> = {},
): ConnectorInput {
  return {
    siteId,
    title,
    host: '127.0.0.1',
    port,
    portIsManual: true,
    security: 'starttls',
    auth: 'login',
    username: login.user,
    password: login.secret,
    sender: login.user,
    trustedCertificatePem: cert.cert,
    connectionTimeoutSec: 5,
    retryDelaysSec: [0],
    maxSessions: 1,
    ...more,
  };
}

/** A connector set to RUN (bulk sends through a STOPPED connector fail as connector-stopped). */
async function addConnector(fields: ConnectorInput): Promise<string> {
  const c = unwrap(await t.api.connectors.create(fields));
  unwrap(await t.api.connectors.setState({ id: c.id, state: 'RUN' }));
  return c.id;
}

async function addSite(name: string, more: { customer?: string; address?: string; contact?: string } = {}) {
  return unwrap(await t.api.sites.create({ name, ...more }));
}

async function addRecord(account: string, secret: string, label: string): Promise<string> {
  return unwrap(await t.api.vault.create({ account, provider: 'gmail', label, secret })).id;
}

async function addCamera(site: Site, name: string, fields: Omit<CameraInput, 'siteId' | 'name'>) {
  return unwrap(await t.api.cameras.create({ siteId: site.id, name, ...fields }));
}

async function runToEnd(options: Parameters<TestCore['api']['runs']['start']>[0]): Promise<RunDetail> {
  const run = unwrap(await t.api.runs.start(options));
  return t.core.runs.settled(run.id);
}

const ofRun = (runId: string, ...servers: RunTestServer[]): ReceivedMessage[] =>
  servers.flatMap((s) => s.received.filter((m) => header(m, 'x-alertdesk-run') === runId));

/** Asserts that none of the secrets used in this file appears in the text, in any encoding. */
function expectNoSecret(text: string, where: string): void {
  for (const [user, secret] of ALL_SECRETS) {
    for (const form of leakForms(user, secret)) {
      expect(text.includes(form), `${where} contains a form of the secret of ${user}: ${form}`).toBe(false);
    }
  }
}

const defaultSubject = (site: string, camera: string) => `${site} – ${camera} – Handover test`;

function snapshotCounters(server: RunTestServer) {
  return {
    connections: server.connections(),
    logins: server.logins.length,
    envelopes: server.envelopes.length,
    refused: server.refused.length,
    received: server.received.length,
  };
}

/** What a server saw since `before`: connections, logins, envelopes and messages. */
function since(server: RunTestServer, before: ReturnType<typeof snapshotCounters>) {
  return {
    connections: server.connections() - before.connections,
    logins: server.logins.slice(before.logins),
    envelopes: server.envelopes.slice(before.envelopes),
    refused: server.refused.slice(before.refused),
    received: server.received.slice(before.received),
  };
}

// ─── 1, 4, 6: the scenario ───────────────────────────────────────────────────────────────

describe('a handover run over three sites of ten cameras each', () => {
  const HARBOUR = 'Harbour Terminal';
  const NORTH = 'North Yard';
  const SOUTH = 'South Gate';
  const GATE_TEMPLATE = '%Camera_Name% @ %Site_Name%: %Event_Type%';
  const YARD_TEMPLATE = '[%Customer%] %Camera_Name% %Event_Type%';

  interface Row {
    site: string;
    camera: string;
    status: RunItemStatus;
    failureClass: FailureClass | null;
    account: string;
    attempts: number;
    subject: string;
    recipients: string[];
  }

  let throttle: RunTestServer;
  let sites: { harbour: Site; north: Site; south: Site };
  let connectors: Record<'H1' | 'N1' | 'N2' | 'S1' | 'S2', string>;
  let downPort: number;
  let records: { dock: string; shed: string };
  let run: RunDetail;
  /** The run, in the order the report lists it (site, then camera name). */
  const expected: Row[] = [];
  let onMail: ReturnType<typeof since>;
  let onThrottle: ReturnType<typeof since>;

  beforeAll(async () => {
    throttle = await startRunServer({
      mode: 'starttls',
      cert,
      users: { [A.rail.user]: A.rail.secret },
      throttleAfter: 2,
    });
    downPort = await closedPort();
    sites = {
      harbour: await addSite(HARBOUR, {
        customer: 'Port Authority',
        address: '1 Quay Road, Harbourtown',
        contact: 'Ops desk, +44 20 7946 0000',
      }),
      north: await addSite(NORTH, { customer: 'Rail Freight Ltd' }),
      south: await addSite(SOUTH, { customer: 'Southside Logistics' }),
    };
    connectors = {
      H1: await addConnector(connectorFields(sites.harbour.id, 'Harbour relay', mail.port, A.harbour)),
      N1: await addConnector(
        connectorFields(sites.north.id, 'North Workspace', mail.port, A.northAdmin, {
          auth: 'plain',
          maxSessions: 2,
        }),
      ),
      N2: await addConnector(connectorFields(sites.north.id, 'North rail relay', throttle.port, A.rail)),
      S1: await addConnector(connectorFields(sites.south.id, 'South NVR relay', downPort, A.nvr)),
      S2: await addConnector(
        connectorFields(sites.south.id, 'South Office 365', mail.port, A.south, { maxSessions: 2 }),
      ),
    };
    const gateRecord = await addRecord(A.gate.user, A.gate.secret, 'Harbour gate cameras');
    const yardRecord = await addRecord(A.yard.user, A.yard.secret, 'North yard cameras');
    records = {
      dock: await addRecord(A.dock.user, STALE.dock, 'Dock office camera'),
      shed: await addRecord(A.shed.user, STALE.shed, 'Shed camera'),
    };

    const add = async (
      site: Site,
      name: string,
      fields: Omit<CameraInput, 'siteId' | 'name'>,
      outcome: Pick<Row, 'status' | 'failureClass' | 'account' | 'attempts'> & { subject?: string },
    ) => {
      const camera = await addCamera(site, name, fields);
      expected.push({
        site: site.name,
        camera: name,
        recipients: camera.recipients,
        subject: outcome.subject ?? defaultSubject(site.name, name),
        status: outcome.status,
        failureClass: outcome.failureClass,
        account: outcome.account,
        attempts: outcome.attempts,
      });
    };
    const passed = (account: string, subject?: string) => ({
      status: 'passed' as const,
      failureClass: null,
      account,
      attempts: 1,
      ...(subject ? { subject } : {}),
    });
    const failed = (failureClass: FailureClass, account: string, attempts: number) => ({
      status: 'failed' as const,
      failureClass,
      account,
      attempts,
    });
    const skipped = (account: string) => ({
      status: 'skipped' as const,
      failureClass: null,
      account,
      attempts: 0,
    });

    // Harbour Terminal: six cameras on the relay's own login, two on their own Gmail account, one
    // whose recorded app password was revoked, one nobody linked to a connector.
    const soc = ['soc@harbour.test'];
    for (const n of [1, 2, 3, 4, 5, 6]) {
      await add(
        sites.harbour,
        `Berth ${n}`,
        { connectorId: connectors.H1, recipients: soc },
        passed(A.harbour.user),
      );
    }
    await add(
      sites.harbour,
      'Dock office',
      { connectorId: connectors.H1, smtpLogin: A.dock.user, appPasswordId: records.dock, recipients: soc },
      failed('auth-failed', A.dock.user, 1),
    );
    for (const n of [1, 2]) {
      await add(
        sites.harbour,
        `Gate ${n}`,
        {
          connectorId: connectors.H1,
          smtpLogin: A.gate.user,
          appPasswordId: gateRecord,
          recipients: [...soc, 'gate-guard@harbour.test'],
          subjectTemplate: GATE_TEMPLATE,
        },
        passed(A.gate.user, `Gate ${n} @ ${HARBOUR}: Handover test`),
      );
    }
    await add(sites.harbour, 'Workshop', { connectorId: null, recipients: soc }, skipped(''));

    // North Yard: five cameras behind a relay that throttles after two messages, one camera with a
    // wrong app password and four on a shared Workspace account (AUTH PLAIN).
    const control = ['control@north.test'];
    for (const n of [1, 2, 3, 4, 5]) {
      await add(
        sites.north,
        `Rail ${n}`,
        { connectorId: connectors.N2, recipients: control },
        n <= 2 ? passed(A.rail.user) : failed('rate-limited', A.rail.user, 2),
      );
    }
    await add(
      sites.north,
      'Shed',
      {
        connectorId: connectors.N1,
        smtpLogin: A.shed.user,
        appPasswordId: records.shed,
        recipients: control,
      },
      failed('auth-failed', A.shed.user, 1),
    );
    for (const n of ['A', 'B', 'C', 'D']) {
      await add(
        sites.north,
        `Yard ${n}`,
        {
          connectorId: connectors.N1,
          smtpLogin: A.yard.user,
          appPasswordId: yardRecord,
          recipients: control,
          subjectTemplate: YARD_TEMPLATE,
        },
        passed(A.yard.user, `[Rail Freight Ltd] Yard ${n} Handover test`),
      );
    }

    // South Gate: four cameras behind a relay whose host is down, five on Office 365, one without
    // recipients.
    const alarms = ['alarms@south.test'];
    for (const n of [1, 2, 3, 4]) {
      await add(
        sites.south,
        `Cam 0${n}`,
        { connectorId: connectors.S1, recipients: alarms },
        failed('connection-refused', A.nvr.user, 2),
      );
    }
    for (const n of [1, 2, 3, 4, 5]) {
      await add(
        sites.south,
        `Lobby ${n}`,
        { connectorId: connectors.S2, recipients: alarms },
        passed(A.south.user),
      );
    }
    await add(
      sites.south,
      'Visitor desk',
      { connectorId: connectors.S2, recipients: [] },
      skipped(A.south.user),
    );

    const mailBefore = snapshotCounters(mail);
    const throttleBefore = snapshotCounters(throttle);
    run = await runToEnd({
      scope: { siteIds: [sites.harbour.id, sites.north.id, sites.south.id] },
      note: 'Commissioning, week 12',
    });
    onMail = since(mail, mailBefore);
    onThrottle = since(throttle, throttleBefore);
  });
  afterAll(() => throttle.close());

  it('ends every camera with its own status and failure class: wrong passwords, throttling, a down host, skips', () => {
    expect(expected).toHaveLength(30);
    expect(run.status).toBe('finished');
    expect(run.finishedAt).not.toBeNull();
    expect(run.note).toBe('Commissioning, week 12');
    expect(run.scopeLabel).toBe(`${HARBOUR}, ${NORTH}, ${SOUTH}`);
    expect(run.items.map((i) => i.siteName + ' / ' + i.cameraName)).toEqual(
      expected.map((r) => r.site + ' / ' + r.camera),
    );
    expect(
      run.items.map((i): Row => ({
        site: i.siteName,
        camera: i.cameraName,
        status: i.status,
        failureClass: i.failureClass,
        account: i.account,
        attempts: i.attempts,
        subject: i.subject,
        recipients: i.recipients,
      })),
    ).toEqual(expected);
    expect(run.counts).toEqual({
      total: 30,
      passed: 19,
      failed: 9,
      skipped: 2,
      cancelled: 0,
      interrupted: 0,
      pending: 0,
    });
  });

  it('gives passed rows a message id and the server reply, failed rows the reply, explanation and fix', () => {
    for (const item of run.items) {
      const label = `${item.siteName} / ${item.cameraName}`;
      expect(item.finishedAt, label).not.toBeNull();
      if (item.status === 'passed') {
        expect(item.deliveryId, label).toEqual(expect.any(String));
        expect(item.messageId, label).toMatch(/^<[^<>@\s]+@[^<>\s]+>$/);
        expect(item.reply, label).toMatch(/^250 .*queued as [0-9a-f]{10}/);
        expect(item.durationMs, label).toBeGreaterThanOrEqual(0);
        expect(item.explanation, label).toBeNull();
        expect(item.fix, label).toBeNull();
      } else if (item.status === 'failed') {
        expect(item.deliveryId, label).toEqual(expect.any(String));
        expect(item.messageId, label).toBeNull();
        expect(item.explanation, label).toMatch(/\w{3,}/);
        expect(item.fix, label).toMatch(/\w{3,}/);
        expect(item.durationMs, label).toBeGreaterThanOrEqual(0);
      } else {
        expect(item.deliveryId, label).toBeNull();
        expect(item.messageId, label).toBeNull();
        expect(item.reply, label).toBeNull();
      }
    }
    const byName = new Map(run.items.map((i) => [i.cameraName, i]));
    expect(byName.get('Dock office')?.reply).toMatch(/^535 .*credentials invalid/i);
    expect(byName.get('Dock office')?.explanation).toContain(A.dock.user);
    expect(byName.get('Shed')?.reply).toMatch(/^535 /);
    for (const n of [3, 4, 5]) expect(byName.get(`Rail ${n}`)?.reply).toMatch(/^421 .*Too many messages/);
    expect(byName.get('Workshop')?.explanation).toMatch(/no connector/i);
    expect(byName.get('Visitor desk')?.explanation).toMatch(/no recipients/i);
  });

  it('delivers exactly the passed messages, each with its camera’s own login, rendered subject and recipients', () => {
    const received = ofRun(run.id, mail, throttle);
    const passed = run.items.filter((i) => i.status === 'passed');
    expect(received.map((m) => header(m, 'x-alertdesk-camera')).sort()).toEqual(
      passed.map((i) => i.cameraId).sort(),
    );
    for (const item of passed) {
      const [message, ...more] = messagesOf(item.cameraId!, mail, throttle);
      expect(more, item.cameraName).toHaveLength(0);
      expect(message!.user, item.cameraName).toBe(item.account);
      expect(message!.parsed.subject, item.cameraName).toBe(item.subject);
      expect(message!.to, item.cameraName).toEqual(item.recipients);
      expect(message!.parsed.messageId, item.cameraName).toBe(item.messageId);
      expect(message!.secure, item.cameraName).toBe(true);
    }
    // Nothing reached a server for the failed or skipped rows.
    expect(onMail.received).toHaveLength(17);
    expect(onThrottle.received).toHaveLength(2);
  });

  it('shares SMTP sessions between cameras with the same login instead of one session per message', () => {
    const sessionsOf = (s: ReturnType<typeof since>, user: string) =>
      new Set(s.envelopes.filter((e) => e.user === user).map((e) => e.session)).size;
    const messagesBy = (s: ReturnType<typeof since>, user: string) =>
      s.envelopes.filter((e) => e.user === user).length;
    const loginsOf = (s: ReturnType<typeof since>, user: string) =>
      s.logins.filter((l) => l.user === user).map((l) => `${l.method} ${l.ok ? 'ok' : 'rejected'}`);

    // Harbour relay, one session at a time: one session per login however many cameras use it.
    expect(loginsOf(onMail, A.harbour.user)).toEqual(['LOGIN ok']);
    expect([sessionsOf(onMail, A.harbour.user), messagesBy(onMail, A.harbour.user)]).toEqual([1, 6]);
    expect(loginsOf(onMail, A.gate.user)).toEqual(['LOGIN ok']);
    expect([sessionsOf(onMail, A.gate.user), messagesBy(onMail, A.gate.user)]).toEqual([1, 2]);
    expect(loginsOf(onMail, A.dock.user)).toEqual(['LOGIN rejected']);
    // North Workspace (2 sessions, AUTH PLAIN) and South Office 365 (2 sessions).
    expect(loginsOf(onMail, A.shed.user)).toEqual(['PLAIN rejected']);
    expect(messagesBy(onMail, A.yard.user)).toBe(4);
    expect(sessionsOf(onMail, A.yard.user)).toBeLessThanOrEqual(2);
    expect(loginsOf(onMail, A.yard.user)).toHaveLength(sessionsOf(onMail, A.yard.user));
    expect(messagesBy(onMail, A.south.user)).toBe(5);
    expect(sessionsOf(onMail, A.south.user)).toBeLessThanOrEqual(2);
    expect(loginsOf(onMail, A.south.user)).toHaveLength(sessionsOf(onMail, A.south.user));
    // Every connection logged in once; far fewer connections than messages.
    expect(onMail.connections).toBe(onMail.logins.length);
    expect(onMail.connections).toBeLessThanOrEqual(8);
    // The throttled relay: the two accepted messages shared one session. Each throttled camera was
    // tried twice (retryDelaysSec [0]); the first refusal came on that same session, and as a 421
    // closes the connection, every later attempt opened (and logged in on) a new one.
    const accepted = new Set(onThrottle.envelopes.map((e) => e.session));
    expect([accepted.size, onThrottle.envelopes.length]).toEqual([1, 2]);
    expect(onThrottle.refused).toHaveLength(3 * 2);
    expect(accepted.has(onThrottle.refused[0]!.session)).toBe(true);
    expect(new Set(onThrottle.refused.map((e) => e.session)).size).toBe(6);
    expect(onThrottle.connections).toBe(6);
    expect(onThrottle.logins.map((l) => [l.user, l.ok])).toEqual(Array(6).fill([A.rail.user, true]));
  });

  it('records every sent item in the delivery history under the run id', async () => {
    const page = unwrap(await t.api.deliveries.query({ filter: { runId: run.id }, limit: 500 }));
    const sent = run.items.filter((i) => i.status !== 'skipped');
    expect(page.total).toBe(28);
    expect(page.rows.map((r) => r.id).sort()).toEqual(sent.map((i) => i.deliveryId).sort());
    for (const row of page.rows) {
      const item = sent.find((i) => i.deliveryId === row.id)!;
      expect(row).toMatchObject({
        kind: 'bulk',
        runId: run.id,
        cameraId: item.cameraId,
        subject: item.subject,
        status: item.status === 'passed' ? 'sent' : 'failed',
        failureClass: item.failureClass,
        attemptCount: item.attempts,
      });
    }
  });

  it('reports one site: only its cameras, and a verdict naming how many did not deliver', async () => {
    const report = unwrap(await t.api.runs.report({ runId: run.id, siteId: sites.harbour.id }));
    expect(report.site).toEqual({
      id: sites.harbour.id,
      name: HARBOUR,
      customer: 'Port Authority',
      address: '1 Quay Road, Harbourtown',
      contact: 'Ops desk, +44 20 7946 0000',
    });
    expect(report.integrator).toBe('tester');
    expect(report.items.map((i) => i.cameraName).sort()).toEqual(
      expected
        .filter((r) => r.site === HARBOUR)
        .map((r) => r.camera)
        .sort(),
    );
    // What did not deliver comes first, grouped by cause, then what was delivered.
    expect(report.items.map((i) => i.status)).toEqual([
      'failed',
      'skipped',
      ...Array<string>(8).fill('passed'),
    ]);
    expect(report.groups.map((g) => [g.status, g.title, g.itemIds.length])).toEqual([
      ['failed', 'Login rejected', 1],
      ['skipped', 'Not tested', 1],
    ]);
    expect(report.items.every((i) => i.siteId === sites.harbour.id)).toBe(true);
    expect(report.counts).toEqual({
      total: 10,
      passed: 8,
      failed: 1,
      skipped: 1,
      cancelled: 0,
      interrupted: 0,
      pending: 0,
    });
    expect(report.ready).toBe(false);
    expect(report.verdict).toMatch(/^2 of 10 alert paths did not deliver/);
    expect(report.run).toMatchObject({ status: 'finished', note: 'Commissioning, week 12', snapshots: 0 });

    const north = unwrap(await t.api.runs.report({ runId: run.id, siteId: sites.north.id }));
    expect(north.items).toHaveLength(10);
    expect(north.verdict).toMatch(/^4 of 10 alert paths did not deliver/);

    const elsewhere = await addSite('Not In This Run');
    expect(failure(await t.api.runs.report({ runId: run.id, siteId: elsewhere.id }))).toMatchObject({
      code: 'not-found',
      field: 'siteId',
    });
  });

  it('exports the site report as CSV: site, date, integrator and one row per camera, with no secret anywhere', async () => {
    const { filename, csv } = unwrap(await t.api.runs.reportCsv({ runId: run.id, siteId: sites.harbour.id }));
    expect(filename).toMatch(/^handover-harbour-terminal-\d{4}-\d{2}-\d{2}\.csv$/);
    expect(csv.startsWith('\uFEFF')).toBe(true);
    const parsed = Papa.parse<Record<string, string>>(csv.slice(1), { header: true, skipEmptyLines: true });
    expect(parsed.errors).toEqual([]);
    expect(parsed.meta.fields).toEqual(
      expect.arrayContaining([
        'site',
        'date',
        'integrator',
        'camera',
        'connector',
        'account',
        'recipients',
        'result',
        'server_reply',
        'message_id',
        'time_ms',
      ]),
    );
    // In the report's order: what did not deliver first.
    const items = unwrap(await t.api.runs.report({ runId: run.id, siteId: sites.harbour.id })).items;
    expect(parsed.data).toHaveLength(run.items.filter((i) => i.siteId === sites.harbour.id).length);
    for (const [i, row] of parsed.data.entries()) {
      const item = items[i]!;
      expect(row).toMatchObject({
        site: HARBOUR,
        date: run.startedAt,
        integrator: 'tester',
        camera: item.cameraName,
        connector: item.connectorTitle,
        account: item.account,
        recipients: item.recipients.join('; '),
        result: OUTCOME_LABEL[item.status],
        server_reply: item.reply ?? '',
        message_id: item.messageId ?? '',
        time_ms: item.durationMs === null ? '' : String(item.durationMs),
      });
    }
    expect(parsed.data.find((r) => r.camera === 'Berth 1')?.connector).toBe('Harbour relay');
    expect(parsed.data.find((r) => r.camera === 'Gate 2')?.account).toBe(A.gate.user);
    expect(parsed.data.find((r) => r.camera === 'Dock office')).toMatchObject({
      result: 'failed',
      failure_class: 'auth-failed',
    });

    expectNoSecret(csv, 'the report CSV');
    expectNoSecret(
      JSON.stringify(unwrap(await t.api.runs.report({ runId: run.id, siteId: sites.harbour.id }))),
      'the report',
    );
    expectNoSecret(JSON.stringify(unwrap(await t.api.runs.get({ runId: run.id }))), 'the run detail');
    for (const item of run.items.filter((i) => i.deliveryId)) {
      const detail = unwrap(await t.api.deliveries.get({ id: item.deliveryId! }));
      expectNoSecret(JSON.stringify(detail), `the delivery of ${item.cameraName}`);
    }
  });

  it('re-runs only the failed rows once fixed, as a new run linked to the first, and now they pass', async () => {
    // The integrator records the current app passwords (verified against the server first)…
    unwrap(await t.api.vault.rotate({ id: records.dock, secret: A.dock.secret, verify: true }));
    unwrap(await t.api.vault.rotate({ id: records.shed, secret: A.shed.secret, verify: true }));
    // …the provider's throttling window has passed…
    throttle.throttle.after = null;
    // …and the NVR relay is pointed at the server that is up.
    unwrap(
      await t.api.connectors.update({
        ...connectorFields(sites.south.id, 'South NVR relay', mail.port, A.nvr),
        password: undefined,
        id: connectors.S1,
      }),
    );

    const failedBefore = run.items.filter((i) => i.status === 'failed');
    expect(failedBefore).toHaveLength(9);
    const started = unwrap(await t.api.runs.rerunFailed({ runId: run.id }));
    expect(started).toMatchObject({ rerunOf: run.id, startedBy: 'tester' });
    expect(started.id).not.toBe(run.id);
    expect(started.scopeLabel).toMatch(/^Re-run of failures/);
    expect(started.counts.total).toBe(9);

    const rerun = await t.core.runs.settled(started.id);
    expect(rerun.status).toBe('finished');
    expect(rerun.note).toBe('Commissioning, week 12');
    expect(rerun.items.map((i) => i.cameraId)).toEqual(failedBefore.map((i) => i.cameraId));
    expect(rerun.items.map((i) => [i.cameraName, i.status, i.failureClass, i.account])).toEqual(
      failedBefore.map((i) => [i.cameraName, 'passed', null, i.account]),
    );
    const received = ofRun(rerun.id, mail, throttle);
    expect(received).toHaveLength(9);
    for (const item of rerun.items) {
      const message = received.find((m) => header(m, 'x-alertdesk-camera') === item.cameraId);
      expect(message?.user, item.cameraName).toBe(item.account);
    }
    // The first run is left as it was: it is the record of what failed.
    expect(unwrap(await t.api.runs.get({ runId: run.id })).counts).toMatchObject({ passed: 19, failed: 9 });

    const harbour = unwrap(await t.api.runs.report({ runId: rerun.id, siteId: sites.harbour.id }));
    expect(harbour.items.map((i) => i.cameraName)).toEqual(['Dock office']);
    expect(harbour.ready).toBe(true);
    expect(harbour.verdict).toMatch(/^All 1 alert path delivered/);

    expect(failure(await t.api.runs.rerunFailed({ runId: rerun.id })).code).toBe('nothing-failed');
    expect(unwrap(await t.api.runs.list()).map((r) => r.id)).toEqual(
      expect.arrayContaining([run.id, rerun.id]),
    );
  });
});

// ─── 2: progress events and the list ─────────────────────────────────────────────────────────────

describe('run progress', () => {
  it('fills items in one by one through run events, ending with no item pending; the list shows the counts', async () => {
    const site = await addSite('West Pier');
    const w1 = await addConnector(connectorFields(site.id, 'West Pier relay', mail.port, A.pier));
    await addConnector(connectorFields(site.id, 'West office relay', mail.port, A.pierOffice));
    const stale = await addRecord(A.pierFour.user, STALE.pierFour, 'Pier 4 camera');
    const to = ['watch@west.test'];
    for (const n of [1, 2, 3]) await addCamera(site, `Pier ${n}`, { connectorId: w1, recipients: to });
    await addCamera(site, 'Pier 4', {
      connectorId: w1,
      smtpLogin: A.pierFour.user,
      appPasswordId: stale,
      recipients: to,
    });
    await addCamera(site, 'Pier 5', { connectorId: null, recipients: to });

    const events = recordRunEvents(t);
    const started = unwrap(
      await t.api.runs.start({ scope: { siteIds: [site.id] }, fallbackRecipients: ['noc@west.test'] }),
    );
    const run = await t.core.runs.settled(started.id);
    events.off();
    const mine = events.of(run.id);

    expect(started).toMatchObject({ status: 'running', startedBy: 'tester', scopeLabel: 'West Pier' });
    // The connector no camera uses is tested on its own login, to the fallback recipients.
    const bare = run.items.find((i) => i.cameraId === null)!;
    expect(bare).toMatchObject({
      cameraName: '(connector) West office relay',
      account: A.pierOffice.user,
      recipients: ['noc@west.test'],
      status: 'passed',
    });
    expect(run.counts).toEqual({
      total: 6,
      passed: 4,
      failed: 1,
      skipped: 1,
      cancelled: 0,
      interrupted: 0,
      pending: 0,
    });

    const first = mine[0]!;
    expect(first.items).toEqual([]);
    expect(first.run.status).toBe('running');
    expect(first.run.counts).toMatchObject({ total: 6, skipped: 1, pending: 5, passed: 0, failed: 0 });

    // Changes arrive in batches of changed items; the number of finished items never goes back, and
    // each batch adds exactly the items that became final in it.
    const FINAL = new Set<RunItemStatus>(['passed', 'failed', 'cancelled', 'skipped']);
    const done = (e: (typeof mine)[number]) => e.run.counts.total - e.run.counts.pending;
    const finals = new Map<string, RunItem>();
    for (let i = 1; i < mine.length; i++) {
      const e = mine[i]!;
      const newlyFinal = e.items.filter((item) => FINAL.has(item.status) && !finals.has(item.id));
      expect(done(e) - done(mine[i - 1]!)).toBe(newlyFinal.length);
      for (const item of newlyFinal) finals.set(item.id, item);
    }
    expect([...finals.keys()].sort()).toEqual(
      run.items
        .filter((i) => i.status !== 'skipped')
        .map((i) => i.id)
        .sort(),
    );
    expect(finals.get(run.items.find((i) => i.cameraName === 'Pier 4')!.id)).toMatchObject({
      status: 'failed',
      failureClass: 'auth-failed',
    });

    const last = mine.at(-1)!;
    expect(last.run.status).toBe('finished');
    expect(last.run.finishedAt).not.toBeNull();
    expect(last.run.counts).toEqual(run.counts);

    const listed = unwrap(await t.api.runs.list()).find((r) => r.id === run.id);
    expect(listed).toMatchObject({
      status: 'finished',
      startedBy: 'tester',
      siteIds: [site.id],
      counts: { total: 6, passed: 4, failed: 1, skipped: 1, cancelled: 0, interrupted: 0, pending: 0 },
    });
    const { items, ...summary } = unwrap(await t.api.runs.get({ runId: run.id }));
    expect(summary).toEqual(listed);
    expect(items).toEqual(run.items);
  });
});

// ─── 3: cancel ───────────────────────────────────────────────────────────────────────────────────

describe('cancelling a run', () => {
  let slow: RunTestServer;
  beforeAll(async () => {
    slow = await startRunServer({
      mode: 'starttls',
      cert,
      users: { [A.quay.user]: A.quay.secret },
      replyDelayMs: 100,
    });
  });
  afterAll(() => slow.close());

  it('keeps what finished, cancels the rest, sends nothing more; re-running takes only the cancelled', async () => {
    const site = await addSite('Cancel Quay');
    const connectorId = await addConnector(connectorFields(site.id, 'Quay relay', slow.port, A.quay));
    for (let n = 1; n <= 12; n++) {
      await addCamera(site, `Quay ${String(n).padStart(2, '0')}`, {
        connectorId,
        recipients: ['ops@quay.test'],
      });
    }

    const firstPassed = new Promise<void>((resolve) => {
      const off = t.api.events.on('run', (e) => {
        if (e.items.some((i) => i.status === 'passed' && i.siteId === site.id)) {
          off();
          resolve();
        }
      });
    });
    const events = recordRunEvents(t);
    const runId = unwrap(await t.api.runs.start({ scope: { siteIds: [site.id] } })).id;
    await firstPassed;
    expect(unwrap(await t.api.runs.cancel({ runId })).id).toBe(runId);
    const run = await t.core.runs.settled(runId);
    events.off();

    const passed = run.items.filter((i) => i.status === 'passed');
    const cancelled = run.items.filter((i) => i.status === 'cancelled');
    expect(run.status).toBe('cancelled');
    expect(run.finishedAt).not.toBeNull();
    // The first message, and at most the one already on the wire, went out; the rest were held back.
    expect(passed.length).toBeGreaterThanOrEqual(1);
    expect(passed.length).toBeLessThanOrEqual(2);
    expect(passed.length + cancelled.length).toBe(12);
    expect(run.counts).toMatchObject({
      passed: passed.length,
      cancelled: cancelled.length,
      failed: 0,
      pending: 0,
    });
    for (const item of cancelled) {
      expect(item).toMatchObject({ messageId: null, failureClass: null, attempts: 0 });
      expect(item.explanation).toMatch(/Cancelled before it was sent/);
      expect(item.finishedAt).not.toBeNull();
    }
    for (const item of passed) expect(item.messageId).toMatch(/^<.+>$/);
    expect(events.of(runId).at(-1)?.run).toMatchObject({ status: 'cancelled', counts: { pending: 0 } });

    // The server has exactly the passed messages, and nothing more arrives later.
    const atSettle = ofRun(runId, slow).map((m) => header(m, 'x-alertdesk-camera'));
    expect(atSettle.sort()).toEqual(passed.map((i) => i.cameraId).sort());
    const envelopesAtSettle = slow.envelopes.length;
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(ofRun(runId, slow)).toHaveLength(passed.length);
    expect(slow.envelopes).toHaveLength(envelopesAtSettle);

    expect(failure(await t.api.runs.cancel({ runId })).code).toBe('not-running');
    expect(unwrap(await t.api.runs.list()).find((r) => r.id === runId)?.status).toBe('cancelled');

    const again = unwrap(await t.api.runs.rerunFailed({ runId }));
    expect(again.rerunOf).toBe(runId);
    const rerun = await t.core.runs.settled(again.id);
    expect(rerun.items.map((i) => i.cameraId)).toEqual(cancelled.map((i) => i.cameraId));
    expect(rerun.items.every((i) => i.status === 'passed')).toBe(true);
    expect(ofRun(rerun.id, slow)).toHaveLength(cancelled.length);
  });
});

// ─── Own app password per camera ─────────────────────────────────────────────────────────────────

describe('own credentials per camera', () => {
  it('fails a camera whose own app password was revoked even when a camera with the same login passed first', async () => {
    const site = await addSite('Lockers');
    const connectorId = await addConnector(
      connectorFields(site.id, 'Lockers relay', mail.port, A.harbour, { maxSessions: 1 }),
    );
    // Two app passwords for one Gmail account, one per camera; the second was revoked at Google.
    const current = await addRecord(A.locker.user, A.locker.secret, 'Locker A camera');
    const revoked = await addRecord(A.locker.user, STALE.locker, 'Locker B camera');
    const common = { connectorId, smtpLogin: A.locker.user, recipients: ['lockers@lockers.test'] };
    await addCamera(site, 'Locker A', { ...common, appPasswordId: current });
    await addCamera(site, 'Locker B', { ...common, appPasswordId: revoked });

    const before = snapshotCounters(mail);
    const run = await runToEnd({ scope: { siteIds: [site.id] } });
    const seen = since(mail, before);

    expect(run.items.map((i) => [i.cameraName, i.status, i.failureClass])).toEqual([
      ['Locker A', 'passed', null],
      ['Locker B', 'failed', 'auth-failed'],
    ]);
    expect(ofRun(run.id, mail).map((m) => header(m, 'x-alertdesk-camera'))).toEqual([run.items[0]!.cameraId]);
    expect(seen.logins.map((l) => [l.user, l.ok])).toEqual([
      [A.locker.user, true],
      [A.locker.user, false],
    ]);
  });
});

// ─── 5: snapshots and the plan ───────────────────────────────────────────────────────────────────

describe('burst snapshots', () => {
  let small: RunTestServer;
  beforeAll(async () => {
    small = await startRunServer({
      mode: 'starttls',
      cert,
      users: { [A.tiny.user]: A.tiny.secret },
      extra: { size: 200_000 },
    });
  });
  afterAll(() => small.close());

  const bytesOf = (content: ArrayBuffer | Uint8Array | string) =>
    typeof content === 'string'
      ? Buffer.from(content, 'base64')
      : content instanceof ArrayBuffer
        ? Buffer.from(content)
        : Buffer.from(content);
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

  it('attaches the sample JPEGs to every message; the plan warns when a server’s SIZE is smaller', async () => {
    const names = (await readdir(SAMPLES_DIR)).filter((n) => n.endsWith('.jpg')).sort();
    const files = await Promise.all(names.map((n) => readFile(join(SAMPLES_DIR, n))));
    expect(unwrap(await t.api.runs.samples())).toEqual(
      names.map((name, i) => ({ name, bytes: files[i]!.length })),
    );
    expect(names).toHaveLength(5);

    const site = await addSite('Snapshot Bay');
    const big = await addConnector(
      connectorFields(site.id, 'Bay relay', mail.port, A.bay, { maxSessions: 2 }),
    );
    const tiny = await addConnector(connectorFields(site.id, 'Tiny relay', small.port, A.tiny));
    const to = ['bay@bay-soc.test'];
    const bay1 = await addCamera(site, 'Bay 1', { connectorId: big, recipients: to });
    const bay2 = await addCamera(site, 'Bay 2', { connectorId: big, recipients: to });
    const bay3 = await addCamera(site, 'Bay 3', { connectorId: tiny, recipients: to });

    const run = await runToEnd({ scope: { cameraIds: [bay1.id, bay2.id] }, snapshots: 3 });
    expect(run.snapshots).toBe(3);
    expect(run.items.map((i) => i.status)).toEqual(['passed', 'passed']);
    const received = ofRun(run.id, mail);
    expect(received).toHaveLength(2);
    for (const message of received) {
      expect(message.parsed.attachments.map((a) => a.filename)).toEqual(names.slice(0, 3));
      expect(message.parsed.attachments.map((a) => a.mimeType)).toEqual(Array(3).fill('image/jpeg'));
      expect(message.parsed.attachments.map((a) => sha(bytesOf(a.content)))).toEqual(
        files.slice(0, 3).map(sha),
      );
    }

    // The plan never logs in or sends, and creates no run.
    const runsBefore = unwrap(await t.api.runs.list()).length;
    const smallBefore = snapshotCounters(small);
    const unprobed = unwrap(await t.api.runs.plan({ scope: { siteIds: [site.id] }, snapshots: 5 }));
    expect(unprobed.connectors.find((c) => c.connectorId === tiny)).toMatchObject({
      sizeKnown: false,
      sizeLimit: null,
    });
    const plan = unwrap(await t.api.runs.plan({ scope: { siteIds: [site.id] }, snapshots: 5, probe: true }));
    expect(plan.items).toBe(3);
    expect(plan.attachmentBytes).toBe(files.reduce((n, f) => n + f.length, 0));
    expect(plan.messageBytes).toBeGreaterThan((plan.attachmentBytes * 4) / 3);
    expect(plan.connectors.map((c) => [c.title, c.cameras, c.sizeKnown, c.sizeLimit]).sort()).toEqual([
      ['Bay relay', 2, true, 10 * 1024 * 1024],
      ['Tiny relay', 1, true, 200_000],
    ]);
    expect(plan.warnings).toHaveLength(1);
    expect(plan.warnings[0]).toMatch(/"Tiny relay"/);
    expect(plan.warnings[0]).toMatch(/fewer or smaller snapshots/);
    const probe = since(small, smallBefore);
    expect(probe.connections).toBe(1);
    expect(probe.logins).toHaveLength(0);
    expect(probe.received).toHaveLength(0);
    expect(unwrap(await t.api.runs.list())).toHaveLength(runsBefore);

    // The estimate covers the message as actually sent (base64 included).
    const three = unwrap(await t.api.runs.plan({ scope: { cameraIds: [bay1.id] }, snapshots: 3 }));
    const sentBytes = received[0]!.raw.length;
    expect(three.messageBytes).toBeGreaterThanOrEqual(sentBytes);
    expect(three.messageBytes).toBeLessThan(sentBytes * 1.1);
    // One snapshot fits under the small server's limit: no warning.
    const one = unwrap(await t.api.runs.plan({ scope: { siteIds: [site.id] }, snapshots: 1, probe: true }));
    expect(one.warnings).toEqual([]);

    // Sent anyway, the burst fails as too large before any byte of it reaches the small server.
    const tooBig = await runToEnd({ scope: { cameraIds: [bay3.id] }, snapshots: 3 });
    expect(tooBig.items[0]).toMatchObject({
      status: 'failed',
      failureClass: 'message-too-large',
      attempts: 1,
    });
    expect(ofRun(tooBig.id, small)).toHaveLength(0);
  });
});

// ─── 7: bad input ────────────────────────────────────────────────────────────────────────────────

describe('bad input', () => {
  it('answers an empty scope, a deleted site and other bad options with a field error and creates no run', async () => {
    const count = () =>
      t.core.db
        .prepare('SELECT (SELECT COUNT(*) FROM runs) AS runs, (SELECT COUNT(*) FROM run_items) AS items')
        .get();
    const before = count();
    const listed = unwrap(await t.api.runs.list()).length;

    expect(failure(await t.api.runs.start({ scope: {} }))).toMatchObject({
      code: 'invalid-input',
      field: 'scope.siteIds',
    });
    expect(failure(await t.api.runs.start({ scope: { siteIds: [] } }))).toMatchObject({
      code: 'invalid-input',
      field: 'scope.siteIds',
    });

    const gone = await addSite('Demolished Depot');
    unwrap(await t.api.sites.remove({ id: gone.id }));
    expect(failure(await t.api.runs.start({ scope: { siteIds: [gone.id] } }))).toMatchObject({
      code: 'not-found',
      field: 'scope.siteIds',
    });
    expect(failure(await t.api.runs.start({ scope: { cameraIds: ['no-such-camera'] } }))).toMatchObject({
      code: 'not-found',
      field: 'scope.cameraIds',
    });
    expect(failure(await t.api.runs.start({ scope: { connectorIds: ['no-such-connector'] } }))).toMatchObject(
      { code: 'not-found', field: 'scope.connectorIds' },
    );
    const empty = await addSite('Empty Lot');
    expect(failure(await t.api.runs.start({ scope: { siteIds: [empty.id] } }))).toMatchObject({
      code: 'invalid-input',
      field: 'scope.siteIds',
    });
    expect(failure(await t.api.runs.start({ scope: { siteIds: [empty.id] }, snapshots: 6 }))).toMatchObject({
      code: 'invalid-input',
      field: 'snapshots',
    });
    expect(
      failure(
        await t.api.runs.start({ scope: { siteIds: [empty.id] }, fallbackRecipients: ['not an address'] }),
      ),
    ).toMatchObject({ code: 'invalid-input', field: 'fallbackRecipients.0' });
    expect(failure(await t.api.runs.plan({ scope: {} }))).toMatchObject({ field: 'scope.siteIds' });

    expect(count()).toEqual(before);
    expect(unwrap(await t.api.runs.list())).toHaveLength(listed);
  });

  it('answers every call about a run that does not exist with not-found', async () => {
    const runId = 'no-such-run';
    expect(failure(await t.api.runs.get({ runId })).code).toBe('not-found');
    expect(failure(await t.api.runs.rerunFailed({ runId })).code).toBe('not-found');
    expect(failure(await t.api.runs.report({ runId, siteId: 'no-such-site' })).code).toBe('not-found');
    expect(failure(await t.api.runs.reportCsv({ runId, siteId: 'no-such-site' })).code).toBe('not-found');
    // Not "This run has already finished": it never existed.
    expect(failure(await t.api.runs.cancel({ runId }))).toMatchObject({ code: 'not-found' });
  });
});
