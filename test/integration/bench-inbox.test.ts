/**
 * The bench inbox against real clients: nodemailer and swaks play the camera (PLAIN, LOGIN,
 * STARTTLS, SSL/TLS, a burst of three JPEG snapshots), and raw sockets play a misbehaving one
 * (50 MB of data, too many connections, a flood). Everything talks to loopback; sources are told
 * apart by binding clients to other loopback addresses (127.0.0.x).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchSettings } from '../../shared/bench.ts';
import type { Camera } from '../../shared/vault.ts';
import { closedPort } from '../helpers/faults.ts';
import { failure, startTestCore, unwrap, type TestCore } from '../helpers/core.ts';
import { rawSmtp, recordBenchEvents, swaks, writeBulk } from '../helpers/bench.ts';

const SNAPSHOTS = join(import.meta.dirname, '..', '..', 'assets', 'snapshots');
const FRONT = { login: 'front-door@site.test', secret: 'frontdoorapppass' };
const YARD = { login: 'yard@site.test', secret: 'yardcameraapppass' };

let t: TestCore;
let port: number;
let front: Camera;
let yard: Camera;
let events: ReturnType<typeof recordBenchEvents>;

async function configure(settings: Partial<BenchSettings>): Promise<void> {
  unwrap(await t.api.bench.configure(settings));
}

async function restart(settings: Partial<BenchSettings>): Promise<void> {
  unwrap(await t.api.bench.stop());
  await configure(settings);
  unwrap(await t.api.bench.start());
}

function camera(
  auth: { user: string; pass: string; method?: string } | null,
  extra: Record<string, unknown> = {},
) {
  return nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    secure: false,
    ignoreTLS: true,
    ...(auth ? { auth: { user: auth.user, pass: auth.pass }, authMethod: auth.method ?? 'PLAIN' } : {}),
    connectionTimeout: 10_000,
    ...extra,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- nodemailer's option union is too wide to spell here
  } as any);
}

/** swaks as the camera, logging in as `who` (LOGIN), optionally with STARTTLS. */
const swaksCamera = (who: { login: string; secret: string }, subject: string, tls = false) =>
  swaks([
    '--server',
    `127.0.0.1:${port}`,
    ...(tls ? ['--tls'] : []),
    '--auth',
    'LOGIN',
    '--auth-user',
    who.login,
    '--auth-password',
    who.secret,
    '--from',
    'yard@site.test',
    '--to',
    'alarms@customer.test',
    '--header',
    `Subject: ${subject}`,
  ]);

const benchRows = async () => unwrap(await t.api.bench.messages({ limit: 500 })).rows;

beforeAll(async () => {
  t = await startTestCore();
  events = recordBenchEvents(t);
  port = await closedPort();
  const site = unwrap(await t.api.sites.create({ name: 'Bench Site' }));
  const record = async (account: string, secret: string) =>
    unwrap(await t.api.vault.create({ account, provider: 'other', label: account, secret })).id;
  front = unwrap(
    await t.api.cameras.create({
      siteId: site.id,
      name: 'Front door',
      host: '127.0.0.5',
      smtpLogin: FRONT.login,
      appPasswordId: await record(FRONT.login, FRONT.secret),
    }),
  );
  yard = unwrap(
    await t.api.cameras.create({
      siteId: site.id,
      name: 'Yard',
      host: '127.0.0.6',
      smtpLogin: YARD.login,
      appPasswordId: await record(YARD.login, YARD.secret),
    }),
  );
  await configure({ port, listenAddress: '127.0.0.1' });
});

afterAll(async () => {
  await t.close();
});

