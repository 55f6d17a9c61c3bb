import { build } from 'esbuild';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { extname, join, normalize, sep } from 'node:path';
import type { Page } from '@playwright/test';
import type { FilePicker, ReportPrinter } from '../../electron/core/adapters.ts';
import { createDispatcher } from '../../electron/ipc/dispatch.ts';
import { CONTENT_SECURITY_POLICY } from '../../electron/ipc/origin.ts';
import { silentLogger } from '../../electron/core/adapters.ts';
import { startTestCore, type TestCore } from '../helpers/core.ts';
import type { OpenCoreOptions } from '../../electron/core/node.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const RENDERER = join(ROOT, 'dist', 'renderer');
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.map': 'application/json',
};

export interface Harness {
  url: string;
  t: TestCore;
  attach(page: Page): Promise<void>;
  /**
   * Prints handover reports to PDF with Chromium, as the app does with printToPDF: the report page
   * is opened in a new page of `browser` (the harness attached) and printed.
   */
  usePrinter(open: () => Promise<Page>): void;
  close(): Promise<void>;
}

let bridgeScript: Promise<string> | null = null;
function bridge(): Promise<string> {
  bridgeScript ??= build({
    entryPoints: [join(import.meta.dirname, 'bridge-entry.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    write: false,
    logLevel: 'warning',
  }).then((r) => r.outputFiles[0]!.text);
  return bridgeScript;
}

/**
 * The browser test harness: the built renderer served on loopback with the app's CSP, and the
 * real core (same dispatcher as the Electron door) behind the same contract object the preload
 * exposes. Events from the core are pushed into the page as the main process would.
 */
export async function startHarness(
  options: {
    files?: FilePicker;
    dataDir?: string;
    watchMailboxes?: boolean;
    core?: Partial<OpenCoreOptions>;
  } = {},
): Promise<Harness> {
  if (!existsSync(join(RENDERER, 'index.html'))) {
    throw new Error('dist/renderer is missing: run `npm run build` before the browser tests.');
  }
  let openPage: (() => Promise<Page>) | null = null;
  let harnessRef: Harness | null = null;
  const printer: ReportPrinter = {
    async pdf(runId, siteId, paper) {
      if (!openPage || !harnessRef) throw new Error('No printer page: call usePrinter() in the test.');
      const page = await openPage();
      try {
        await harnessRef.attach(page);
        await page.goto(`${harnessRef.url}#/report/${runId}/${siteId}?print=1`);
        await page.waitForSelector('[data-report-ready]');
        return await page.pdf({
          format: paper === 'letter' ? 'Letter' : 'A4',
          landscape: true,
          printBackground: true,
        });
      } finally {
        await page.close();
      }
    },
  };
  const t = await startTestCore({
    ...options.core,
    printer,
    ...(options.files ? { files: options.files } : {}),
    // A folder prepared beforehand (a run a killed program left interrupted, say).
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(options.watchMailboxes ? { watchMailboxes: true } : {}),
  });
  const { dispatch } = createDispatcher(t.core.handlers, silentLogger);
  // Calls travel as JSON over loopback HTTP with a per-run token, as fast as Electron's IPC for
  // the multi-megabyte lists of a large inventory (Playwright bindings are ~20x slower there).
  const token = randomUUID();
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (path.startsWith('/__alertdesk/invoke/') && req.method === 'POST') {
      if (req.headers['x-alertdesk-token'] !== token) {
        res.writeHead(403).end('forbidden');
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        void dispatch(
          path.slice('/__alertdesk/invoke/'.length),
          body === '' ? undefined : JSON.parse(body),
        ).then((result) => {
          res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(result));
        });
      });
      return;
    }
    const file = normalize(join(RENDERER, path === '/' ? 'index.html' : path));
    if (!file.startsWith(RENDERER + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, {
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/index.html`;
  const pages = new Set<Page>();
  t.core.onEvent((message) => {
    for (const page of pages) {
      if (!page.isClosed()) {
        page
          .evaluate((m) => window.__alertdeskEmit(JSON.parse(m)), JSON.stringify(message))
          .catch(() => undefined);
      }
    }
  });

  harnessRef = {
    url,
    t,
    usePrinter(open) {
      openPage = open;
    },
    async attach(page) {
      pages.add(page);
      await page.addInitScript({
        content: `window.__alertdeskToken = ${JSON.stringify(token)};\n${await bridge()}`,
      });
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await t.close();
    },
  };
  return harnessRef;
}
