import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillHistory } from '../helpers/history-fill.ts';
import { failure, startTestCore, unwrap, type TestCore } from '../helpers/core.ts';
import { fakeClock } from '../helpers/clock.ts';

const DAY = 86_400_000;
let t: TestCore;
const clock = fakeClock();
let now: number;

beforeAll(async () => {
  t = await startTestCore({ clock });
  now = clock.now();
  fillHistory(t.core.deliveries, {
    deliveries: 1500,
    sites: 5,
    connectorsPerSite: 3,
    camerasPerSite: 20,
    spanMs: 60 * DAY,
    now,
    seed: 7,
  });
});
afterAll(() => t.close());

const all = () => t.core.db.prepare('SELECT * FROM deliveries').all() as Array<Record<string, unknown>>;

describe('the Delivery table query', () => {
  it('pages through every delivery, newest first, with the total', async () => {
    const first = unwrap(await t.api.deliveries.query({ limit: 100 }));
    expect(first.total).toBe(1500);
    expect(first.rows).toHaveLength(100);
    const times = first.rows.map((r) => Date.parse(r.createdAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    const last = unwrap(await t.api.deliveries.query({ limit: 100, offset: 1450 }));
    expect(last.rows).toHaveLength(50);
    expect(new Set([...first.rows, ...last.rows].map((r) => r.id)).size).toBe(150);
  });

  it('filters by site, status, class and date range together, matching a plain scan', async () => {
    const from = new Date(now - 30 * DAY).toISOString();
    const to = new Date(now - 5 * DAY).toISOString();
    const page = unwrap(
      await t.api.deliveries.query({
        filter: {
          siteId: 'site-2',
          status: ['failed'],
          failureClass: ['auth-failed', 'rate-limited'],
          from,
          to,
        },
        limit: 500,
      }),
    );
    const expected = all().filter(
      (d) =>
        d.site_id === 'site-2' &&
        d.status === 'failed' &&
        ['auth-failed', 'rate-limited'].includes(d.failure_class as string) &&
        (d.created_at as number) >= Date.parse(from) &&
        (d.created_at as number) <= Date.parse(to),
    );
    expect(expected.length).toBeGreaterThan(3);
    expect(page.total).toBe(expected.length);
    expect(page.rows.map((r) => r.id).sort()).toEqual(expected.map((d) => d.id as string).sort());
  });

  it('filters by connector and camera and searches the subject', async () => {
    const byCamera = unwrap(await t.api.deliveries.query({ filter: { cameraId: 'cam-1-3' }, limit: 500 }));
    expect(byCamera.rows.every((r) => r.cameraId === 'cam-1-3')).toBe(true);
    expect(byCamera.total).toBe(all().filter((d) => d.camera_id === 'cam-1-3').length);
    const byConnector = unwrap(await t.api.deliveries.query({ filter: { connectorId: 'conn-0-2' } }));
    expect(byConnector.rows.every((r) => r.connectorId === 'conn-0-2')).toBe(true);
    const search = unwrap(await t.api.deliveries.query({ filter: { search: 'Camera 4.17' }, limit: 500 }));
    expect(search.total).toBe(all().filter((d) => String(d.subject).includes('Camera 4.17')).length);
    const literal = unwrap(await t.api.deliveries.query({ filter: { search: '100%_' } }));
    expect(literal.total).toBe(0);
  });

  it('sorts by any column, both ways', async () => {
    const asc = unwrap(
      await t.api.deliveries.query({ sort: { column: 'durationMs', direction: 'asc' }, limit: 300 }),
    );
    const d = asc.rows.map((r) => r.durationMs ?? -1);
    expect([...d].sort((a, b) => a - b)).toEqual(d);
    const desc = unwrap(
      await t.api.deliveries.query({ sort: { column: 'siteName', direction: 'desc' }, limit: 300 }),
    );
    expect(desc.rows[0]!.siteName).toBe('Site 4');
  });

  it('refuses a date range that ends before it starts, at "filter.to"', async () => {
    const error = failure(
      await t.api.deliveries.query({
        filter: { from: new Date(now).toISOString(), to: new Date(now - DAY).toISOString() },
      }),
    );
    expect(error).toMatchObject({ code: 'invalid-input', field: 'filter.to' });
  });

  it('exports the filtered rows as CSV without transcripts, safe to open in a spreadsheet', async () => {
    const out = unwrap(
      await t.api.deliveries.exportCsv({ filter: { siteId: 'site-0', status: ['failed'] } }),
    );
    const parsed = Papa.parse<Record<string, string>>(out.csv.replace(/^\uFEFF/, ''), {
      header: true,
      skipEmptyLines: true,
    });
    expect(parsed.data).toHaveLength(out.rows);
    expect(out.rows).toBe(all().filter((d) => d.site_id === 'site-0' && d.status === 'failed').length);
    expect(parsed.meta.fields).toEqual([
      'time',
      'status',
      'failure_class',
      'site',
      'connector',
      'camera',
      'kind',
      'subject',
      'from',
      'to',
      'attempts',
      'duration_ms',
      'server_reply',
      'message_id',
      'run_id',
      'arrival',
    ]);
    expect(out.csv).not.toMatch(/AUTH PLAIN|EHLO/);
    expect(out.filename).toMatch(/^alertdesk-deliveries-.*\.csv$/);
  });
});

describe('retention', () => {
  it('keeps 180 days by default and drops older history when the setting is lowered', async () => {
    expect(unwrap(await t.api.settings.get())).toMatchObject({ historyRetentionDays: 180 });
    const older = all().filter((d) => (d.created_at as number) < now - 10 * DAY).length;
    expect(older).toBeGreaterThan(0);
    expect(failure(await t.api.settings.update({ historyRetentionDays: 3 }))).toMatchObject({
      field: 'historyRetentionDays',
    });
    unwrap(await t.api.settings.update({ historyRetentionDays: 10 }));
    expect(all().length).toBe(1500 - older);
    expect(all().every((d) => (d.created_at as number) >= now - 10 * DAY)).toBe(true);
    const orphans = t.core.db
      .prepare('SELECT COUNT(*) AS n FROM attempts WHERE delivery_id NOT IN (SELECT id FROM deliveries)')
      .get() as { n: number };
    expect(orphans.n).toBe(0);
  });
});
