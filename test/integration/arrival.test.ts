/**
 * Arrival proof against the real delivery engine and a real SMTP server; the watched mailboxes are
 * played by publishing to the inbound hub directly, which is exactly what a mailbox watcher does.
 * A manual clock drives the wait, so "not arrived after 5 minutes" takes no 5 minutes.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryArrival } from '../../shared/arrival.ts';
import type { DeliveryDetail } from '../../shared/delivery.ts';
import { TOKEN_HEADER, type FolderRole } from '../../shared/inbound.ts';
import { landMessage, relayConnector, watchedMailbox } from '../helpers/arrival.ts';
import { manualClock } from '../helpers/clock.ts';
import { closedPort } from '../helpers/faults.ts';
import { startTestCore, unwrap, waitForDelivery, type TestCore } from '../helpers/core.ts';
import { header } from '../helpers/runs.ts';
import { startSmtpServer, type ReceivedMessage, type TestSmtpServer } from '../helpers/smtp.ts';

const clock = manualClock();
let t: TestCore;
let smtp: TestSmtpServer;
let siteId: string;
let connectorId: string;

const MINUTE = 60_000;
const CONTROL_ROOM = 'control@customer.test';
const NIGHT_DESK = 'night@customer.test';
const UNWATCHED = 'owner@elsewhere.test';

/** What a watcher does when it reads the message in a folder: publish it to the hub (at the test clock's time). */
const land = (
  mailboxId: string,
  m: ReceivedMessage,
  folderRole: FolderRole,
  options: { authResults?: string; stripToken?: boolean } = {},
) => landMessage(t.core.inbound, mailboxId, m, folderRole, { ...options, receivedAt: new Date(clock.now()) });

async function sendTest(to: string[], more: { subject?: string; tokenInSubject?: boolean } = {}) {
  const { deliveryId } = unwrap(
    await t.api.mail.sendTest({
      connectorId,
      to,
      subject: more.subject ?? 'Arrival test',
      body: 'x',
      ...more,
    }),
  );
  expect((await waitForDelivery(t.api, deliveryId)).status).toBe('sent');
  // the wait opens just after the outcome (with the others of that turn)
  await new Promise((resolve) => setImmediate(resolve));
  const detail = unwrap(await t.api.deliveries.get({ id: deliveryId }));
  const received = smtp.received.find((m) => header(m, TOKEN_HEADER) === tokenOf(detail));
  return { detail, received: received! };
}

const tokenOf = (d: DeliveryDetail) => d.arrivalProof?.token ?? null;

/** Resolves with the delivery's arrival once it leaves "waiting" (or at once if it has). */
function settled(deliveryId: string): Promise<DeliveryArrival | null> {
  return t.core.arrival.settled(deliveryId);
}

async function proof(deliveryId: string): Promise<DeliveryArrival> {
  return unwrap(await t.api.arrival.get({ id: deliveryId }))!;
}

beforeAll(async () => {
  smtp = await startSmtpServer({ mode: 'none' });
  t = await startTestCore({ clock });
  siteId = unwrap(await t.api.sites.create({ name: 'Harbour' })).id;
  connectorId = await relayConnector(t.api, siteId, 'Relay', smtp.port);
  t.core.inventory.commit({
    mailboxes: [
      watchedMailbox('mb-control', 'Control room mailbox', [CONTROL_ROOM]),
      watchedMailbox('mb-night', 'Night desk mailbox', [NIGHT_DESK]),
    ],
  });
  t.core.inbound.reportHealth('mb-control', 'connected', true);
  t.core.inbound.reportHealth('mb-night', 'connected', true);
});

afterAll(async () => {
  await t.close();
  await smtp.close();
});

