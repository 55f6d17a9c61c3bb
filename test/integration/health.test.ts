import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CameraHealth, ConnectorHealth, HealthSignal } from '../../shared/health.ts';
import type { ConnectorInput } from '../../shared/schemas.ts';
import type { VerifyReport } from '../../shared/vault.ts';
import { makeCertificate, type TestCertificate } from '../helpers/certs.ts';
import { startTestCore, unwrap, waitForDelivery, type TestCore } from '../helpers/core.ts';
import { closedPort } from '../helpers/faults.ts';
import { startRunServer, type RunTestServer } from '../helpers/runs.ts';

/**
 * Health at a glance, against a real smtp-server on loopback: a handover run over four sites —
 * one that works but for one camera, one whose connector points at a closed port, one whose
 * connector is STOPPED, one with nothing set up — then verifications and a heartbeat source.
 */

const RELAY = { user: 'relay@harbour.test', secret: 'harbourrelaypass' };
const QUAY = { user: 'quay@harbour.test', secret: 'quaycamerasecret' };
const GATE = { user: 'gate@harbour.test', secret: 'gatecamerasecret' };
/** Recorded in the vault, but no longer accepted by the provider. */
const REVOKED = { user: 'dock@harbour.test', secret: 'dockrevokedsecre' };
/** A camera with its own login whose app password nobody recorded. */
const UNRECORDED = 'crane@harbour.test';

let cert: TestCertificate;
let mail: RunTestServer;
let t: TestCore;
const ids = {
  harbour: '',
  north: '',
  south: '',
  empty: '',
  relay: '',
  closed: '',
  stopped: '',
  quay: '',
  gate: '',
  dock: '',
  crane: '',
  quayRecord: '',
  dockRecord: '',
  northCams: [] as string[],
  southCams: [] as string[],
};
let runId = '';

function connector(siteId: string, title: string, port: number): ConnectorInput {
  return {
    siteId,
    title,
    host: '127.0.0.1',
    port,
    portIsManual: true,
    security: 'starttls',
    auth: 'login',
    username: RELAY.user,
    password: RELAY.secret,
    sender: RELAY.user,
    trustedCertificatePem: cert.cert,
    connectionTimeoutSec: 5,
    retryDelaysSec: [],
    maxSessions: 2,
  };
}

const cameraHealth = async (id: string): Promise<CameraHealth> =>
  unwrap(await t.api.health.cameras()).find((c) => c.cameraId === id)!;
const connectorHealth = async (id: string): Promise<ConnectorHealth> =>
  unwrap(await t.api.health.connectors()).find((c) => c.connectorId === id)!;

async function verify(scope: Parameters<typeof t.api.vault.verify>[0]): Promise<VerifyReport> {
  const done = new Promise<VerifyReport>((resolve) => {
    const off = t.api.events.on('verify', (p) => {
      if (p.report) {
        off();
        resolve(p.report);
      }
    });
  });
  unwrap(await t.api.vault.verify(scope));
  return done;
}

