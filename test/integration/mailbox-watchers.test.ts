import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { InboundMessage } from '../../shared/inbound.ts';
import { failure, startTestCore, unwrap, type TestCore } from '../helpers/core.ts';
import { deliver, fakePower, mailboxOn, recordStatuses, statesOf, until } from '../helpers/watchers.ts';
import { testMessage } from '../mailserver/mail-store.ts';
import { startMailServer, type MailServer } from '../mailserver/mailserver.ts';
import { describeMailServer } from '../mailserver/describe.ts';
import { waitUntil } from '../mailserver/processes.ts';

/**
 * The mailbox watchers against the real thing: Postfix delivering through Dovecot's LMTP and Sieve
 * (Junk by a \Junk-flagged folder), Dovecot's IMAP with IDLE, stopped and restarted, its sessions
 * kicked, its folders renumbered, a wrong password, broken messages and a 100,000-message mbox.
 */

const unique = (label: string) => `${label} ${crypto.randomUUID().slice(0, 8)}`;
const subjectsOf = (messages: InboundMessage[]) => messages.map((m) => m.subject).sort();

describeMailServer('mailbox watchers against real Postfix + Dovecot', () => {
  let server: MailServer;

  beforeAll(async () => {
    server = await startMailServer();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  /** A core that watches mailboxes, closed (and its folder removed) after the test. */
  async function watchingCore(
    work: (t: TestCore) => Promise<void>,
    options: Parameters<typeof startTestCore>[0] = {},
  ) {
    const t = await startTestCore({ watchMailboxes: true, ...options });
    try {
      await work(t);
    } finally {
      await t.close();
    }
  }

  const received = (t: TestCore, mailboxId: string) =>
    t.core.inbound.query({ sourceId: mailboxId, limit: 5000 });
  const connected = (t: TestCore, id: string) => {
    const s = t.core.watchers.status(t.core.inventory.mailbox(id)!);
    return s.state === 'connected' && s.watching ? s : undefined;
  };

  it('reads mail delivered by Postfix into the Inbox, Junk (by its \\Junk flag) and a chosen folder, light and unseen', async () => {
    const { manager } = server.users;
    await watchingCore(async (t) => {
      const before = unique('before start');
      const junkBefore = unique('old spam [junk-me]');
      await deliver(server, manager.address, before);
      await deliver(server, manager.address, junkBefore);
      await server.waitForMessage(manager.address, manager.password, (m) => m.parsed.subject === before);
      const mailbox = unwrap(
        await t.api.mailboxes.create(
          mailboxOn(server, manager, { extraFolders: ['Alarms'], pollSeconds: 15 }),
        ),
      );
      await until(
        t,
        () => connected(t, mailbox.id) && received(t, mailbox.id).some((m) => m.subject === junkBefore),
        'the first catch-up (Inbox and Junk)',
      );
      // While connected, the Inbox is pushed (IDLE); Junk and Alarms are checked every 15 s.
      const inbox = unique('health mail');
      const junk = unique('spam [junk-me]');
      const alarm = unique('motion [alarm-folder]');
      await deliver(server, manager.address, inbox, { from: 'Cam-North@Site.Test' });
      await deliver(server, manager.address, junk);
      await deliver(server, manager.address, alarm);
      const all = await until(
        t,
        () => {
          const got = received(t, mailbox.id);
          return [before, inbox, junk, alarm].every((s) => got.some((m) => m.subject === s)) && got;
        },
        'four messages in three folders',
        45_000,
      );
      const bySubject = (s: string) => all.find((m) => m.subject === s)!;
      expect(bySubject(before)).toMatchObject({ folder: 'INBOX', folderRole: 'inbox' });
      expect(bySubject(inbox)).toMatchObject({
        folder: 'INBOX',
        folderRole: 'inbox',
        from: 'cam-north@site.test',
        to: [manager.address],
      });
      expect(bySubject(inbox).messageId).toMatch(/@/);
      expect(bySubject(inbox).size).toBeGreaterThan(100);
      expect(bySubject(junk)).toMatchObject({ folder: 'Junk', folderRole: 'junk' });
      expect(bySubject(alarm)).toMatchObject({ folder: 'Alarms', folderRole: 'other' });
      // The header block is kept: Postfix's Received line is there, the body is not.
      const fields = t.core.inbound.headerFields(bySubject(inbox).key)!;
      expect(fields.received?.[0]).toContain('(Postfix)');
      expect(JSON.stringify(fields)).not.toContain('Camera online');
      // Reading never marks a message \Seen.
      const imap = await server.mailboxes.connect(manager.address, manager.password);
      try {
        for (const folder of ['INBOX', 'Junk', 'Alarms']) {
          await imap.mailboxOpen(folder, { readOnly: true });
          const flags = await imap.fetchAll('1:*', { uid: true, flags: true });
          expect(flags.length).toBeGreaterThan(0);
          for (const m of flags) expect([...(m.flags ?? [])]).not.toContain('\\Seen');
        }
      } finally {
        await imap.logout();
      }
      const status = unwrap(await t.api.mailboxes.get({ id: mailbox.id })).status;
      expect(status).toMatchObject({
        state: 'connected',
        watching: true,
        idle: true,
        messagesSeen: received(t, mailbox.id).length,
      });
      expect(status.folders.map((f) => [f.path, f.role])).toEqual([
        ['INBOX', 'inbox'],
        ['Junk', 'junk'],
        ['Alarms', 'other'],
      ]);
      expect(t.core.inbound.health(mailbox.id)).toMatchObject({ state: 'connected', watching: true });
    });
  }, 60_000);

  it('Dovecot stopped mid-IDLE and started again: reconnecting, then caught up, mail taken meanwhile read, nothing twice', async () => {
    const { ops } = server.users;
    await watchingCore(async (t) => {
      const events = recordStatuses(t.core);
      const mailbox = unwrap(await t.api.mailboxes.create(mailboxOn(server, ops)));
      await until(t, () => connected(t, mailbox.id), 'connected');
      const first = unique('before the restart');
      await deliver(server, ops.address, first);
      await until(t, () => received(t, mailbox.id).some((m) => m.subject === first), 'the first message');
      const countBefore = t.core.inbound.count(mailbox.id);

      await server.dovecot.stop();
      await until(
        t,
        () => t.core.watchers.status(t.core.inventory.mailbox(mailbox.id)!).state === 'reconnecting',
        'reconnecting',
      );
      expect(t.core.inbound.health(mailbox.id)?.watching).toBe(false);
      // Postfix takes mail while Dovecot is down; it is delivered when Dovecot is back.
      const during = [unique('while down 1'), unique('while down 2')];
      for (const s of during) await deliver(server, ops.address, s);
      await server.dovecot.start();
      await until(
        t,
        () =>
          connected(t, mailbox.id) &&
          during.every((s) => received(t, mailbox.id).some((m) => m.subject === s)),
        'caught up after the restart',
      );
      const states = statesOf(events, mailbox.id);
      expect(states.slice(states.indexOf('reconnecting'))).toContain('catching-up');
      expect(states.at(-1)).toBe('connected');
      const dropped = events.find((e) => e.mailboxId === mailbox.id && e.state === 'reconnecting')!;
      expect(['connection-dropped', 'connection-refused']).toContain(dropped.failure?.class);
      expect(dropped.failure?.fix).toBeTruthy();
      const all = received(t, mailbox.id);
      expect(all.length).toBe(countBefore + 2);
      expect(new Set(all.map((m) => m.messageId)).size).toBe(all.length);
      expect(all.filter((m) => m.subject === first)).toHaveLength(1);
    });
  });

  it('a session the server kicks mid-IDLE is reopened at once and reads what came since', async () => {
    const { ops } = server.users;
    await watchingCore(async (t) => {
      const events = recordStatuses(t.core);
      const mailbox = unwrap(await t.api.mailboxes.create(mailboxOn(server, ops)));
      await until(t, () => connected(t, mailbox.id), 'connected');
      await server.mailboxes.kick(ops.address);
      const after = unique('after the kick');
      await deliver(server, ops.address, after);
      await until(
        t,
        () => connected(t, mailbox.id) && received(t, mailbox.id).some((m) => m.subject === after),
        'the message after the kick',
      );
      const drop = events.find(
        (e) => e.mailboxId === mailbox.id && e.failure?.class === 'connection-dropped',
      );
      expect(drop?.failure?.explanation).toContain('Server shutting down');
      expect(statesOf(events, mailbox.id)).toEqual(
        expect.arrayContaining(['connected', 'reconnecting', 'catching-up']),
      );
    });
  });

  it('a folder renumbered by the server (UIDVALIDITY) is read again within the window, counting nothing twice', async () => {
    const { alerts } = server.users;
    await watchingCore(async (t) => {
      // Two messages without a Message-ID (APPEND), which the hub cannot recognise by its second key.
      await server.mailboxes.append(alerts.address, alerts.password, 'INBOX', [
        {
          raw: testMessage({
            from: 'nvr@site.test',
            to: alerts.address,
            subject: 'no id 1',
            messageId: null,
          }),
        },
        {
          raw: testMessage({
            from: 'nvr@site.test',
            to: alerts.address,
            subject: 'no id 2',
            messageId: null,
          }),
        },
      ]);
      await deliver(server, alerts.address, unique('with an id'));
      const mailbox = unwrap(await t.api.mailboxes.create(mailboxOn(server, alerts)));
      await until(t, () => connected(t, mailbox.id) && received(t, mailbox.id).length >= 3, 'the first read');
      const before = received(t, mailbox.id);
      const oldValidity = before[0]!.uidValidity;

      const newValidity = await server.mailboxes.resetUidValidity(alerts.address, 'INBOX');
      const after = unique('after the reset');
      await deliver(server, alerts.address, after);
      const all = await until(
        t,
        () => {
          const got = received(t, mailbox.id);
          return connected(t, mailbox.id) && got.some((m) => m.subject === after) && got;
        },
        'the message after the renumbering',
      );
      expect(subjectsOf(all)).toEqual([...subjectsOf(before), after].sort());
      expect(all.find((m) => m.subject === after)!.uidValidity).toBe(String(newValidity));
      const inbox = unwrap(await t.api.mailboxes.get({ id: mailbox.id })).status.folders[0]!;
      expect(inbox.uidValidity).toBe(String(newValidity));
      expect(inbox.uidValidity).not.toBe(oldValidity);
    });
  });

  it('a wrong password: login rejected with the verdict and fix, tried once, not again; a new password connects at once', async () => {
    const { manager } = server.users;
    const mismatches = () =>
      readFileSync(join(server.dir, 'dovecot.log'), 'utf8')
        .split('\n')
        .filter((l) => l.includes('Password mismatch') && l.includes(manager.address)).length;
    await watchingCore(async (t) => {
      const before = mismatches();
      const mailbox = unwrap(
        await t.api.mailboxes.create(mailboxOn(server, manager, { password: 'not-the-password' })),
      );
      const status = await until(
        t,
        () => {
          const s = t.core.watchers.status(t.core.inventory.mailbox(mailbox.id)!);
          return s.state === 'login-rejected' && s;
        },
        'login rejected',
      );
      expect(status.failure).toMatchObject({
        class: 'auth-failed',
        title: 'Login rejected',
        retryable: false,
      });
      expect(status.failure?.explanation).toContain(manager.address);
      expect(status.failure?.fix).toMatch(/app password/);
      // The next attempt is half an hour away, not seconds.
      const wait = Date.parse(status.nextAttemptAt!) - Date.parse(status.since);
      expect(wait).toBeGreaterThanOrEqual(27 * 60_000);
      expect(t.core.inbound.health(mailbox.id)?.watching).toBe(false);
      // A second's worth of chances to try again: one attempt it stays.
      await new Promise((r) => setTimeout(r, 1000));
      expect(mismatches() - before).toBe(1);

      unwrap(await t.api.mailboxes.update({ ...mailboxOn(server, manager), id: mailbox.id }));
      await until(t, () => connected(t, mailbox.id), 'connected with the new password');
      expect(mismatches() - before).toBe(1);
    });
  });

  it('stores malformed messages as best it can and keeps watching', async () => {
    const { alerts } = server.users;
    const garbage = Buffer.concat([
      Buffer.from(
        'Subject: caf\xe9 \xff\xfe broken\r\nFrom: <<<not an address\r\nthis line has no colon\r\n',
        'latin1',
      ),
      Buffer.from('Date: yesterday at noon\r\nX-Huge: ', 'latin1'),
      Buffer.alloc(100_000, 'A'),
      Buffer.from('\r\n\r\nbody \x00\x01\x02 bytes\r\n', 'latin1'),
    ]);
    await server.mailboxes.fill(alerts.address, 'INBOX', [
      { raw: garbage },
      { raw: 'no headers at all, just text\r\n' },
      { raw: '' },
    ]);
    await watchingCore(async (t) => {
      const mailbox = unwrap(await t.api.mailboxes.create(mailboxOn(server, alerts)));
      const all = await until(
        t,
        () => {
          const got = received(t, mailbox.id);
          return connected(t, mailbox.id) && got.some((m) => m.subject.includes('broken')) && got;
        },
        'the broken messages',
      );
      const broken = all.find((m) => m.subject.includes('broken'))!;
      expect(broken.sentAt).toBeNull();
      expect(broken.messageId).toBeNull();
      expect(broken.receivedAt).toMatch(/^\d{4}-/);
      const bare = all.filter((m) => m.subject === '' && m.from === '');
      expect(bare.length).toBeGreaterThanOrEqual(2);
      // Still watching: the next message is read.
      const next = unique('after the garbage');
      await deliver(server, alerts.address, next);
      await until(t, () => received(t, mailbox.id).some((m) => m.subject === next), 'the next message');
    });
  });

  it('a first start on a mailbox of 100,000 messages reads only the window of the last days', async () => {
    const { archive } = server.users;
    const now = Date.now();
    const HOUR = 3_600_000;
    const total = 100_000;
    // One message every 5 minutes, oldest first, as they would have arrived: ~347 days.
    const dates = Array.from({ length: total }, (_, i) => new Date(now - (total - i) * 5 * 60_000));
    await server.mailboxes.fill(
      archive.address,
      'INBOX',
      dates.map((date, i) => ({
        raw: testMessage({ from: `cam${i % 40}@site.test`, to: archive.address, subject: `hb ${i}`, date }),
        date,
      })),
    );
    // With WITHIN (Dovecot) the window is 3 × 24 hours to the second; SINCE alone compares dates.
    const exactly = dates.filter((d) => d.getTime() >= now - 72 * HOUR).length;
    const midnight = new Date(now - 72 * HOUR);
    midnight.setHours(0, 0, 0, 0);
    const byDate = dates.filter((d) => d >= midnight).length;
    await watchingCore(async (t) => {
      const events = recordStatuses(t.core);
      const mailbox = unwrap(
        await t.api.mailboxes.create(mailboxOn(server, archive, { backfillDays: 3, watchJunk: false })),
      );
      const status = await until(t, () => connected(t, mailbox.id), 'the first catch-up', 120_000);
      const read = t.core.inbound.count(mailbox.id);
      expect(read).toBeGreaterThanOrEqual(exactly - 2);
      expect(read).toBeLessThanOrEqual(byDate);
      expect(byDate).toBeLessThan(1200);
      expect(status.folders[0]).toMatchObject({ path: 'INBOX', lastUid: total });
      const progress = events.filter((e) => e.mailboxId === mailbox.id && e.progress).map((e) => e.progress!);
      expect(Math.max(...progress.map((p) => p.total))).toBe(read);
      // Reading goes on from the end.
      const next = unique('the newest');
      await deliver(server, archive.address, next);
      await until(t, () => received(t, mailbox.id).some((m) => m.subject === next), 'the newest message');
      expect(t.core.inbound.count(mailbox.id)).toBe(read + 1);
    });
  }, 180_000);

  it('after the app was closed, the next start reads only what came since (the reading state is kept)', async () => {
    const { ops } = server.users;
    const dir = await mkdtemp(join(tmpdir(), 'alertdesk-watchers-'));
    try {
      let mailboxId = '';
      await watchingCore(
        async (t) => {
          mailboxId = unwrap(await t.api.mailboxes.create(mailboxOn(server, ops))).id;
          await until(t, () => connected(t, mailboxId), 'connected');
        },
        { dataDir: dir },
      );
      const whileClosed = [unique('while closed 1'), unique('while closed 2'), unique('while closed 3')];
      for (const s of whileClosed) await deliver(server, ops.address, s);
      await server.waitForMessage(ops.address, ops.password, (m) => m.parsed.subject === whileClosed[2]);
      await watchingCore(
        async (t) => {
          const events = recordStatuses(t.core);
          await until(
            t,
            () =>
              connected(t, mailboxId) &&
              whileClosed.every((s) => received(t, mailboxId).some((m) => m.subject === s)),
            'the mail that came while closed',
          );
          const totals = events.filter((e) => e.progress).map((e) => e.progress!.total);
          expect(Math.max(0, ...totals)).toBeLessThanOrEqual(whileClosed.length);
        },
        { dataDir: dir },
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('waking from sleep reconnects at once and catches up; closing the core leaves no session behind', async () => {
    const { ops } = server.users;
    const power = fakePower();
    await watchingCore(
      async (t) => {
        const events = recordStatuses(t.core);
        const mailbox = unwrap(await t.api.mailboxes.create(mailboxOn(server, ops)));
        await until(t, () => connected(t, mailbox.id), 'connected');
        const mark = events.length;
        power.resume();
        await until(
          t,
          () => statesOf(events.slice(mark), mailbox.id).join() === 'reconnecting,catching-up,connected',
          'a reconnect and a catch-up after the wake-up',
        );
        expect(await server.mailboxes.sessions(ops.address)).toBe(1);
      },
      { power },
    );
    expect(await server.mailboxes.sessions(ops.address)).toBe(0);
  });

  it('Test connection lists the folders and their roles without reading mail, and explains failures', async () => {
    const { manager } = server.users;
    const t = await startTestCore();
    try {
      const draft = (over: object = {}) => {
        const { title: _t, ...settings } = { ...mailboxOn(server, manager), ...over };
        return { draft: settings as never };
      };
      const ok = unwrap(await t.api.mailboxes.test(draft()));
      expect(ok).toMatchObject({ ok: true, inbox: 'INBOX', junk: 'Junk', idle: true, failure: null });
      expect(ok.tls?.protocol).toMatch(/TLS/);
      expect(ok.folders.find((f) => f.path === 'Junk')).toMatchObject({
        role: 'junk',
        specialUse: '\\Junk',
        foundBy: 'flag',
      });
      expect(ok.folders.map((f) => f.path)).toEqual(expect.arrayContaining(['Alarms', 'Sent', 'Trash']));
      const folders = unwrap(await t.api.mailboxes.folders(draft()));
      expect(folders.map((f) => f.path)).toEqual(ok.folders.map((f) => f.path));
      const wrong = unwrap(await t.api.mailboxes.test(draft({ password: 'wrong' })));
      expect(wrong.failure?.class).toBe('auth-failed');
      const noFolders = failure(await t.api.mailboxes.folders(draft({ password: 'wrong' })));
      expect(noFolders).toMatchObject({ code: 'mailbox-test-failed' });
      expect(noFolders.message).toMatch(/rejected the login/);
      const closedPort = unwrap(await t.api.mailboxes.test(draft({ port: 1 })));
      expect(closedPort.failure?.class).toBe('connection-refused');
      const untrusted = unwrap(await t.api.mailboxes.test(draft({ trustedCertificatePem: null })));
      expect(untrusted.failure?.class).toBe('certificate-untrusted');
      const tlsOnPlain = unwrap(await t.api.mailboxes.test(draft({ security: 'tls' })));
      expect(tlsOnPlain.failure?.class).toBe('tls-mode-mismatch');
      const implicit = unwrap(await t.api.mailboxes.test(draft({ security: 'tls', port: server.imapsPort })));
      expect(implicit.ok).toBe(true);
      // Nothing was read: the test core's hub holds no message.
      expect(t.core.inbound.count()).toBe(0);
    } finally {
      await t.close();
    }
  });

  it('shows a message body and its snapshots only when asked, fetched from the server, still unseen', async () => {
    const { manager } = server.users;
    const jpeg = readFileSync(new URL('../../assets/snapshots/snapshot-1.jpg', import.meta.url));
    await watchingCore(async (t) => {
      const mailbox = unwrap(await t.api.mailboxes.create(mailboxOn(server, manager)));
      await until(t, () => connected(t, mailbox.id), 'connected');
      const subject = unique('motion with snapshot');
      await deliver(server, manager.address, subject, {
        attachments: [{ filename: 'snap.jpg', content: jpeg, contentType: 'image/jpeg' }],
      });
      const message = await until(
        t,
        () => received(t, mailbox.id).find((m) => m.subject === subject),
        'the message with a snapshot',
      );
      const content = unwrap(await t.api.mailboxes.body({ id: mailbox.id, key: message.key }));
      expect(content.text).toContain('Camera online');
      expect(content.truncated).toBe(false);
      expect(content.attachments).toEqual([
        expect.objectContaining({ filename: 'snap.jpg', mimeType: 'image/jpeg', size: jpeg.length }),
      ]);
      expect(content.attachments[0]!.dataUrl).toBe(`data:image/jpeg;base64,${jpeg.toString('base64')}`);
      const imap = await server.mailboxes.connect(manager.address, manager.password);
      try {
        await imap.mailboxOpen('INBOX', { readOnly: true });
        const flags = await imap.fetchOne(String(message.uid), { flags: true }, { uid: true });
        expect([...((flags && flags.flags) || [])]).not.toContain('\\Seen');
      } finally {
        await imap.logout();
      }
    });
  });

  it('stopping a mailbox closes its session and says it is not watched; starting it catches up', async () => {
    const { manager } = server.users;
    await watchingCore(async (t) => {
      const mailbox = unwrap(await t.api.mailboxes.create(mailboxOn(server, manager)));
      await until(t, () => connected(t, mailbox.id), 'connected');
      const stopped = unwrap(await t.api.mailboxes.setEnabled({ id: mailbox.id, enabled: false }));
      expect(stopped.status).toMatchObject({ state: 'stopped', watching: false });
      expect(t.core.inbound.health(mailbox.id)).toMatchObject({ state: 'stopped', watching: false });
      await waitUntil(
        'the session to close',
        async () => (await server.mailboxes.sessions(manager.address)) === 0,
        10_000,
      );
      const subject = unique('while stopped');
      await deliver(server, manager.address, subject);
      unwrap(await t.api.mailboxes.setEnabled({ id: mailbox.id, enabled: true }));
      await until(
        t,
        () => received(t, mailbox.id).some((m) => m.subject === subject),
        'caught up after start',
      );
      const audit = unwrap(await t.api.audit.query({ filter: { recordType: 'mailbox' } }));
      expect(audit.rows.map((r) => r.action)).toEqual(expect.arrayContaining(['create', 'stop', 'start']));
    });
  });
});