describe('arrival proof', () => {
  it('puts a unique token in every test e-mail and stores it on the delivery', async () => {
    const a = await sendTest([CONTROL_ROOM]);
    const b = await sendTest([CONTROL_ROOM]);
    expect(tokenOf(a.detail)).toMatch(/^[0-9A-HJKMNP-TV-Z]{12}$/);
    expect(tokenOf(b.detail)).not.toBe(tokenOf(a.detail));
    expect(header(a.received, TOKEN_HEADER)).toBe(tokenOf(a.detail));
    expect(a.received.parsed.subject).toBe('Arrival test'); // no subject suffix unless asked for
    expect(a.detail.arrival).toBe('waiting');
    expect(a.detail.arrivalProof?.recipients[0]).toMatchObject({
      recipient: CONTROL_ROOM,
      state: 'waiting',
      mailboxTitle: 'Control room mailbox',
    });
  });

  it('arrived: the Inbox, when, how long after the accept, and SPF/DKIM/DMARC from Authentication-Results', async () => {
    const { detail, received } = await sendTest([CONTROL_ROOM]);
    const events: DeliveryArrival[] = [];
    const off = t.api.events.on('arrival', (e) => events.push(e.arrival));
    await clock.advance(90_000);
    land('mb-control', received, 'inbox', {
      authResults:
        'mx.customer.test; spf=fail (domain of alerts@harbour.test does not designate 127.0.0.1 as permitted sender) smtp.mailfrom=alerts@harbour.test; dkim=pass header.d=harbour.test; dmarc=pass header.from=harbour.test',
    });
    const arrival = await settled(detail.id);
    off();
    expect(arrival?.overall).toBe('arrived');
    expect(arrival?.recipients[0]).toMatchObject({
      state: 'arrived',
      folder: 'INBOX',
      folderRole: 'inbox',
      mailboxId: 'mb-control',
      minutesAfter: 1.5,
    });
    expect(arrival?.summary).toBe(
      'Arrived in the Inbox of Control room mailbox 1.5 min after the server accepted it.',
    );
    const spf = arrival?.recipients[0]?.auth?.checks.find((c) => c.method === 'spf');
    expect(spf).toMatchObject({ result: 'fail', ok: false });
    expect(arrival?.fix).toMatch(
      /does not allow this server to send for it: add .* SPF record of harbour\.test/,
    );
    expect(events.map((e) => e.overall)).toContain('arrived');
    // the Delivery table has it as a column and a filter
    const page = unwrap(await t.api.deliveries.query({ filter: { arrival: ['arrived'] } }));
    expect(page.rows.map((r) => r.id)).toContain(detail.id);
    expect(page.rows.every((r) => r.arrival === 'arrived')).toBe(true);
    const csv = unwrap(await t.api.deliveries.exportCsv({ filter: { arrival: ['arrived'] } }));
    expect(csv.csv.split('\n')[0]).toMatch(/arrival/);
  });

  it('in Junk: the folder is named and the fix says what to do', async () => {
    const { detail, received } = await sendTest([NIGHT_DESK]);
    land('mb-night', received, 'junk');
    const arrival = await settled(detail.id);
    expect(arrival?.overall).toBe('junk');
    expect(arrival?.recipients[0]).toMatchObject({ state: 'junk', folder: 'Junk', folderRole: 'junk' });
    expect(arrival?.summary).toMatch(/^Arrived in the Junk folder \(Junk\) of Night desk mailbox/);
    expect(arrival?.fix).toMatch(
      /mark the message as not junk and add alerts@harbour\.test to the safe senders/,
    );
  });

  it('not arrived: decided when the wait (5 min by default) ends, by one timer, while the mailbox is watched', async () => {
    const { detail } = await sendTest([CONTROL_ROOM]);
    await clock.advance(4 * MINUTE);
    expect((await proof(detail.id)).overall).toBe('waiting');
    await clock.advance(MINUTE + 1000);
    const arrival = await settled(detail.id);
    expect(arrival?.overall).toBe('not-arrived');
    expect(arrival?.recipients[0]?.reason).toBe(
      'Not in Control room mailbox 5 min after the server accepted it.',
    );
    expect(arrival?.fix).toMatch(/did not receive it: look in the provider's quarantine or message trace/);
  });

  it('a message that turns up after the wait moves the verdict to arrived, noted as late', async () => {
    const { detail, received } = await sendTest([CONTROL_ROOM]);
    await clock.advance(6 * MINUTE);
    expect((await settled(detail.id))?.overall).toBe('not-arrived');
    land('mb-control', received, 'inbox');
    const arrival = await proof(detail.id);
    expect(arrival.overall).toBe('arrived');
    expect(arrival.recipients[0]?.reason).toMatch(/landed after the 5-minute wait/);
    expect(arrival.recipients[0]?.minutesAfter).toBeGreaterThanOrEqual(6);
  });

  it('not checked: no watched mailbox receives the recipient — at once, saying which address to add', async () => {
    const { detail } = await sendTest([UNWATCHED]);
    const arrival = await settled(detail.id);
    expect(arrival?.overall).toBe('not-checked');
    expect(arrival?.recipients[0]?.reason).toBe(
      `No watched mailbox receives ${UNWATCHED}: add the address to a watched mailbox to prove arrival.`,
    );
    expect(arrival?.fix).toMatch(/add owner@elsewhere\.test to a watched mailbox's addresses/);
  });

  it('not checked: the watcher was not watching when the wait ended — and not arrived once it is watching again', async () => {
    const { detail } = await sendTest([NIGHT_DESK]);
    t.core.inbound.reportHealth('mb-night', 'reconnecting', false);
    await clock.advance(6 * MINUTE);
    const arrival = await settled(detail.id);
    expect(arrival?.overall).toBe('not-checked');
    expect(arrival?.recipients[0]?.reason).toMatch(
      /^Night desk mailbox was not being watched when the wait ended \(reconnecting since .*\): AlertDesk cannot tell whether it arrived/,
    );
    t.core.inbound.reportHealth('mb-night', 'connected', true);
    const after = await proof(detail.id);
    expect(after.overall).toBe('not-arrived');
    expect(after.recipients[0]?.reason).toMatch(/when it was watched again after the wait/);
  });

  it('one verdict per recipient; the delivery’s is the worst of those checked', async () => {
    const { detail, received } = await sendTest([CONTROL_ROOM, NIGHT_DESK, UNWATCHED]);
    land('mb-control', received, 'inbox');
    land('mb-night', received, 'junk');
    const arrival = await settled(detail.id);
    expect(arrival?.recipients.map((r) => [r.recipient, r.state])).toEqual([
      [CONTROL_ROOM, 'arrived'],
      [NIGHT_DESK, 'junk'],
      [UNWATCHED, 'not-checked'],
    ]);
    expect(arrival?.overall).toBe('junk');
    expect(arrival?.summary).toBe('3 recipients: 1 arrived, 1 in Junk, 1 not checked.');
  });

  it('finds the message by the subject suffix when a server strips the token header', async () => {
    const { detail, received } = await sendTest([CONTROL_ROOM], {
      subject: 'Stripped',
      tokenInSubject: true,
    });
    expect(received.parsed.subject).toBe(`Stripped [AD:${tokenOf(detail)}]`);
    land('mb-control', received, 'inbox', { stripToken: true });
    expect((await settled(detail.id))?.overall).toBe('arrived');
  });

  it('a message that landed before the server’s reply reached AlertDesk still counts', async () => {
    // a server that holds its 250 back: the mailbox has the message before AlertDesk hears the reply
    const slow = await startSmtpServer({ mode: 'none', dataDelayMs: 400 });
    try {
      const slowId = await relayConnector(t.api, siteId, 'Slow relay', slow.port);
      const { deliveryId } = unwrap(
        await t.api.mail.sendTest({ connectorId: slowId, to: [CONTROL_ROOM], subject: 'Early', body: 'x' }),
      );
      while (slow.received.length === 0) await new Promise((r) => setTimeout(r, 5));
      expect(t.core.deliveries.summary(deliveryId)?.status).not.toBe('sent');
      land('mb-control', slow.received[0]!, 'inbox');
      expect((await waitForDelivery(t.api, deliveryId)).status).toBe('sent');
      expect((await settled(deliveryId))?.overall).toBe('arrived');
    } finally {
      await slow.close();
    }
  });

  it('a delivery that failed gets no arrival verdict', async () => {
    const deadId = await relayConnector(t.api, siteId, 'Nowhere', await closedPort());
    const { deliveryId } = unwrap(
      await t.api.mail.sendTest({ connectorId: deadId, to: [CONTROL_ROOM], subject: 'x', body: 'x' }),
    );
    expect((await waitForDelivery(t.api, deliveryId)).status).toBe('failed');
    expect(await settled(deliveryId)).toBeNull();
    expect(unwrap(await t.api.arrival.get({ id: deliveryId }))).toBeNull();
    expect(t.core.deliveries.summary(deliveryId)?.arrival).toBeNull();
  });

  it('refuses a wait outside 1–1440 minutes at its field and keeps the setting', async () => {
    const bad = await t.api.settings.update({ arrivalWaitMinutes: 0 });
    expect(bad.ok).toBe(false);
    expect(unwrap(await t.api.settings.get()).arrivalWaitMinutes).toBe(5);
  });
});

describe('a handover run that requires arrival proof', () => {
  it('passes a camera only when its mail arrived in the Inbox: in Junk fails with the fix, and the report shows both verdicts', async () => {
    const site = { id: siteId };
    const cams = await Promise.all(
      ['Gate', 'Pier', 'Shed'].map(async (name, i) =>
        unwrap(
          await t.api.cameras.create({
            siteId: site.id,
            name,
            connectorId,
            recipients: [[CONTROL_ROOM, NIGHT_DESK, UNWATCHED][i]!],
          }),
        ),
      ),
    );
    const started = unwrap(
      await t.api.runs.start({ scope: { cameraIds: cams.map((c) => c.id) }, requireArrival: true }),
    );
    // wait for the three messages to reach the server, then "deliver" two of them
    for (let i = 0; i < 400; i++) {
      if (smtp.received.filter((m) => header(m, 'x-alertdesk-run') === started.id).length === 3) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const ofCamera = (id: string) =>
      smtp.received.find(
        (m) => header(m, 'x-alertdesk-run') === started.id && header(m, 'x-alertdesk-camera') === id,
      )!;
    // the run waits: accepted is not passed yet
    const during = unwrap(await t.api.runs.get({ runId: started.id }));
    expect(during.status).toBe('running');
    land('mb-control', ofCamera(cams[0]!.id), 'inbox');
    land('mb-night', ofCamera(cams[1]!.id), 'junk');
    const run = await t.core.runs.settled(started.id);
    const byName = new Map(run.items.map((i) => [i.cameraName, i]));
    expect(byName.get('Gate')).toMatchObject({
      status: 'passed',
      arrival: expect.objectContaining({ overall: 'arrived' }),
    });
    expect(byName.get('Pier')).toMatchObject({
      status: 'failed',
      arrival: expect.objectContaining({ overall: 'junk' }),
    });
    expect(byName.get('Pier')?.explanation).toBe(
      'Accepted by the server; arrived in the Junk folder (Junk) of Night desk mailbox within a minute of the server accepting it.',
    );
    expect(byName.get('Pier')?.fix).toMatch(/mark the message as not junk/);
    expect(byName.get('Shed')).toMatchObject({
      status: 'failed',
      arrival: expect.objectContaining({ overall: 'not-checked' }),
    });

    const report = unwrap(await t.api.runs.report({ runId: run.id, siteId: site.id }));
    expect(report.requireArrival).toBe(true);
    expect(report.ready).toBe(false);
    expect(report.arrivalCounts).toMatchObject({
      arrived: 1,
      junk: 1,
      'not-checked': 1,
      'not-arrived': 0,
      waiting: 0,
    });
    const csv = unwrap(await t.api.runs.reportCsv({ runId: run.id, siteId: site.id })).csv;
    const [head, ...lines] = csv.trim().split(/\r?\n/);
    expect(head).toMatch(/arrival,arrival_folder,arrival_minutes,spf,dkim,dmarc,arrival_note/);
    expect(lines.find((l) => l.includes('Pier'))).toMatch(/in Junk,Junk/);
  });

  it('without the option, the camera passes on the server’s 250 and the report still shows the arrival', async () => {
    const site = { id: siteId };
    const cam = unwrap(
      await t.api.cameras.create({ siteId: site.id, name: 'Crane', connectorId, recipients: [NIGHT_DESK] }),
    );
    const started = unwrap(await t.api.runs.start({ scope: { cameraIds: [cam.id] } }));
    const run = await t.core.runs.settled(started.id);
    expect(run.items[0]?.status).toBe('passed');
    const m = smtp.received.find((r) => header(r, 'x-alertdesk-run') === started.id)!;
    land('mb-night', m, 'junk');
    expect((await settled(run.items[0]!.deliveryId!))?.overall).toBe('junk');
    const report = unwrap(await t.api.runs.report({ runId: run.id, siteId: site.id }));
    expect(report.requireArrival).toBe(false);
    expect(report.ready).toBe(true);
    expect(report.items[0]?.arrival?.overall).toBe('junk');
  });
});

describe('arrival proof across a restart', () => {
  it('a wait that ended while AlertDesk was closed is decided at the next start, and revisited when the mailbox is watched', async () => {
    const dir = t.dir.replace(/[^/]+$/, `arrival-restart-${Date.now()}`);
    const first = await startTestCore({ dataDir: dir });
    const relayId = await relayConnector(
      first.api,
      unwrap(await first.api.sites.create({ name: 'S' })).id,
      'R',
      smtp.port,
    );
    first.core.inventory.commit({
      mailboxes: [watchedMailbox('mb-restart', 'Restart mailbox', [CONTROL_ROOM])],
    });
    first.core.inbound.reportHealth('mb-restart', 'connected', true);
    const { deliveryId } = unwrap(
      await first.api.mail.sendTest({
        connectorId: relayId,
        to: [CONTROL_ROOM],
        subject: 'Before restart',
        body: 'x',
      }),
    );
    await waitForDelivery(first.api, deliveryId);
    await first.close(); // the wait is open: its row is kept
    const later = manualClock();
    await later.advance(6 * MINUTE);
    const second = await startTestCore({ dataDir: dir, clock: later });
    try {
      const decided = await second.core.arrival.settled(deliveryId);
      expect(decided?.overall).toBe('not-checked');
      expect(decided?.recipients[0]?.reason).toMatch(
        /^Restart mailbox was not being watched when the wait ended \((not watched|stopped since [^)]+)\): AlertDesk cannot tell/,
      );
      second.core.inbound.reportHealth('mb-restart', 'connected', true);
      expect(second.core.arrival.forDelivery(deliveryId)?.overall).toBe('not-arrived');
    } finally {
      await second.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
