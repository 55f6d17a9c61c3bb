import { afterEach, describe, expect, it } from 'vitest';
import { SmtpFailure } from '../../electron/core/mail/failure.ts';
import { SmtpSession, type SmtpTarget } from '../../electron/core/mail/session.ts';
import { Transcript } from '../../electron/core/mail/transcript.ts';
import {
  ehloReply,
  ehloThen,
  startSmtpPeer,
  type PeerAnswer,
  type PeerConnection,
  type SmtpPeer,
} from '../helpers/smtp-peer.ts';

/**
 * The SMTP session (nodemailer's SMTPConnection over AlertDesk's socket) against a scripted peer:
 * the dialogue's edge cases, as the session reports them.
 */

const peers: SmtpPeer[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) await p.close();
});

async function peer(answer: PeerAnswer, options?: Parameters<typeof startSmtpPeer>[1]) {
  const p = await startSmtpPeer(answer, options);
  peers.push(p);
  return p;
}

const target = (port: number, extra: Partial<SmtpTarget> = {}): SmtpTarget => ({
  host: '127.0.0.1',
  port,
  security: 'none',
  auth: 'none',
  username: '',
  password: '',
  allowPlainLogin: false,
  trustedCertificatePem: null,
  connectTimeoutMs: 5000,
  greetingTimeoutMs: 5000,
  socketTimeoutMs: 5000,
  pop: null,
  ...extra,
});

const message = (to: string[]) => ({
  raw: Buffer.from('Subject: test\r\n\r\nhello\r\n'),
  envelopeFrom: 'cam@site.test',
  recipients: to,
});

async function open(port: number, extra: Partial<SmtpTarget> = {}) {
  const transcript = new Transcript();
  const session = await SmtpSession.open(target(port, extra), transcript);
  return { session, transcript };
}

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => {
      expect(e).toBeInstanceOf(SmtpFailure);
      return (e as SmtpFailure).raw;
    },
  );

