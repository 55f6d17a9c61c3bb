/**
 * bench:health — the health roll-up behind the Overview, the Sites, Connectors and Cameras pages.
 * An inventory of 100 sites, 200 connectors and 5,000 cameras (1,000 with their own app-password
 * record), every camera and connector with a last result (a tenth failed), then measures
 * (medians over repeated calls):
 *  - overview_ms: `health.overview` (every site, worst first, with grouped reasons);
 *  - cameras_ms:  `health.cameras` (every camera's health and last result, for the Cameras table).
 * Last line is JSON: {"cameras": N, "overview_ms": O, "cameras_ms": C}. Target: both < 50 ms.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCore } from '../electron/core/node.ts';
import { storedConnector } from './fixtures.ts';
import { median, round2 } from './stats.ts';
import { commitWrites, write } from '../electron/core/history/db.ts';
import type {
  StoredAppPassword,
  StoredCamera,
  StoredConnector,
  StoredSite,
} from '../electron/core/inventory/inventory.ts';

const SITES = 100;
const CONNECTORS_PER_SITE = 2;
const CAMERAS_PER_SITE = Number(process.env.BENCH_CAMERAS_PER_SITE ?? 50);

const dir = await mkdtemp(join(tmpdir(), 'alertdesk-bench-health-'));
const core = await openCore({ dataDir: dir, passphrase: 'benchmark passphrase' });
try {
  const at = new Date().toISOString();
  const sites: StoredSite[] = [];
  const connectors: StoredConnector[] = [];
  const cameras: StoredCamera[] = [];
  const records: StoredAppPassword[] = [];
  for (let s = 0; s < SITES; s++) {
    const siteId = `site-${s}`;
    sites.push({
      id: siteId,
      name: `Site ${s}`,
      customer: `Customer ${s % 17}`,
      address: '',
      contact: '',
      notes: '',
      handover: 'commissioning',
      handedOverAt: null,
      createdAt: at,
      updatedAt: at,
    });
    for (let c = 0; c < CONNECTORS_PER_SITE; c++) {
      connectors.push(
        storedConnector(
          {
            id: `connector-${s}-${c}`,
            siteId,
            title: `Relay ${c}`,
            host: 'smtp.example.test',
            username: `alerts${s}@example.test`,
            state: s % 37 === 0 && c === 1 ? 'STOPPED' : 'RUN',
          },
          at,
        ),
      );
    }
    for (let n = 0; n < CAMERAS_PER_SITE; n++) {
      const own = n % 5 === 0;
      const id = `camera-${s}-${n}`;
      if (own)
        records.push({
          id: `record-${s}-${n}`,
          account: `cam${n}@site${s}.example.test`,
          provider: 'gmail',
          label: `Camera ${n}`,
          secretSealed: 'sealed',
          secretDigest: `digest-${s}-${n}`,
          secretLength: 16,
          status: n % 45 === 0 ? 'suspected-revoked' : 'active',
          createdAt: at,
          createdBy: 'bench',
          lastVerified: null,
          replacesId: null,
          replacedById: null,
          retiredAt: null,
          secretDestroyedAt: null,
          notes: '',
        });
      cameras.push({
        id,
        siteId,
        name: `Camera ${n}`,
        vendor: 'Axis',
        model: 'P3245',
        host: `10.${s}.0.${n}`,
        serial: `SN-${s}-${n}`,
        location: '',
        connectorId: `connector-${s}-${n % CONNECTORS_PER_SITE}`,
        smtpLogin: own ? `cam${n}@site${s}.example.test` : `alerts${s}@example.test`,
        appPasswordId: own ? `record-${s}-${n}` : null,
        recipients: ['soc@example.test'],
        subjectTemplate: '',
        heartbeatMinutes: 60,
        notes: '',
        createdAt: at,
        updatedAt: at,
      });
    }
  }
  core.inventory.commit({ sites, connectors, cameras, appPasswords: records });
  const insert = core.db.prepare(
    `INSERT INTO last_results (subject, id, at, ok, source, ref, failure_class, summary, last_ok_at) VALUES (?, ?, ?, ?, 'run', 'run-1', ?, ?, ?)`,
  );
  const now = Date.now();
  // Inside the history's own write batch, committed below.
  write(core.db, () => {
    for (const [i, c] of cameras.entries()) {
      const ok = i % 10 !== 0;
      insert.run(
        'camera',
        c.id,
        now - i * 1000,
        ok ? 1 : 0,
        ok ? null : 'auth-failed',
        ok ? 'Delivered' : 'Rejected',
        ok ? now - i * 1000 : null,
      );
    }
    for (const c of connectors) insert.run('connector', c.id, now, 1, null, '25 of 25 delivered', now);
  });
  commitWrites(core.db);

  const time = (work: () => unknown) => {
    const runs: number[] = [];
    for (let i = 0; i < 21; i++) {
      const start = performance.now();
      work();
      runs.push(performance.now() - start);
    }
    return round2(median(runs.slice(1)));
  };
  const overview = core.health.overview();
  console.log(
    `${cameras.length} cameras, ${connectors.length} connectors, ${sites.length} sites: ` +
      `${overview.totals.sites.failing} sites failing, ${overview.totals.cameras.failing} cameras failing`,
  );
  const overview_ms = time(() => core.health.overview());
  const cameras_ms = time(() => core.health.cameras());
  const connectors_ms = time(() => core.health.connectors());
  console.log(
    `overview ${overview_ms} ms, cameras ${cameras_ms} ms, connectors ${connectors_ms} ms (medians of 20)`,
  );
  console.log(JSON.stringify({ cameras: cameras.length, overview_ms, cameras_ms }));
} finally {
  await core.close();
  await rm(dir, { recursive: true, force: true });
}
