import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../electron/core/adapters.ts';
import type { ConnectorInput } from '../../shared/schemas.ts';
import { startTestCore, unwrap, type TestCore } from '../helpers/core.ts';

// "Today" for these tests: 30 November 2026, a month before Microsoft's cutoff.
const TODAY = Date.parse('2026-11-30T09:00:00Z');
const clock: Clock = { now: () => TODAY, sleep: async () => undefined };

let t: TestCore;
const ids: Record<string, string> = {};

beforeAll(async () => {
  t = await startTestCore({ clock });
  const site = async (name: string, customer: string) =>
    unwrap(await t.api.sites.create({ name, customer })).id;
  ids.harbour = await site('Harbour Terminal', 'Portside Ltd');
  ids.depot = await site('North Depot', 'Portside Ltd');
  ids.school = await site('Riverside School', 'County Council');
  const connector = async (key: string, fields: Partial<ConnectorInput>) => {
    ids[key] = unwrap(
      await t.api.connectors.create({
        siteId: ids.harbour!,
        title: key,
        host: 'smtp.office365.com',
        port: 587,
        security: 'starttls',
        auth: 'login',
        username: 'alerts@portside.example',
        password: 'Secret-Pass-1',
        sender: 'alerts@portside.example',
        ...fields,
      }),
    ).id;
  };
  await connector('m365', { presetId: 'office365' });
  await connector('m365-disabled', { username: 'gate@portside.example', sender: 'gate@portside.example' });
  await connector('outlook', {
    siteId: ids.depot,
    host: 'smtp-mail.outlook.com',
    username: 'depotcams@outlook.com',
    sender: 'depotcams@outlook.com',
  });
  await connector('gmail', {
    siteId: ids.school,
    host: 'smtp.gmail.com',
    port: 465,
    security: 'tls',
    username: 'school.alerts@gmail.com',
    sender: 'school.alerts@gmail.com',
  });
  await connector('relay', {
    siteId: ids.depot,
    host: 'relay.depot.lan',
    port: 25,
    security: 'none',
    auth: 'none',
    username: '',
    password: '',
    sender: 'cams@portside.example',
  });
  await connector('preset-only', {
    siteId: ids.school,
    host: 'mail.council.example',
    presetId: 'office365',
    username: 'cctv@council.example',
    sender: 'cctv@council.example',
  });
  // A test e-mail that Microsoft refused because SMTP AUTH is off: evidence, not a guess.
  const inventory = t.core.inventory;
  inventory.commit({
    connectors: inventory.connectors.map((c) =>
      c.id === ids['m365-disabled']
        ? {
            ...c,
            lastTest: {
              at: '2026-11-29T10:00:00.000Z',
              ok: false,
              deliveryId: 'd1',
              failureClass: 'basic-auth-disabled',
              summary: '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled',
            },
          }
        : c,
    ),
  });
  const record = unwrap(
    await t.api.vault.create({
      account: 'cam-gate@portside.example',
      provider: 'office365',
      label: 'Gate camera',
      secret: 'qwertyuiopasdfgh',
    }),
  ).id;
  const camera = async (name: string, siteId: string, connectorId: string | null, extra = {}) =>
    unwrap(await t.api.cameras.create({ siteId, name, connectorId, ...extra })).id;
  ids.gate = await camera('=Gate PTZ', ids.harbour!, ids.m365!, {
    smtpLogin: 'cam-gate@portside.example',
    appPasswordId: record,
  });
  ids.quay = await camera('Quay 2', ids.harbour!, ids.m365!);
  ids.yard = await camera('Yard dome', ids.depot!, ids.relay!, { smtpLogin: 'x@portside.example' });
  ids.hall = await camera('Hall', ids.school!, ids.gmail!);
  ids.loose = await camera('Loose camera', ids.school!, null, { appPasswordId: record });
});
afterAll(async () => {
  await t.close();
});

