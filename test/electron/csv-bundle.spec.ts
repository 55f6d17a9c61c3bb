import { expect, test } from '@playwright/test';
import { CsvThread } from '../../electron/core/inventory/camera-csv-thread.ts';

// What the app loads beside dist/electron/main.js: runs without an Electron binary, after `npm run build`.
test('the bundled CSV thread (dist/electron/camera-csv-worker.cjs) checks a camera file and tells its progress', async () => {
  const thread = new CsvThread(new URL('../../dist/electron/camera-csv-worker.cjs', import.meta.url));
  try {
    const rows = ['Site,Name,Recipients'];
    for (let i = 0; i < 5000; i++) rows.push(`Depot,Cam ${i},ops@example.test`);
    rows.push('Nowhere,Cam x,ops@example.test');
    const phases = new Set<string>();
    const outcome = await thread.check(
      {
        mode: 'preview',
        input: { csv: rows.join('\n') },
        inventory: { sites: [{ id: 's1', name: 'Depot' }], connectors: [], cameras: [], appPasswords: [] },
      },
      (p) => phases.add(p.phase),
    );
    expect(outcome.preview).toMatchObject({ rows: 5001, good: 5000 });
    expect(outcome.errors.map((e) => e.message)).toEqual([
      'There is no site named "Nowhere". Create the site first, or correct the name.',
    ]);
    expect([...phases]).toEqual(expect.arrayContaining(['reading', 'checking']));
  } finally {
    await thread.close();
  }
});
