/**
 * bench:readiness — the Basic-auth readiness report on a large inventory.
 * Builds 100 sites, 200 connectors (Microsoft 365, Outlook.com, Gmail, relays) and 5,000 cameras
 * (half with app-password records), then measures (medians over repeated runs):
 *  - report_ms: the whole report, as the page asks for it;
 *  - csv_ms:    the customer CSV of every site.
 * Last line is JSON: {"cameras": N, "items": I, "report_ms": R, "csv_ms": C}. Target: report < 50 ms.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCore } from '../electron/core/node.ts';
import { storedConnector } from './fixtures.ts';
import type {
  StoredAppPassword,
  StoredCamera,
  StoredConnector,
} from '../electron/core/inventory/inventory.ts';

const CAMERAS = Number(process.env.BENCH_CAMERAS ?? 5000);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const round = (n: number) => Math.round(n * 1000) / 1000;

const dir = await mkdtemp(join(tmpdir(), 'alertdesk-bench-readiness-'));
const core = await openCore({
  dataDir: dir,
  passphrase: 'bench readiness passphrase',
  deliveryThread: false,
});
try {
  const at = new Date().toISOString();
  const sites = Array.from({ length: 100 }, (_, s) =>
    core.sites.create({
      name: `Site ${String(s).padStart(3, '0')}`,
      customer: `Customer ${s % 23}`,
      address: '',
      contact: '',
      notes: '',
      handover: 'commissioning',
    }),
  );
  const hosts = ['smtp.office365.com', 'smtp-mail.outlook.com', 'smtp.gmail.com', 'relay.site.lan'];
  // Written straight into the inventory (one write each): the benchmark measures the report.
  const connectors: StoredConnector[] = sites.flatMap((site, s) =>
    [0, 1].map((k) => {
      const host = hosts[(s + k) % hosts.length]!;
      return storedConnector(
        {
          id: crypto.randomUUID(),
          siteId: site.id,
          title: `${host} ${k}`,
          host,
          auth: host.endsWith('.lan') ? 'none' : 'login',
          username: `alerts${s}@customer${s % 23}.example`,
        },
        at,
      );
    }),
  );
  const records: StoredAppPassword[] = [];
  const cameras: StoredCamera[] = Array.from({ length: CAMERAS }, (_, i) => {
    const connector = connectors[i % connectors.length]!;
    let appPasswordId: string | null = null;
    if (i % 2 === 0) {
      appPasswordId = crypto.randomUUID();
      records.push({
        id: appPasswordId,
        account: `cam${i}@customer.example`,
        provider: 'office365',
        label: `Camera ${i}`,
        secretSealed: null,
        secretDigest: null,
        secretLength: 16,
        status: 'active',
        createdAt: at,
        createdBy: 'bench',
        lastVerified: null,
        replacesId: null,
        replacedById: null,
        retiredAt: null,
        secretDestroyedAt: null,
        notes: '',
      });
    }
    return {
      id: crypto.randomUUID(),
      siteId: connector.siteId,
      name: `Camera ${i}`,
      vendor: 'Axis',
      model: 'Q6135-LE',
      host: '',
      serial: '',
      location: '',
      connectorId: connector.id,
      smtpLogin: appPasswordId ? `cam${i}@customer.example` : '',
      appPasswordId,
      recipients: ['noc@example.test'],
      subjectTemplate: '%Camera_Name%',
      heartbeatMinutes: null,
      notes: '',
      createdAt: at,
      updatedAt: at,
    };
  });
  core.inventory.commit({ connectors, cameras, appPasswords: records });

  const reportTimes: number[] = [];
  const csvTimes: number[] = [];
  let items = 0;
  for (let i = 0; i < 15; i++) {
    let t0 = performance.now();
    const report = await core.handlers.readiness.report(undefined);
    reportTimes.push(performance.now() - t0);
    items = report.items.length;
    t0 = performance.now();
    await core.handlers.readiness.exportCsv(undefined);
    csvTimes.push(performance.now() - t0);
  }
  const report_ms = round(median(reportTimes.slice(3)));
  const csv_ms = round(median(csvTimes.slice(3)));
  console.log(`inventory: ${sites.length} sites, ${connectors.length} connectors, ${CAMERAS} cameras`);
  console.log(`readiness report (${items} items): median ${report_ms} ms over 12 runs`);
  console.log(`customer CSV of every site: median ${csv_ms} ms`);
  console.log(`target: report < 50 ms ${report_ms < 50 ? 'met' : 'MISSED'}`);
  console.log(JSON.stringify({ cameras: CAMERAS, items, report_ms, csv_ms }));
} finally {
  await core.close();
  await rm(dir, { recursive: true, force: true });
}