beforeAll(async () => {
  cert = makeCertificate();
  mail = await startRunServer({
    mode: 'starttls',
    cert,
    users: Object.fromEntries([RELAY, QUAY, GATE].map((a) => [a.user, a.secret])),
  });
  t = await startTestCore();
  const { api } = t;
  const site = async (name: string) => unwrap(await api.sites.create({ name, customer: 'Portside' })).id;
  ids.harbour = await site('Harbour Terminal');
  ids.north = await site('North Yard');
  ids.south = await site('South Gate');
  ids.empty = await site('Empty Lot');

  ids.relay = unwrap(await api.connectors.create(connector(ids.harbour, 'Harbour relay', mail.port))).id;
  unwrap(await api.connectors.setState({ id: ids.relay, state: 'RUN' }));
  ids.closed = unwrap(
    await api.connectors.create(connector(ids.north, 'North relay', await closedPort())),
  ).id;
  unwrap(await api.connectors.setState({ id: ids.closed, state: 'RUN' }));
  // Left STOPPED, as a new connector is.
  ids.stopped = unwrap(await api.connectors.create(connector(ids.south, 'South relay', mail.port))).id;

  const record = async (a: { user: string; secret: string }) =>
    unwrap(await api.vault.create({ account: a.user, provider: 'gmail', label: a.user, secret: a.secret }))
      .id;
  ids.quayRecord = await record(QUAY);
  ids.dockRecord = await record(REVOKED);
  const gateRecord = await record(GATE);
  const camera = async (siteId: string, name: string, more: Record<string, unknown>) =>
    unwrap(await api.cameras.create({ siteId, name, recipients: ['soc@portside.test'], ...more })).id;
  ids.quay = await camera(ids.harbour, 'Quay PTZ', {
    connectorId: ids.relay,
    smtpLogin: QUAY.user,
    appPasswordId: ids.quayRecord,
  });
  ids.gate = await camera(ids.harbour, 'Gate dome', {
    connectorId: ids.relay,
    smtpLogin: GATE.user,
    appPasswordId: gateRecord,
  });
  ids.dock = await camera(ids.harbour, 'Dock bullet', {
    connectorId: ids.relay,
    smtpLogin: REVOKED.user,
    appPasswordId: ids.dockRecord,
  });
  ids.crane = await camera(ids.harbour, 'Crane cam', { connectorId: ids.relay, smtpLogin: UNRECORDED });
  for (const n of [1, 2])
    ids.northCams.push(await camera(ids.north, `North cam ${n}`, { connectorId: ids.closed }));
  for (const n of [1, 2])
    ids.southCams.push(await camera(ids.south, `South cam ${n}`, { connectorId: ids.stopped }));
});
let reopenedDir: string | null = null;
afterAll(async () => {
  await t?.close();
  await mail?.close();
  if (reopenedDir) await rm(reopenedDir, { recursive: true, force: true });
});

describe('before anything was tested', () => {
  it('knows nothing about untested cameras, and says what the inventory alone shows', async () => {
    expect(await cameraHealth(ids.quay)).toMatchObject({ level: 'unknown', lastResult: null });
    const crane = await cameraHealth(ids.crane);
    expect(crane.level).toBe('at-risk');
    expect(crane.reasons[0]!.text).toContain(`logs in as ${UNRECORDED}`);
    const south = await cameraHealth(ids.southCams[0]!);
    expect(south.level).toBe('failing');
    expect(south.reasons[0]!.short).toBe('Connector "South relay" is STOPPED');
    expect(await connectorHealth(ids.relay)).toMatchObject({ level: 'unknown', lastResult: null });
    const overview = unwrap(await t.api.health.overview());
    // The sources every core has: OAuth2 sign-ins, the basic-auth cutoff (issue 14) and heartbeats
    // (issue 12; these cameras expect none, so it says nothing about them).
    expect(overview.sources).toEqual(['sign-in', 'basic-auth cutoff', 'heartbeats']);
    expect(overview.sites.find((s) => s.siteId === ids.empty)).toMatchObject({
      level: 'unknown',
      reasons: [{ short: 'Nothing set up yet' }],
    });
  });
});