describe('basic-auth readiness', () => {
  it('lists every password login to Microsoft 365 / Outlook.com and every Gmail app password, with its verdict', async () => {
    const report = unwrap(await t.api.readiness.report());
    const verdicts = Object.fromEntries(report.items.map((i) => [`${i.kind}:${i.name}`, i.verdict]));
    expect(verdicts).toEqual({
      'connector:m365': 'stops',
      'connector:m365-disabled': 'stopped',
      'camera:=Gate PTZ': 'stops',
      'camera:Quay 2': 'stops',
      'connector:outlook': 'stopped',
      'connector:gmail': 'at-risk',
      'camera:Hall': 'at-risk',
      'connector:preset-only': 'stops',
      'camera:Loose camera': 'stops',
    });
    // The relay and the camera behind it log in to no provider.
    expect(report.items.some((i) => i.name === 'relay' || i.name === 'Yard dome')).toBe(false);
    expect(report.cutoff).toBe('2026-12-31');
    expect(report.daysLeft).toBe(31);
    expect(report.counts).toEqual({
      sites: 3,
      accounts: 6,
      connectors: 5,
      cameras: 4,
      byVerdict: { stopped: 2, stops: 5, 'at-risk': 2, ready: 0 },
    });
  });

  it('says how each was detected, what stops, and offers the ways out that fit', async () => {
    const { items } = unwrap(await t.api.readiness.report());
    const by = (name: string) => items.find((i) => i.name === name)!;
    expect(by('m365').detectedBy).toBe('host smtp.office365.com');
    expect(by('preset-only').detectedBy).toMatch(/^preset Office 365/);
    expect(by('Loose camera').detectedBy).toMatch(/app password record/);
    expect(by('m365').whatStops).toBe('Test e-mails and runs stop from 31 Dec 2026 (535 5.7.139).');
    expect(by('Quay 2').whatStops).toBe('Alert e-mails stop from 31 Dec 2026 (535 5.7.139).');
    expect(by('m365-disabled').whatStops).toMatch(/already refused: SMTP AUTH is off/);
    expect(by('m365').options).toEqual(['oauth2-connector']);
    expect(by('=Gate PTZ').options).toEqual(['site-relay', 'm365-relay-connector', 'other-provider']);
    expect(by('=Gate PTZ').account).toBe('cam-gate@portside.example');
    expect(by('=Gate PTZ').login).toBe('app password');
    expect(by('Quay 2').account).toBe('alerts@portside.example');
    expect(by('outlook').whatStops).toBe('Test e-mails and runs already refused (since Sept 2024).');
    expect(by('m365-disabled').lastResult).toMatch(/5\.7\.139/);
    expect(by('Hall').options[0]).toBe('keep-verified');
  });

  it('groups by site, then account, connectors first', async () => {
    const { items } = unwrap(await t.api.readiness.report());
    expect(items.map((i) => `${i.siteName}|${i.account}|${i.kind}`)).toEqual([
      'Harbour Terminal|alerts@portside.example|connector',
      'Harbour Terminal|alerts@portside.example|camera',
      'Harbour Terminal|cam-gate@portside.example|camera',
      'Harbour Terminal|gate@portside.example|connector',
      'North Depot|depotcams@outlook.com|connector',
      'Riverside School|cam-gate@portside.example|camera',
      'Riverside School|cctv@council.example|connector',
      'Riverside School|school.alerts@gmail.com|connector',
      'Riverside School|school.alerts@gmail.com|camera',
    ]);
  });

  it('narrows to one customer or one site for the customer export', async () => {
    const portside = unwrap(await t.api.readiness.report({ customer: 'Portside Ltd' }));
    expect(new Set(portside.items.map((i) => i.customer))).toEqual(new Set(['Portside Ltd']));
    const depot = unwrap(await t.api.readiness.report({ siteId: ids.depot! }));
    expect(depot.items.map((i) => i.name)).toEqual(['outlook']);
  });

  it('exports CSV for spreadsheets (formulas escaped), named after the scope, and audits it', async () => {
    const out = unwrap(await t.api.readiness.exportCsv({ customer: 'Portside Ltd' }));
    expect(out.filename).toMatch(/^basic-auth-readiness-portside-ltd-2026-11-30-09-00\.csv$/);
    expect(out.rows).toBe(5);
    const lines = out.csv.replace(/^\uFEFF/, '').split('\r\n');
    expect(lines[0]).toBe(
      'site,customer,account,provider,kind,name,connector,login,detected_by,verdict,what_stops,options,last_result',
    );
    expect(out.csv).toContain("'=Gate PTZ");
    expect(out.csv).toContain('Stops at the cutoff');
    expect(out.csv).toContain('An SMTP relay on site; Microsoft 365 relay connector');
    expect(out.csv).not.toContain('Secret-Pass-1');
    const audit = unwrap(await t.api.audit.query({ filter: { action: 'export' } })).rows;
    expect(audit[0]).toMatchObject({
      recordLabel: 'basic-auth readiness CSV: Portside Ltd',
      detail: '5 row(s)',
    });
  });

  it('puts password logins to Microsoft 365 at risk in health, and already refused ones failing', async () => {
    const connectors = unwrap(await t.api.health.connectors());
    const reasonsOf = (id: string) =>
      connectors.find((c) => c.connectorId === id)!.reasons.filter((r) => r.source === 'basic-auth cutoff');
    expect(reasonsOf(ids.m365!)).toEqual([
      expect.objectContaining({
        level: 'at-risk',
        text: 'Password login stops on 2026-12-31 (see Basic-auth readiness)',
      }),
    ]);
    expect(reasonsOf(ids.outlook!)[0]).toMatchObject({ level: 'failing' });
    expect(reasonsOf(ids.gmail!)).toEqual([]);
    expect(reasonsOf(ids.relay!)).toEqual([]);
    const cameras = unwrap(await t.api.health.cameras());
    const quay = cameras.find((c) => c.cameraId === ids.quay)!;
    expect(quay.reasons.some((r) => r.source === 'basic-auth cutoff' && r.level === 'at-risk')).toBe(true);
  });

  it('lists an OAuth2 connector as ready and keeps its cameras as stopping (cameras cannot do OAuth2)', async () => {
    const inventory = t.core.inventory;
    inventory.commit({
      oauthAccounts: [
        {
          id: 'acc-1',
          provider: 'microsoft',
          account: 'alerts@portside.example',
          aliases: [],
          displayName: '',
          tenantId: null,
          access: ['smtp'],
          signedInAt: '2026-11-30T08:00:00.000Z',
          signedInBy: 'tester',
          status: 'signed-in',
          lastRefresh: null,
          refreshTokenSealed: 'x',
          subject: 's',
          clientId: 'c',
          tenant: 'common',
        },
      ],
      connectors: inventory.connectors.map((c) =>
        c.id === ids.m365 ? { ...c, auth: 'xoauth2' as const, oauthAccountId: 'acc-1' } : c,
      ),
    });
    const { items, counts } = unwrap(await t.api.readiness.report({ siteId: ids.harbour! }));
    expect(items.find((i) => i.name === 'm365')).toMatchObject({
      verdict: 'ready',
      login: 'OAuth2',
      options: [],
    });
    expect(items.find((i) => i.name === 'Quay 2')?.verdict).toBe('stops');
    expect(counts.byVerdict.ready).toBe(1);
    expect(counts.connectors).toBe(1);
  });
});