describe('the SMTP session', () => {
  it('reads multi-line replies however the network splits them', async () => {
    const p = await peer((line, conn) => {
      if (!/^EHLO /.test(line)) return ehloThen([])(line, conn);
      // one byte per packet, across line ends and codes
      const reply = `${ehloReply(['PIPELINING', 'SIZE 1000', 'AUTH PLAIN LOGIN'])}\r\n`;
      conn.socket.setNoDelay(true);
      let i = 0;
      const drip = () => {
        if (i >= reply.length || conn.socket.destroyed) return;
        conn.socket.write(reply[i++]!);
        setTimeout(drip, 1);
      };
      drip();
    });
    const { session, transcript } = await open(p.port);
    expect(session.capabilities).toMatchObject({
      extensions: ['PIPELINING', 'SIZE 1000', 'AUTH PLAIN LOGIN'],
      authMechanisms: ['PLAIN', 'LOGIN'],
      pipelining: true,
      size: 1000,
    });
    expect(
      transcript
        .lines()
        .filter((l) => l.dir === 's')
        .map((l) => l.text),
    ).toEqual([
      '220 peer.test ESMTP',
      '250-peer.test',
      '250-PIPELINING',
      '250-SIZE 1000',
      '250 AUTH PLAIN LOGIN',
    ]);
    session.close();
  });

  it('falls back to HELO when EHLO is refused, but not when STARTTLS is required', async () => {
    const p = await peer((line, conn) =>
      conn.say(/^EHLO /.test(line) ? '502 5.5.2 EHLO not implemented' : '250 peer.test'),
    );
    const plain = await open(p.port);
    expect(
      plain.transcript
        .lines()
        .filter((l) => l.dir === 'c')
        .map((l) => l.text.split(' ')[0]),
    ).toEqual(['EHLO', 'HELO']);
    expect(plain.session.capabilities.extensions).toEqual([]);
    plain.session.close();

    const strict = await failureOf(open(p.port, { security: 'starttls' }));
    expect(strict).toMatchObject({ code: 'ECONNECTION', command: 'EHLO', responseCode: 502 });
  });

  it('pipelines the envelope and DATA in one write and reports the recipients it refused', async () => {
    const p = await peer(
      ehloThen(['PIPELINING'], (line) => (/^RCPT TO:<nobody@/.test(line) ? '550 5.1.1 No such user' : null)),
    );
    const { session } = await open(p.port);
    const sent = await session.send(message(['ops@site.test', 'nobody@site.test']), new Transcript());
    expect(sent).toEqual({
      accepted: ['ops@site.test'],
      rejected: [{ address: 'nobody@site.test', reply: '550 5.1.1 No such user' }],
      response: '250 2.0.0 Ok: queued as P1',
      serverMessageId: null,
    });
    expect(p.chunks).toContain(
      'MAIL FROM:<cam@site.test>\r\nRCPT TO:<ops@site.test>\r\nRCPT TO:<nobody@site.test>\r\nDATA\r\n',
    );
    expect(session.usable).toBe(true);
    session.quit();
  });

  it('ends the empty message of a server that took DATA with nobody to deliver to, and fails it', async () => {
    const p = await peer(
      ehloThen(['PIPELINING'], (line) => (/^RCPT/.test(line) ? '550 5.1.1 No such user' : null)),
    );
    const { session } = await open(p.port);
    const raw = await failureOf(session.send(message(['a@site.test', 'b@site.test']), new Transcript()));
    expect(raw).toMatchObject({ code: 'EENVELOPE', command: 'RCPT TO', responseCode: 550 });
    expect(raw.rejected.map((r) => r.address)).toEqual(['a@site.test', 'b@site.test']);
    expect(p.messages).toEqual(['.\r\n']);
  });

  it('goes step by step without PIPELINING and stops at a refused sender', async () => {
    const p = await peer(
      ehloThen(['SIZE 1000'], (line) => (/^MAIL/.test(line) ? '553 5.7.1 Sender not owned by user' : null)),
    );
    const { session } = await open(p.port);
    const transcript = new Transcript();
    const raw = await failureOf(session.send(message(['a@site.test']), transcript));
    expect(raw).toMatchObject({ code: 'EENVELOPE', command: 'MAIL FROM', responseCode: 553 });
    const said = transcript
      .lines()
      .filter((l) => l.dir === 'c')
      .map((l) => l.text);
    expect(said).toEqual([`MAIL FROM:<cam@site.test> SIZE=${message([]).raw.length}`]);
    expect(p.commands.some((c) => c.startsWith('RCPT'))).toBe(false);
  });

  it('takes a 421 inside a pipelined envelope as the end of the session', async () => {
    const p = await peer(
      ehloThen(['PIPELINING'], (line, conn) => {
        if (!/^RCPT/.test(line)) return null;
        conn.say('421 4.7.0 Too many messages, closing');
        conn.socket.end();
        return undefined;
      }),
    );
    const { session } = await open(p.port);
    const raw = await failureOf(session.send(message(['a@site.test']), new Transcript()));
    expect(raw).toMatchObject({ code: 'ECONNECTION', responseCode: 421 });
    expect(raw.response).toBe('421 4.7.0 Too many messages, closing');
    expect(session.usable).toBe(false);
  });

  it('closes quietly on an idle 421, and breaks on a reply nobody asked for', async () => {
    let server: PeerConnection | null = null;
    const p = await peer((line, conn) => {
      server = conn;
      ehloThen([])(line, conn);
    });
    const idle = await open(p.port);
    let broken = 0;
    idle.session.onBroken = () => broken++;
    server!.say('421 4.4.2 Idle too long');
    await expect.poll(() => broken).toBe(1);
    expect(idle.session.usable).toBe(false);
    expect(
      idle.transcript
        .lines()
        .some(
          (l) => l.dir === 'i' && /Server closed the idle connection: 421 4\.4\.2 Idle too long/.test(l.text),
        ),
    ).toBe(true);

    const chatty = await open(p.port);
    let chattyBroken = 0;
    chatty.session.onBroken = () => chattyBroken++;
    server!.say('250 surprise');
    await expect.poll(() => chattyBroken).toBe(1);
    expect(
      chatty.transcript
        .lines()
        .some((l) => l.dir === 'i' && /Unexpected Response: 250 surprise/.test(l.text)),
    ).toBe(true);
  });

  it('keeps the last words of a server that closes in the middle of a reply', async () => {
    const p = await peer(
      ehloThen([], (line, conn) => {
        if (!/^MAIL/.test(line)) return null;
        conn.socket.end('554 5.7.1 Go away');
        return undefined;
      }),
    );
    const { session } = await open(p.port);
    const transcript = new Transcript();
    const raw = await failureOf(session.send(message(['a@site.test']), transcript));
    expect(raw).toMatchObject({ code: 'ECONNECTION', responseCode: 554, response: '554 5.7.1 Go away' });
    expect(transcript.lines().some((l) => l.dir === 's' && l.text === '554 5.7.1 Go away')).toBe(true);
  });

  it('fails, and does not crash, when the connection is reset in the middle of the STARTTLS handshake', async () => {
    const p = await peer(
      ehloThen(['STARTTLS'], (line, conn) => {
        if (!/^STARTTLS/.test(line)) return null;
        conn.say('220 2.0.0 Ready to start TLS');
        // the first bytes of the client's handshake arrive, then the server resets the connection
        conn.socket.once('data', () => conn.socket.resetAndDestroy());
        return undefined;
      }),
    );
    const raw = await failureOf(open(p.port, { security: 'starttls' }));
    expect(['ESOCKET', 'ETLS', 'ECONNECTION']).toContain(raw.code);
  });

  it('times out a server that stops answering', async () => {
    const p = await peer(ehloThen([], (line) => (/^MAIL/.test(line) ? undefined : null)));
    const { session } = await open(p.port, { socketTimeoutMs: 200 });
    const raw = await failureOf(session.send(message(['a@site.test']), new Transcript()));
    expect(raw).toMatchObject({ code: 'ETIMEDOUT', timeoutType: 'SOCKET_TIMEOUT', stage: 'envelope' });
  });

  it('reads the Message-ID Microsoft 365 gives a message', async () => {
    const p = await peer(
      ehloThen(['PIPELINING'], (line) =>
        line.endsWith('\r\n.\r\n') ? '250 2.0.0 OK <AB12@EX.eurprd04.prod.outlook.com> [Hostname=X]' : null,
      ),
    );
    const { session } = await open(p.port);
    const sent = await session.send(message(['a@site.test']), new Transcript());
    expect(sent.serverMessageId).toBe('<AB12@EX.eurprd04.prod.outlook.com>');
    session.quit();
  });

  it('checks the SIZE limit before sending anything', async () => {
    const p = await peer(ehloThen(['PIPELINING', 'SIZE 10']));
    const { session } = await open(p.port);
    const raw = await failureOf(session.send(message(['a@site.test']), new Transcript()));
    expect(raw).toMatchObject({ local: 'message-too-large', facts: { limit: 10 } });
    expect(p.commands.some((c) => c.startsWith('MAIL'))).toBe(false);
    session.close();
  });
});
