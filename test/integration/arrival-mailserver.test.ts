/**
 * Arrival proof through the real thing: AlertDesk sends through Postfix (submission, STARTTLS,
 * AUTH), Postfix delivers through Dovecot's LMTP and Sieve (a "[junk-me]" subject is filed in the
 * \Junk-flagged Junk folder), and the real mailbox watcher reads the watched mailbox over IMAP and
 * publishes to the inbound hub. One camera's mail lands in the Inbox, one in Junk, and one goes to
 * an address the watched mailbox claims but Postfix delivers elsewhere, so it never arrives there.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestCore, unwrap, type TestCore } from '../helpers/core.ts';
import { mailboxOn, until } from '../helpers/watchers.ts';
import { startMailServer, type MailServer } from '../mailserver/mailserver.ts';
import { describeMailServer } from '../mailserver/describe.ts';

describeMailServer('arrival proof through real Postfix + Dovecot', () => {
  let server: MailServer;
  let t: TestCore;

  beforeAll(async () => {
    server = await startMailServer();
    t = await startTestCore({ watchMailboxes: true });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await server?.stop();
  });

  it('a handover run that requires arrival: arrived in the Inbox, in Junk, not arrived — and the report shows the three', async () => {
    const { ops, manager } = server.users;
    unwrap(await t.api.settings.update({ arrivalWaitMinutes: 1 }));
    const site = unwrap(await t.api.sites.create({ name: 'Harbour Gate', customer: 'Acme Logistics' }));
    const connector = unwrap(
      await t.api.connectors.create({
        siteId: site.id,
        title: 'Postfix submission',
        host: '127.0.0.1',
        port: server.submissionPort,
        portIsManual: true,
        security: 'starttls',
        auth: 'login',
        username: server.user,
        password: server.password,
        sender: server.user,
        trustedCertificatePem: server.certPem,
        connectionTimeoutSec: 10,
        retryDelaysSec: [],
      }),
    );
    unwrap(await t.api.connectors.setState({ id: connector.id, state: 'RUN' }));
    // The control room's mailbox is watched; the manager's address is listed as delivered into it,
    // but Postfix delivers it to the manager's own mailbox: that message never arrives there.
    const mailbox = unwrap(
      await t.api.mailboxes.create(
        mailboxOn(server, ops, {
          title: 'Control room',
          addresses: [ops.address, manager.address],
          pollSeconds: 15,
        }),
      ),
    );
    await until(
      t,
      () => {
        const s = t.core.watchers.status(t.core.inventory.mailbox(mailbox.id)!);
        return s.state === 'connected' && s.watching;
      },
      'the control room mailbox watched',
    );
    const camera = async (name: string, to: string, subjectTemplate = '') =>
      unwrap(
        await t.api.cameras.create({
          siteId: site.id,
          name,
          connectorId: connector.id,
          recipients: [to],
          ...(subjectTemplate ? { subjectTemplate } : {}),
        }),
      );
    await camera('Gate PTZ', ops.address);
    await camera('Pier dome', ops.address, '%Camera_Name% – %Event_Type% [junk-me]');
    await camera('Shed bullet', manager.address);

    const started = unwrap(await t.api.runs.start({ scope: { siteIds: [site.id] }, requireArrival: true }));
    const run = await t.core.runs.settled(started.id);
    const byName = new Map(run.items.map((i) => [i.cameraName, i]));

    const gate = byName.get('Gate PTZ')!;
    expect(gate.status).toBe('passed');
    expect(gate.arrival?.overall).toBe('arrived');
    expect(gate.arrival?.recipients[0]).toMatchObject({
      recipient: ops.address,
      state: 'arrived',
      mailboxTitle: 'Control room',
      folder: 'INBOX',
      folderRole: 'inbox',
    });
    expect(gate.arrival?.recipients[0]?.minutesAfter).toBeLessThan(1);
    // this Postfix checks no SPF/DKIM/DMARC: no Authentication-Results, and nothing is made up
    expect(gate.arrival?.recipients[0]?.auth).toBeNull();

    const pier = byName.get('Pier dome')!;
    expect(pier.status).toBe('failed');
    expect(pier.arrival?.recipients[0]).toMatchObject({
      state: 'junk',
      folder: 'Junk',
      folderRole: 'junk',
    });
    expect(pier.fix).toMatch(/mark the message as not junk/);

    const shed = byName.get('Shed bullet')!;
    expect(shed.status).toBe('failed');
    expect(shed.arrival?.recipients[0]).toMatchObject({ recipient: manager.address, state: 'not-arrived' });
    expect(shed.arrival?.recipients[0]?.reason).toBe(
      'Not in Control room 1 min after the server accepted it.',
    );
    // It did reach the manager's own mailbox: Postfix accepted and delivered it, just not where it was watched.
    await server.waitForMessage(
      manager.address,
      manager.password,
      (m) => m.parsed.subject?.includes('Shed bullet') ?? false,
    );

    const report = unwrap(await t.api.runs.report({ runId: run.id, siteId: site.id }));
    expect(report.arrivalCounts).toMatchObject({ arrived: 1, junk: 1, 'not-arrived': 1, 'not-checked': 0 });
    expect(report.ready).toBe(false);
    const csv = unwrap(await t.api.runs.reportCsv({ runId: run.id, siteId: site.id })).csv;
    const rows = csv.trim().split(/\r?\n/);
    expect(rows[0]).toMatch(/arrival,arrival_folder,arrival_minutes/);
    expect(rows.find((r) => r.includes('Gate PTZ'))).toMatch(/,arrived,INBOX,/);
    expect(rows.find((r) => r.includes('Pier dome'))).toMatch(/,in Junk,Junk,/);
    expect(rows.find((r) => r.includes('Shed bullet'))).toMatch(/,not arrived,/);
  }, 180_000);
});