describe('a handover run over four sites', () => {
  beforeAll(async () => {
    const run = unwrap(
      await t.api.runs.start({ scope: { siteIds: [ids.harbour, ids.north, ids.south, ids.empty] } }),
    );
    runId = run.id;
    await t.core.runs.settled(run.id);
  });

  it('gives each tested camera its last result: passed, or failed with the class of the failure', async () => {
    const quay = await cameraHealth(ids.quay);
    expect(quay.level).toBe('healthy');
    expect(quay.lastResult).toMatchObject({ ok: true, source: 'run', ref: runId, failureClass: null });
    expect(quay.lastResult!.lastOkAt).toBe(quay.lastResult!.at);
    const dock = await cameraHealth(ids.dock);
    expect(dock.level).toBe('failing');
    expect(dock.lastResult).toMatchObject({ ok: false, source: 'run', failureClass: 'auth-failed' });
    expect(dock.lastResult!.summary).toContain(REVOKED.user);
    expect(dock.lastResult!.lastOkAt).toBeNull();
    for (const id of ids.northCams)
      expect((await cameraHealth(id)).lastResult).toMatchObject({
        ok: false,
        failureClass: 'connection-refused',
      });
    for (const id of ids.southCams)
      expect((await cameraHealth(id)).lastResult).toMatchObject({
        ok: false,
        failureClass: 'connector-stopped',
      });
  });

  it("gives each connector the result of the whole run: a camera's rejected login does not fail the relay that carried the others", async () => {
    const relay = await connectorHealth(ids.relay);
    expect(relay.level).toBe('healthy');
    expect(relay.lastResult).toMatchObject({ ok: true, source: 'run', ref: runId });
    expect(relay.lastResult!.summary).toMatch(
      /^2 of 3 test e-mails delivered in a handover run \(1 camera failed/,
    );
    expect(relay.cameras).toMatchObject({ healthy: 2, failing: 1, 'at-risk': 1 });
    const closed = await connectorHealth(ids.closed);
    expect(closed).toMatchObject({ level: 'failing' });
    expect(closed.lastResult).toMatchObject({ ok: false, failureClass: 'connection-refused' });
    expect(closed.lastResult!.summary).toMatch(/^0 of 2 test e-mails delivered in a handover run: .*refused/);
    const stopped = await connectorHealth(ids.stopped);
    expect(stopped.lastResult).toMatchObject({ ok: false, failureClass: 'connector-stopped' });
  });

  it('does not test a camera whose own app password is not recorded, and says so instead of "login rejected"', async () => {
    const run = unwrap(await t.api.runs.get({ runId }));
    const crane = run.items.find((i) => i.cameraId === ids.crane)!;
    expect(crane.status).toBe('skipped');
    expect(crane.failureClass).toBeNull();
    expect(crane.deliveryId).toBeNull();
    expect(crane.explanation).toContain(`logs in as ${UNRECORDED}, but its own app password is not recorded`);
    expect(crane.explanation).toContain('No server was contacted');
    expect(crane.explanation).not.toMatch(/rejected|enter the password in the connector/i);
    expect(mail.logins.map((l) => l.user)).not.toContain(UNRECORDED);
    // Not tested is not a result: the camera keeps no last result, and its health says what to do.
    const health = await cameraHealth(ids.crane);
    expect(health.lastResult).toBeNull();
    expect(health.reasons.map((r) => r.short)).toContain('App password not recorded');
    // The plan says it before anything is sent.
    const plan = unwrap(await t.api.runs.plan({ scope: { siteIds: [ids.harbour] } }));
    expect(plan.skipped).toEqual([
      expect.objectContaining({ cameraName: 'Crane cam', reason: expect.stringContaining('not recorded') }),
    ]);
  });

  it('rolls sites up worst first, with grouped reasons and when each last worked', async () => {
    const { sites, totals } = unwrap(await t.api.health.overview());
    expect(sites.map((s) => [s.name, s.level])).toEqual([
      ['North Yard', 'failing'],
      ['South Gate', 'failing'],
      ['Harbour Terminal', 'failing'],
      ['Empty Lot', 'unknown'],
    ]);
    const harbour = sites.find((s) => s.siteId === ids.harbour)!;
    expect(harbour.cameras).toEqual({ failing: 1, 'at-risk': 1, healthy: 2, unknown: 0 });
    expect(harbour.lastOkAt).not.toBeNull();
    expect(harbour.reasons.map((r) => r.short)).toEqual([
      '1 camera: login rejected',
      '1 camera: app password not recorded',
    ]);
    const north = sites.find((s) => s.siteId === ids.north)!;
    expect(north.reasons.map((r) => r.short)).toEqual([
      'Connector "North relay": Connection refused',
      '2 cameras: connection refused',
    ]);
    expect(north.lastOkAt).toBeNull();
    const south = sites.find((s) => s.siteId === ids.south)!;
    // The cameras behind the STOPPED connector are said once, by the connector's line.
    expect(south.reasons.map((r) => r.short)).toEqual(['Connector "South relay" is STOPPED']);
    expect(totals.sites).toEqual({ failing: 3, 'at-risk': 0, healthy: 0, unknown: 1 });
    expect(totals.cameras).toEqual({ failing: 5, 'at-risk': 1, healthy: 2, unknown: 0 });
  });
});

describe('verifications and test e-mails', () => {
  it("a verification updates the cameras' and the connector's last results", async () => {
    const report = await verify({ scope: 'record', id: ids.quayRecord });
    expect(report.outcomes[0]).toMatchObject({ ok: true });
    const quay = await cameraHealth(ids.quay);
    expect(quay.lastResult).toMatchObject({ ok: true, source: 'verify', ref: ids.quayRecord });
    const relay = await connectorHealth(ids.relay);
    expect(relay.lastResult).toMatchObject({ ok: true, source: 'verify', ref: ids.quayRecord });
    expect(relay.lastResult!.summary).toContain(`Login of ${QUAY.user} accepted`);

    // A rejected app password is the camera's problem, not the relay's.
    const rejected = await verify({ scope: 'record', id: ids.dockRecord });
    expect(rejected.outcomes[0]).toMatchObject({ ok: false, failureClass: 'auth-failed' });
    expect((await cameraHealth(ids.dock)).lastResult).toMatchObject({ ok: false, source: 'verify' });
    expect((await connectorHealth(ids.relay)).lastResult).toMatchObject({ ok: true, source: 'verify' });
  });

  it("a connector's own test e-mail is its last result", async () => {
    const { deliveryId } = unwrap(
      await t.api.mail.sendTest({ connectorId: ids.relay, to: ['soc@portside.test'], subject: 'Test' }),
    );
    await waitForDelivery(t.api, deliveryId);
    expect((await connectorHealth(ids.relay)).lastResult).toMatchObject({
      ok: true,
      source: 'test',
      ref: deliveryId,
    });
  });

  it('groups a verification of many records into one audit event that names each record', async () => {
    const before = t.core.audit.count();
    const report = await verify({ scope: 'all' });
    expect(report.outcomes.length).toBe(3);
    expect(t.core.audit.count()).toBe(before + 1);
    const events = unwrap(
      await t.api.audit.query({ filter: { recordId: ids.dockRecord, action: 'verify' } }),
    ).rows;
    expect(events[0]!.recordLabel).toBe('3 app passwords verified together');
    expect(events[0]!.detail.split('\n')[0]).toBe('2 accepted, 1 rejected or not checked.');
    // Failures first.
    expect(events[0]!.detail.split('\n')[1]).toContain(REVOKED.user);
  });
});

describe('signal sources', () => {
  it('takes heartbeat states from a registered source, and forgets them when it is removed', async () => {
    let signals: HealthSignal[] = [
      { subject: 'camera', id: ids.quay, level: 'failing', text: 'Heartbeat down' },
    ];
    // Beside the core's own sources (its heartbeat source says nothing: no camera here expects one).
    const remove = t.core.health.register({ name: 'test signals', signals: () => signals });
    expect(unwrap(await t.api.health.overview()).sources).toEqual([
      'sign-in',
      'basic-auth cutoff',
      'heartbeats',
      'test signals',
    ]);
    const quay = await cameraHealth(ids.quay);
    expect(quay.level).toBe('failing');
    expect(quay.reasons[0]).toMatchObject({ source: 'test signals', text: 'Heartbeat down' });
    signals = [{ subject: 'camera', id: ids.crane, level: 'healthy', text: 'Heartbeat up' }];
    // Proof from a heartbeat does not hide what is missing.
    expect((await cameraHealth(ids.crane)).level).toBe('at-risk');
    expect((await cameraHealth(ids.quay)).level).toBe('healthy');
    remove();
    expect(unwrap(await t.api.health.overview()).sources).toEqual([
      'sign-in',
      'basic-auth cutoff',
      'heartbeats',
    ]);
  });
});

describe('history kept before this feature', () => {
  it('fills the last results from the handover runs already in the history', async () => {
    const before = { camera: await cameraHealth(ids.dock), connector: await connectorHealth(ids.closed) };
    const dir = t.dir;
    reopenedDir = dir;
    await t.core.close();
    const { DatabaseSync } = await import('node:sqlite');
    const db = new DatabaseSync(`${dir}/history.sqlite`);
    db.exec('DROP TABLE last_results');
    db.close();
    t = await startTestCore({ dataDir: dir });
    // The dock camera's newest result was a verification (kept on its record); its run is filled in.
    expect((await cameraHealth(ids.dock)).lastResult).toEqual(before.camera.lastResult);
    expect((await connectorHealth(ids.closed)).lastResult).toMatchObject({
      ok: false,
      source: 'run',
      ref: runId,
      failureClass: 'connection-refused',
      summary: before.connector.lastResult!.summary,
    });
    for (const id of ids.northCams)
      expect((await cameraHealth(id)).lastResult).toMatchObject({ ok: false, ref: runId });
  });
});
