/**
 * The program the crash test kills (crash.test.ts): on a fresh data folder it sets up one site,
 * three connectors and argv[4] cameras sending to the test's SMTP server on argv[3], starts a
 * handover run, says `{"runId"}` on stdout, and writes the id of every delivery the app reports as
 * passed to argv[5], one line each, the moment it reports it. It is SIGKILLed somewhere in between.
 */
import { appendFileSync } from 'node:fs';
import { openCore } from '../../electron/core/node.ts';
import type { RunEvent } from '../../shared/runs.ts';
import { RunOptions } from '../../shared/schemas.ts';
import { TEST_PASSPHRASE } from './core.ts';

const [dir, port, cameras, reported] = process.argv.slice(2) as [string, string, string, string];
const core = await openCore({
  dataDir: dir,
  passphrase: TEST_PASSPHRASE,
  osUser: 'crash-child',
  deliveryThread: false,
});
const site = core.sites.create({
  name: 'Crash Site',
  customer: '',
  address: '',
  contact: '',
  notes: '',
  handover: 'commissioning',
});
const connectors = [];
for (let i = 0; i < 3; i++) {
  const c = await core.connectors.create({
    siteId: site.id,
    title: `Relay ${i}`,
    host: '127.0.0.1',
    port: Number(port),
    portIsManual: true,
    security: 'none',
    auth: 'none',
    username: '',
    clearPassword: false,
    oauthAccountId: null,
    allowPlainLogin: false,
    sender: `relay${i}@example.test`,
    senderName: '',
    replyTo: '',
    connectionTimeoutSec: 10,
    trustedCertificatePem: null,
    presetId: null,
    extraProperties: [],
    mailDebug: false,
    pop: null,
    maxSessions: 2,
    rateLimitPerMinute: null,
    dailyLimit: null,
    retryDelaysSec: [],
  });
  core.connectors.setState(c.id, 'RUN');
  connectors.push(c);
}
for (let i = 0; i < Number(cameras); i++) {
  core.cameras.create({
    siteId: site.id,
    name: `Cam ${String(i).padStart(3, '0')}`,
    vendor: '',
    model: '',
    host: '',
    serial: '',
    location: '',
    connectorId: connectors[i % 3]!.id,
    smtpLogin: '',
    appPasswordId: null,
    recipients: ['ops@example.test'],
    subjectTemplate: '%Camera_Name%',
    heartbeatMinutes: null,
    notes: '',
  });
}
core.onEvent((message) => {
  if (message.topic !== 'run') return;
  for (const item of (message.payload as RunEvent).items)
    if (item.status === 'passed' && item.deliveryId) appendFileSync(reported, `${item.deliveryId}\n`);
});
const run = await core.runs.start(RunOptions.parse({ scope: { siteIds: [site.id] } }));
process.stdout.write(`${JSON.stringify({ runId: run.id })}\n`);
await core.runs.settled(run.id);
process.stdout.write(`${JSON.stringify({ finished: true })}\n`);
// Waits to be killed like the rest of them.
setInterval(() => undefined, 1000);