describe('the bench inbox', () => {
  it('is off until started, and says so to the inbound hub', async () => {
    const status = unwrap(await t.api.bench.status());
    expect(status.running).toBe(false);
    expect(t.core.inbound.health('bench')).toMatchObject({ watching: false, state: 'stopped' });
    await expect(camera(null).sendMail({ from: 'x@y.test', to: 'a@b.test', text: 'x' })).rejects.toThrow(
      /ECONNREFUSED/,
    );
  });

  it('starts on the chosen port, shows the laptop’s addresses, and is watched', async () => {
    const status = unwrap(await t.api.bench.start());
    expect(status.running).toBe(true);
    expect(status.listening).toEqual({ address: '127.0.0.1', port });
    expect(Array.isArray(status.addresses)).toBe(true);
    for (const a of status.addresses) expect(a.address).not.toMatch(/^(127\.|::1$|fe80:)/);
    expect(t.core.inbound.health('bench')).toMatchObject({ watching: true, state: 'connected' });
  });

  it('accepts a camera’s own login (PLAIN, nodemailer) with a burst of 3 JPEGs, shows thumbnails, matches the camera and counts as its heartbeat', async () => {
    const jpegs = await Promise.all(
      ['snapshot-1.jpg', 'snapshot-2.jpg', 'snapshot-3.jpg'].map(async (name) => ({
        filename: name,
        content: await readFile(join(SNAPSHOTS, name)),
      })),
    );
    const heard: string[] = [];
    const off = t.core.inbound.subscribe((ms) => heard.push(...ms.map((m) => m.sourceId)));
    const info = await camera({ user: FRONT.login, pass: FRONT.secret }).sendMail({
      from: 'Front door <front@site.test>',
      to: 'alarms@customer.test',
      subject: 'Motion detected – Front door',
      text: 'Motion at 12:00',
      attachments: jpegs,
    });
    off();
    expect(info.response).toMatch(/^250 .*AlertDesk bench inbox/);
    const [m] = await benchRows();
    expect(m).toMatchObject({
      login: FRONT.login,
      remoteAddress: '127.0.0.1',
      secure: false,
      subject: 'Motion detected – Front door',
      from: 'front@site.test',
      envelopeTo: ['alarms@customer.test'],
      camera: { id: front.id, name: 'Front door', siteName: 'Bench Site' },
      matchedBy: 'login',
      problems: [],
    });
    expect(m!.snapshots).toHaveLength(3);
    for (const [i, s] of m!.snapshots.entries()) {
      expect(s).toMatchObject({ imageKind: 'jpeg', width: 1280, height: 720, filename: jpegs[i]!.filename });
      expect(s.thumbnail).toMatch(/^data:image\/jpeg;base64,/);
      const thumb = Buffer.from(s.thumbnail!.split(',')[1]!, 'base64');
      expect(thumb.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
      expect(thumb.length).toBeLessThanOrEqual(24 * 1024);
    }
    // the camera's heartbeat: the hub has it from source "bench"
    expect(heard).toEqual(['bench']);
    expect(t.core.inbound.query({ sourceId: 'bench' })[0]).toMatchObject({
      folderRole: 'inbox',
      subject: 'Motion detected – Front door',
      from: 'front@site.test',
    });
    // and its last result (the cameras' health), from the bench
    const health = unwrap(await t.api.health.cameras()).find((c) => c.cameraId === front.id);
    expect(health?.lastResult).toMatchObject({ ok: true, source: 'bench', ref: m!.id });
    expect(health?.lastResult?.summary).toBe(
      'Received by the bench inbox with 3 snapshots, logged in as front-door@site.test',
    );
    // and the bench's own list of the cameras it heard
    const status = unwrap(await t.api.bench.status());
    expect(status.cameras).toEqual([
      expect.objectContaining({ cameraId: front.id, messages: 1, lastSnapshots: 3 }),
    ]);
    expect(events.some((e) => e.message?.id === m!.id)).toBe(true);
    // the full-size snapshot is the file the camera sent, byte for byte
    const full = unwrap(await t.api.bench.snapshot({ id: m!.id, index: 1 }));
    expect(Buffer.from(full.dataUrl.split(',')[1]!, 'base64').equals(jpegs[1]!.content)).toBe(true);
  });

  it('accepts LOGIN from swaks and matches the second camera', async () => {
    const out = await swaksCamera(YARD, 'Yard heartbeat');
    expect(out.code, out.output).toBe(0);
    const [m] = await benchRows();
    expect(m).toMatchObject({ login: YARD.login, camera: { id: yard.id }, subject: 'Yard heartbeat' });
  });

  it('refuses a wrong app password with 535 and a log line that says what to check, and cuts off a client after 3 refusals', async () => {
    const before = (await benchRows()).length;
    const out = await swaks([
      '--server',
      `127.0.0.1:${port}`,
      '--auth',
      'PLAIN',
      '--auth-user',
      FRONT.login,
      '--auth-password',
      'not-the-app-password',
      '--from',
      'front@site.test',
      '--to',
      'alarms@customer.test',
    ]);
    expect(out.code).not.toBe(0);
    expect(out.output).toMatch(/535/);
    const log = unwrap(await t.api.bench.log());
    expect(log[0]!.text).toMatch(
      /Login refused for "front-door@site\.test" from 127\.0\.0\.1: the password is not the app password/,
    );

    const c = await rawSmtp(port);
    await c.reply();
    await c.command('EHLO camera');
    const bad = Buffer.from(`\0${FRONT.login}\0wrong`).toString('base64');
    expect(await c.command(`AUTH PLAIN ${bad}`)).toMatch(/^535/);
    expect(await c.command(`AUTH PLAIN ${bad}`)).toMatch(/^535/);
    expect(await c.command(`AUTH PLAIN ${bad}`)).toMatch(/^421/);
    expect(await c.reply()).toBe('(closed)');
    expect(unwrap(await t.api.bench.log())[0]!.text).toMatch(/Cut off 127\.0\.0\.1 after 3 refused logins/);
    expect(await benchRows()).toHaveLength(before);
  });

  it('refuses mail without a login while it takes camera logins only', async () => {
    await expect(camera(null).sendMail({ from: 'x@y.test', to: 'a@b.test', text: 'x' })).rejects.toThrow(
      /530|authentication/i,
    );
  });

  it('with "accept any login", takes mail without a login and matches the camera by its address', async () => {
    await configure({ authMode: 'any' });
    await camera(null, { localAddress: '127.0.0.6' }).sendMail({
      from: 'yard@site.test',
      to: 'alarms@customer.test',
      subject: 'No login',
      text: 'hello',
    });
    const [m] = await benchRows();
    expect(m).toMatchObject({
      login: null,
      remoteAddress: '127.0.0.6',
      camera: { id: yard.id },
      matchedBy: 'address',
    });
    await configure({ authMode: 'cameras' });
  });

  it('STARTTLS with its kept self-signed certificate: login only after STARTTLS, certificate fingerprint shown', async () => {
    await restart({ security: 'starttls' });
    const status = unwrap(await t.api.bench.status());
    expect(status.certificate?.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);

    // a camera that logs in without STARTTLS is refused, and told why
    const clear = await rawSmtp(port);
    await clear.reply();
    await clear.command('EHLO camera');
    expect(
      await clear.command(
        `AUTH PLAIN ${Buffer.from(`\0${FRONT.login}\0${FRONT.secret}`).toString('base64')}`,
      ),
    ).toMatch(/^538 .*STARTTLS/i);
    clear.close();

    const info = await camera(
      { user: FRONT.login, pass: FRONT.secret },
      {
        ignoreTLS: false,
        requireTLS: true,
        tls: { rejectUnauthorized: false },
      },
    ).sendMail({ from: 'front@site.test', to: 'alarms@customer.test', subject: 'Over STARTTLS', text: 'x' });
    expect(info.response).toMatch(/^250/);
    expect((await benchRows())[0]).toMatchObject({
      subject: 'Over STARTTLS',
      secure: true,
      camera: { id: front.id },
    });

    // swaks with STARTTLS too
    const out = await swaksCamera(YARD, 'swaks STARTTLS', true);
    expect(out.code, out.output).toBe(0);
    expect((await benchRows())[0]).toMatchObject({ subject: 'swaks STARTTLS', secure: true });
  });

  it('SSL/TLS from the first byte, presenting the same certificate (its fingerprint is kept across restarts)', async () => {
    const kept = unwrap(await t.api.bench.status()).certificate!.fingerprint256;
    await restart({ security: 'tls' });
    const presented = await new Promise<string>((resolve, reject) => {
      const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
        resolve(socket.getPeerCertificate().fingerprint256);
        socket.destroy();
      });
      socket.on('error', reject);
    });
    expect(presented).toBe(kept);
    const info = await camera(
      { user: FRONT.login, pass: FRONT.secret },
      {
        secure: true,
        ignoreTLS: false,
        tls: { rejectUnauthorized: false },
      },
    ).sendMail({ from: 'front@site.test', to: 'alarms@customer.test', subject: 'Over SSL', text: 'x' });
    expect(info.response).toMatch(/^250/);
    expect((await benchRows())[0]).toMatchObject({ subject: 'Over SSL', secure: true });
    await restart({ security: 'none' });
  });

  it('refuses a 50 MB message with 552 (declared or not), keeps nothing of it and goes on working', async () => {
    const before = (await benchRows()).length;
    // declared in MAIL FROM (SIZE=): refused before any data is sent
    const declared = await rawSmtp(port);
    await declared.reply();
    await declared.command('EHLO camera');
    await declared.command(
      `AUTH PLAIN ${Buffer.from(`\0${FRONT.login}\0${FRONT.secret}`).toString('base64')}`,
    );
    expect(await declared.command(`MAIL FROM:<front@site.test> SIZE=${50 * 1024 * 1024}`)).toMatch(/^552/);
    declared.close();

    // not declared: 50 MB of data, then 552, and the bench holds none of it
    const c = await rawSmtp(port);
    await c.reply();
    await c.command('EHLO camera');
    expect(
      await c.command(`AUTH PLAIN ${Buffer.from(`\0${FRONT.login}\0${FRONT.secret}`).toString('base64')}`),
    ).toMatch(/^235/);
    expect(await c.command('MAIL FROM:<front@site.test>')).toMatch(/^250/);
    expect(await c.command('RCPT TO:<alarms@customer.test>')).toMatch(/^250/);
    expect(await c.command('DATA')).toMatch(/^354/);
    c.socket.write('Subject: huge\r\n\r\n');
    await writeBulk(c.socket, 50 * 1024 * 1024);
    expect(await c.command('.')).toMatch(/^552 .*at most 25 MB/);
    c.close();
    expect(await benchRows()).toHaveLength(before);
    expect(
      unwrap(await t.api.bench.log()).some((l) =>
        /Refused a 5\d\.\d MB message from 127\.0\.0\.1: the bench accepts up to 25 MB/.test(l.text),
      ),
    ).toBe(true);
    // and the next message goes through
    await camera({ user: FRONT.login, pass: FRONT.secret }).sendMail({
      from: 'front@site.test',
      to: 'alarms@customer.test',
      subject: 'After the big one',
      text: 'x',
    });
    expect((await benchRows())[0]!.subject).toBe('After the big one');
  });

  it('keeps a snapshot that is not an image and a malformed MIME message, each with its problem in words', async () => {
    await camera({ user: FRONT.login, pass: FRONT.secret }).sendMail({
      from: 'front@site.test',
      to: 'alarms@customer.test',
      subject: 'Fake snapshot',
      text: 'x',
      attachments: [
        {
          filename: 'snapshot.jpg',
          content: Buffer.from('%PDF-1.4 not a picture'),
          contentType: 'image/jpeg',
        },
      ],
    });
    const [fake] = await benchRows();
    expect(fake!.snapshots[0]).toMatchObject({
      imageKind: null,
      thumbnail: null,
      declaredType: 'image/jpeg',
    });
    expect(fake!.problems[0]).toMatch(
      /snapshot\.jpg is named or labelled as an image .* its bytes are not an image/,
    );
    expect(failure(await t.api.bench.snapshot({ id: fake!.id, index: 0 })).code).toBe('not-an-image');

    // multipart without a boundary, and a JPEG cut short
    const jpeg = (await readFile(join(SNAPSHOTS, 'snapshot-4.jpg'))).subarray(0, 2000).toString('base64');
    const raw = [
      'From: front@site.test',
      'To: alarms@customer.test',
      'Subject: Broken',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed',
      '',
      'garbage without parts',
      '',
    ].join('\r\n');
    await camera({ user: FRONT.login, pass: FRONT.secret }).sendMail({
      envelope: { from: 'front@site.test', to: ['alarms@customer.test'] },
      raw,
    });
    const [broken] = await benchRows();
    expect(broken!.subject).toBe('Broken');
    expect(broken!.problems.join(' ')).toMatch(/multipart but gives no boundary/);

    await camera({ user: FRONT.login, pass: FRONT.secret }).sendMail({
      from: 'front@site.test',
      to: 'alarms@customer.test',
      subject: 'Truncated',
      text: 'x',
      attachments: [{ filename: 'cut.jpg', content: jpeg, encoding: 'base64' }],
    });
    const [cut] = await benchRows();
    expect(cut!.snapshots[0]).toMatchObject({ imageKind: 'jpeg', thumbnail: null });
    expect(cut!.problems[0]).toMatch(/cut\.jpg starts like a JPEG but cannot be decoded/);
  });

  it('holds a flood of 100 messages a second to the rate, keeps at most the messages kept, and still takes mail from other addresses', async () => {
    await configure({ messagesPerMinute: 60, keepMessages: 10, connectionsPerSource: 2 });
    const flood = camera(
      { user: FRONT.login, pass: FRONT.secret },
      {
        localAddress: '127.0.0.7',
        pool: true,
        maxConnections: 2,
        maxMessages: Infinity,
      },
    );
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, (_, i) =>
        flood.sendMail({
          from: 'front@site.test',
          to: 'alarms@customer.test',
          subject: `Flood ${i}`,
          text: 'x',
        }),
      ),
    );
    flood.close();
    const accepted = results.filter((r) => r.status === 'fulfilled').length;
    const refused = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    // 60 a minute with a burst of 12: the first dozen pass, the rest are told to retry later
    expect(accepted).toBeGreaterThanOrEqual(12);
    expect(accepted).toBeLessThan(20);
    expect(refused.length).toBe(100 - accepted);
    for (const r of refused) expect(String(r.reason)).toMatch(/451|Too many messages/);
    // a camera at another address is not affected
    await camera({ user: YARD.login, pass: YARD.secret }, { localAddress: '127.0.0.8' }).sendMail({
      from: 'yard@site.test',
      to: 'alarms@customer.test',
      subject: 'Not lost in the flood',
      text: 'x',
    });
    const rows = await benchRows();
    expect(rows).toHaveLength(10);
    expect(rows[0]!.subject).toBe('Not lost in the flood');
    // the flood is reported once, not a hundred times
    const floodLines = unwrap(await t.api.bench.log()).filter((l) =>
      /127\.0\.0\.7 is sending more than 60/.test(l.text),
    );
    expect(floodLines).toHaveLength(1);
    expect(floodLines[0]!.text).toMatch(/Messages from other addresses are not affected/);
  });

  it('cuts off a client that does not speak SMTP, and says so in the log', async () => {
    const web = await rawSmtp(port, '127.0.0.11');
    expect(await web.reply()).toMatch(/^220/);
    expect(await web.command('GET / HTTP/1.1')).toMatch(/^421 .*HTTP requests not allowed/);
    const noise = await rawSmtp(port, '127.0.0.12');
    await noise.reply();
    let last = '';
    for (let i = 0; i < 10 && !last.startsWith('421'); i++) last = await noise.command(`JUNK ${i}`);
    expect(last).toMatch(/^421 .*too many unrecognized commands/);
    const log = unwrap(await t.api.bench.log()).map((l) => l.text);
    expect(log).toContain(
      'Cut off 127.0.0.11: it sent an HTTP request (a browser or a web page pointed at the SMTP port).',
    );
    expect(log.some((l) => /^Cut off 127\.0\.0\.12: it sent 10 commands that are not SMTP/.test(l))).toBe(
      true,
    );
  });

  it('refuses connections beyond the per-address limit with 421', async () => {
    const open = [await rawSmtp(port, '127.0.0.9'), await rawSmtp(port, '127.0.0.9')];
    for (const c of open) expect(await c.reply()).toMatch(/^220/);
    const third = await rawSmtp(port, '127.0.0.9');
    expect(await third.reply()).toMatch(/^421 .*Too many connections from your address \(at most 2/);
    const other = await rawSmtp(port, '127.0.0.10');
    expect(await other.reply()).toMatch(/^220/);
    for (const c of [...open, third, other]) c.close();
    expect(
      unwrap(await t.api.bench.log()).some((l) => /Refused 1 connection\(s\) from 127\.0\.0\.9/.test(l.text)),
    ).toBe(true);
  });

  it('says plainly when its port is taken, and stops cleanly', async () => {
    const other = await startTestCore();
    try {
      unwrap(await other.api.bench.configure({ port, listenAddress: '127.0.0.1' }));
      const error = failure(await other.api.bench.start());
      expect(error).toMatchObject({ code: 'bench-unavailable', field: 'port' });
      expect(error.message).toMatch(new RegExp(`Port ${port} is already used by another program`));
      expect(unwrap(await other.api.bench.status())).toMatchObject({ running: false, error: error.message });
    } finally {
      await other.close();
    }
    const stopped = unwrap(await t.api.bench.stop());
    expect(stopped.running).toBe(false);
    expect(t.core.inbound.health('bench')).toMatchObject({ watching: false });
  });

  it('refuses bad settings at their field and keeps the old ones', async () => {
    const error = failure(await t.api.bench.configure({ port: 70000 }));
    expect(error.fields?.port ?? error.message).toMatch(/at most 65535/);
    expect(unwrap(await t.api.bench.status()).settings.port).toBe(port);
  });
});
