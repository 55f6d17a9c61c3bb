import { BrowserWindow, type WebContents } from 'electron';
import type { ReportPrinter } from '../core/adapters.ts';
import { APP_ORIGIN } from '../ipc/origin.ts';

/**
 * Prints a site's handover report to PDF: the report page is loaded in a hidden, equally
 * locked-down window (same preload, sandbox, CSP) and printed with Chromium's printToPDF.
 */
export function electronReportPrinter(options: {
  preload: string;
  trust: (contents: WebContents) => void;
  untrust: (contents: WebContents) => void;
}): ReportPrinter {
  return {
    async pdf(runId, siteId, paper) {
      const window = new BrowserWindow({
        show: false,
        width: 1240,
        height: 1754,
        webPreferences: {
          preload: options.preload,
          contextIsolation: true,
          sandbox: true,
          nodeIntegration: false,
          spellcheck: false,
        },
      });
      options.trust(window.webContents);
      try {
        await window.loadURL(
          `${APP_ORIGIN}/index.html#/report/${encodeURIComponent(runId)}/${encodeURIComponent(siteId)}?print=1`,
        );
        // The page says when its data is in: wait for it (at most 15 s).
        for (let i = 0; i < 150; i++) {
          const ready = (await window.webContents.executeJavaScript(
            "document.querySelector('[data-report-ready]') !== null",
          )) as boolean;
          if (ready) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        return await window.webContents.printToPDF({
          printBackground: true,
          landscape: true,
          pageSize: paper === 'letter' ? 'Letter' : 'A4',
        });
      } finally {
        options.untrust(window.webContents);
        window.destroy();
      }
    },
  };
}
