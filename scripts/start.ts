// `npm start` after the build: makes sure Electron's binary is there (downloading it on first start,
// with a plain message when that fails), then opens the app and passes its exit code on.
import { spawn } from 'node:child_process';
import {
  ROOT,
  downloadElectron,
  downloadFailedMessage,
  electronBinary,
  electronVersion,
} from './electron-binary.ts';

function fail(reason: string): never {
  console.error(downloadFailedMessage(electronVersion(), reason));
  process.exit(1);
}

let found = electronBinary();
if ('missing' in found) {
  console.log(`Downloading Electron ${electronVersion()} from GitHub (first start only, about 100 MB)…`);
  const download = await downloadElectron();
  if (!download.ok) fail(download.reason);
  found = electronBinary();
  if ('missing' in found) fail(found.missing);
}

const app = spawn(found.path, [ROOT, ...process.argv.slice(2)], { stdio: 'inherit', windowsHide: false });
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => app.kill(signal));
app.on('close', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
