import { connect, createServer, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
// nodemailer's own dot-stuffer, the reference the dialogue's data must match byte for byte.
import DataStream from '../../node_modules/nodemailer/dist/esm/smtp-connection/data-stream.js';
import {
  dataFor,
  serverMessageIdOf,
  SmtpDialogue,
  type DialogueLog,
  type SmtpError,
} from '../../electron/core/mail/smtp-dialogue.ts';

/**
 * A loopback server whose every answer the test writes: `answer` gets each command line (and,
 * after a 354, the message data as one string) and the socket to reply on.
 */
async function converse(answer: (line: string, socket: Socket, chunk: number) => void) {
  const sockets = new Set<Socket>();
  const chunks: string[] = [];
  const accepted: Socket[] = [];
  const server = createServer((socket) => {
    sockets.add(socket);
    accepted.push(socket);
    socket.on('error', () => {});
    let buffer = '';
    let inData = false;
    socket.on('data', (data: Buffer) => {
      chunks.push(data.toString('latin1'));
      buffer += data.toString('latin1');
      for (;;) {
        if (inData) {
          // the data ends with CRLF "." CRLF, or is just "." CRLF (an empty message)
          const end = buffer.startsWith('.\r\n') ? -2 : buffer.indexOf('\r\n.\r\n');
          if (end === -1) return;
          const message = buffer.slice(0, end + 5);
          buffer = buffer.slice(end + 5);
          inData = false;
          answer(message, socket, chunks.length);
          continue;
        }
        const eol = buffer.indexOf('\r\n');
        if (eol < 0 || socket.destroyed) return;
        const line = buffer.slice(0, eol);
        buffer = buffer.slice(eol + 2);
        answer(line, socket, chunks.length);
        if (/^DATA$/i.test(line)) inData = lastWrite(socket).startsWith('354');
      }
    });
    socket.write('220 dialogue.test ESMTP\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const opened: Array<{ socket: Socket }> = [];
  cleanups.push(async () => {
    for (const { socket } of opened) socket.destroy();
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return {
    /** Each 'data' event the server got, as text: what arrived together. */
    chunks,
    /** The server's side of each connection, in the order they came. */
    sockets: accepted,
    async open(options: { socketTimeoutMs?: number } = {}) {
      const socket = connect({ host: '127.0.0.1', port, noDelay: true });
      await new Promise((resolve) => socket.once('connect', resolve));
      opened.push({ socket });
      const lines: Array<{ dir: 'c' | 's' | 'i'; text: string }> = [];
      const log: DialogueLog = {
        client: (text) => lines.push({ dir: 'c', text }),
        server: (text) => lines.push({ dir: 's', text }),
        note: (text) => lines.push({ dir: 'i', text }),
      };
      const dialogue = new SmtpDialogue(socket, {
        log,
        socketTimeoutMs: options.socketTimeoutMs ?? 5000,
        greetingTimeoutMs: 5000,
      });
      let ended = 0;
      dialogue.onEnd = () => ended++;
      return { dialogue, lines, ended: () => ended };
    },
  };
}

/** What the server last wrote on `socket` (tracked by say). */
const written = new WeakMap<Socket, string>();
const lastWrite = (socket: Socket) => written.get(socket) ?? '';
const say = (socket: Socket, text: string) => {
  written.set(socket, text);
  socket.write(`${text}\r\n`);
};

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/**
 * A server that answers EHLO with `extensions` and everything else by `rest`: a reply, null for
 * the usual one (250, 354 to DATA), or undefined when `rest` answered (or chose silence) itself.
 */
const ehloThen =
  (extensions: string[], rest: (line: string, socket: Socket) => string | null | undefined = () => null) =>
  (line: string, socket: Socket) => {
    if (/^EHLO /.test(line)) {
      const all = ['dialogue.test', ...extensions];
      say(socket, all.map((e, i) => `250${i === all.length - 1 ? ' ' : '-'}${e}`).join('\r\n'));
      return;
    }
    const reply = rest(line, socket);
    if (reply === undefined) return;
    if (reply !== null) return say(socket, reply);
    if (/^DATA$/i.test(line)) return say(socket, '354 go ahead');
    if (/^QUIT$/i.test(line)) return say(socket, '221 bye');
    say(socket, line.endsWith('\r\n.\r\n') ? '250 2.0.0 Ok: queued as D1' : '250 Ok');
  };

const server = { pipelining: true, smtputf8: false, size: false, host: '127.0.0.1' };
const message = Buffer.from('Subject: test\r\n\r\nhello\r\n');

describe('the SMTP dialogue', () => {
  it('reads multi-line replies however the network splits them', async () => {
    const peer = await converse((line, socket) => {
      if (!/^EHLO /.test(line)) return say(socket, '250 Ok');
      // one byte per packet, across line ends and codes
      const reply = '250-dialogue.test\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 AUTH PLAIN LOGIN\r\n';
      written.set(socket, reply);
      let i = 0;
      const drip = () => {
        if (i >= reply.length || socket.destroyed) return;
        socket.write(reply[i++]!);
        setTimeout(drip, 1);
      };
      drip();
    });
    const { dialogue, lines } = await peer.open();
    expect((await dialogue.greeting()).code).toBe(220);
    const { extensions } = await dialogue.hello(false);
    expect(extensions).toEqual(['PIPELINING', 'SIZE 1000', 'AUTH PLAIN LOGIN']);
    expect(lines.filter((l) => l.dir === 's').map((l) => l.text)).toEqual([
      '220 dialogue.test ESMTP',
      '250-dialogue.test',
      '250-PIPELINING',
      '250-SIZE 1000',
      '250 AUTH PLAIN LOGIN',
    ]);
  });

  it('falls back to HELO when EHLO is refused, but not when STARTTLS is required', async () => {
    const peer = await converse((line, socket) =>
      say(socket, /^EHLO /.test(line) ? '502 5.5.2 EHLO not implemented' : '250 dialogue.test'),
    );
    const plain = await peer.open();
    await plain.dialogue.greeting();
    expect((await plain.dialogue.hello(false)).extensions).toEqual([]);
    expect(plain.lines.filter((l) => l.dir === 'c').map((l) => l.text.split(' ')[0])).toEqual([
      'EHLO',
      'HELO',
    ]);

    const strict = await peer.open();
    await strict.dialogue.greeting();
    const error = (await strict.dialogue.hello(true).catch((e: unknown) => e)) as SmtpError;
    expect(error.code).toBe('ECONNECTION');
    expect(error.command).toBe('EHLO');
    expect(error.responseCode).toBe(502);
    expect(strict.dialogue.usable).toBe(false);
  });

  it('pipelines the envelope and DATA in one write, sends the data in one more, and reports refused recipients', async () => {
    const peer = await converse(
      ehloThen(['PIPELINING'], (line) => (/^RCPT TO:<nobody@/.test(line) ? '550 5.1.1 No such user' : null)),
    );
    const { dialogue } = await peer.open();
    await dialogue.greeting();
    await dialogue.hello(false);
    const sent = await dialogue.send(
      { from: 'cam@site.test', to: ['ops@site.test', 'nobody@site.test'], size: message.length },
      message,
      server,
    );
    expect(sent.accepted).toEqual(['ops@site.test']);
    expect(sent.rejected).toEqual(['nobody@site.test']);
    expect(sent.rejectedErrors[0]?.response).toBe('550 5.1.1 No such user');
    expect(sent.response).toBe('250 2.0.0 Ok: queued as D1');
    expect(peer.chunks.at(-2)).toBe(
      'MAIL FROM:<cam@site.test>\r\nRCPT TO:<ops@site.test>\r\nRCPT TO:<nobody@site.test>\r\nDATA\r\n',
    );
    expect(peer.chunks.at(-1)).toBe('Subject: test\r\n\r\nhello\r\n.\r\n');
    expect(dialogue.usable).toBe(true);
  });

  it('sends QUIT along with the last message when the server pipelines, and only logs its 221', async () => {
    const peer = await converse(ehloThen(['PIPELINING']));
    const { dialogue, lines, ended } = await peer.open();
    await dialogue.greeting();
    await dialogue.hello(false);
    const sent = await dialogue.send(
      { from: 'cam@site.test', to: ['ops@site.test'], size: 0 },
      message,
      server,
      {
        thenQuit: true,
      },
    );
    expect(sent.response).toBe('250 2.0.0 Ok: queued as D1');
    expect(peer.chunks.at(-1)).toBe('Subject: test\r\n\r\nhello\r\n.\r\nQUIT\r\n');
    expect(dialogue.usable).toBe(false);
    await expect.poll(ended).toBe(1);
    // the 221 arrived after the verdict, and nothing took it for a protocol error
    expect(lines.some((l) => l.dir === 's' && l.text === '221 bye')).toBe(true);
    expect(lines.some((l) => l.dir === 'i' && /Unexpected|closed unexpectedly/.test(l.text))).toBe(false);
    // quitting again says nothing more
    dialogue.quit();
    expect(peer.chunks.filter((c) => c.includes('QUIT'))).toHaveLength(1);
  });

  it('ends an empty message when every recipient was refused but DATA was taken, and stays usable', async () => {
    let refuse = true;
    const peer = await converse(
      ehloThen(['PIPELINING'], (line) => (refuse && /^RCPT/.test(line) ? '550 5.1.1 No such user' : null)),
    );
    const { dialogue } = await peer.open();
    await dialogue.greeting();
    await dialogue.hello(false);
    const error = (await dialogue
      .send({ from: 'cam@site.test', to: ['a@site.test', 'b@site.test'], size: 0 }, message, server)
      .catch((e: unknown) => e)) as SmtpError;
    expect(error.code).toBe('EENVELOPE');
    expect(error.command).toBe('RCPT TO');
    expect(error.responseCode).toBe(550);
    expect(peer.chunks.at(-1)).toBe('.\r\n');
    expect(dialogue.usable).toBe(true);
    refuse = false;
    const sent = await dialogue.send(
      { from: 'cam@site.test', to: ['a@site.test'], size: 0 },
      message,
      server,
    );
    expect(sent.accepted).toEqual(['a@site.test']);
  });

  it('goes step by step without PIPELINING and stops at a refused sender', async () => {
    const peer = await converse(
      ehloThen(['SIZE 1000'], (line) => (/^MAIL/.test(line) ? '553 5.7.1 Sender not owned by user' : null)),
    );
    const { dialogue, lines } = await peer.open();
    await dialogue.greeting();
    await dialogue.hello(false);
    const error = (await dialogue
      .send({ from: 'cam@site.test', to: ['a@site.test'], size: 42 }, message, {
        ...server,
        pipelining: false,
        size: true,
      })
      .catch((e: unknown) => e)) as SmtpError;
    expect(error.code).toBe('EENVELOPE');
    expect(error.command).toBe('MAIL FROM');
    expect(error.responseCode).toBe(553);
    const said = lines.filter((l) => l.dir === 'c').map((l) => l.text);
    expect(said.at(-1)).toBe('MAIL FROM:<cam@site.test> SIZE=42');
    expect(said.some((l) => l.startsWith('RCPT'))).toBe(false);
  });

  it('takes a 421 inside a pipelined envelope as the end of the session', async () => {
    const peer = await converse(
      ehloThen(['PIPELINING'], (line, socket) => {
        if (!/^RCPT/.test(line)) return null;
        say(socket, '421 4.7.0 Too many messages, closing');
        socket.end();
        return undefined;
      }),
    );
    const { dialogue, ended } = await peer.open();
    await dialogue.greeting();
    await dialogue.hello(false);
    const error = (await dialogue
      .send({ from: 'cam@site.test', to: ['a@site.test'], size: 0 }, message, server)
      .catch((e: unknown) => e)) as SmtpError;
    expect(error.code).toBe('ECONNECTION');
    expect(error.responseCode).toBe(421);
    expect(dialogue.usable).toBe(false);
    await expect.poll(ended).toBe(1);
  });

  it('closes quietly on an idle 421, and fails on a reply nobody asked for', async () => {
    const peer = await converse(ehloThen([]));
    const idle = await peer.open();
    await idle.dialogue.greeting();
    await idle.dialogue.hello(false);
    await expect.poll(() => peer.sockets.length).toBe(1);
    say(peer.sockets[0]!, '421 4.4.2 Idle too long');
    await expect.poll(idle.ended).toBe(1);
    expect(idle.lines.at(-1)?.text).toMatch(/Server closed the idle connection: 421/);

    const chatty = await peer.open();
    await chatty.dialogue.greeting();
    await chatty.dialogue.hello(false);
    await expect.poll(() => peer.sockets.length).toBe(2);
    say(peer.sockets[1]!, '250 surprise');
    await expect.poll(chatty.ended).toBe(1);
    const error = (await chatty.dialogue.hello(false).catch((e: unknown) => e)) as SmtpError;
    expect(error.code).toBe('EPROTOCOL');
    expect(error.response).toBe('250 surprise');
  });

  it('keeps the last words of a server that closes in the middle of a reply', async () => {
    const peer = await converse(
      ehloThen([], (line, socket) => {
        if (!/^MAIL/.test(line)) return null;
        socket.end('554 5.7.1 Go away');
        return undefined;
      }),
    );
    const { dialogue, lines } = await peer.open();
    await dialogue.greeting();
    await dialogue.hello(false);
    const error = (await dialogue
      .send({ from: 'cam@site.test', to: ['a@site.test'], size: 0 }, message, {
        ...server,
        pipelining: false,
      })
      .catch((e: unknown) => e)) as SmtpError;
    expect(error.code).toBe('ECONNECTION');
    expect(error.responseCode).toBe(554);
    expect(lines.some((l) => l.dir === 's' && l.text === '554 5.7.1 Go away')).toBe(true);
  });

  it('fails, and does not crash, when the connection is reset in the middle of the STARTTLS handshake', async () => {
    const peer = await converse(
      ehloThen(['STARTTLS'], (line, socket) => {
        if (!/^STARTTLS/.test(line)) return null;
        say(socket, '220 2.0.0 Ready to start TLS');
        // the first bytes of the client's handshake arrive, then the server resets the connection
        socket.once('data', () => socket.resetAndDestroy());
        return undefined;
      }),
    );
    const { dialogue, ended } = await peer.open();
    await dialogue.greeting();
    await dialogue.hello(true);
    const error = (await dialogue
      .startTls({ host: '127.0.0.1', rejectUnauthorized: true }, 5000)
      .catch((e: unknown) => e)) as SmtpError;
    expect(['ESOCKET', 'ETLS', 'ECONNECTION']).toContain(error.code);
    expect(dialogue.usable).toBe(false);
    await expect.poll(ended).toBe(1);
  });

  it('times out a server that stops answering', async () => {
    const peer = await converse(ehloThen([], (line) => (/^MAIL/.test(line) ? undefined : null)));
    const { dialogue } = await peer.open({ socketTimeoutMs: 200 });
    await dialogue.greeting();
    await dialogue.hello(false);
    const error = (await dialogue
      .send({ from: 'cam@site.test', to: ['a@site.test'], size: 0 }, message, {
        ...server,
        pipelining: false,
      })
      .catch((e: unknown) => e)) as SmtpError & { timeoutType?: string };
    expect(error.code).toBe('ETIMEDOUT');
    expect(error.timeoutType).toBe('SOCKET_TIMEOUT');
  });

  it('writes message data byte for byte as nodemailer does: line ends, dot-stuffing, the final dot', async () => {
    const bodies = [
      '',
      'a',
      'a\r\n',
      'a\n',
      'a\r',
      '.',
      '.\r\n',
      '..leading dots\r\n.\r\n.x',
      'bare\nLF\nlines\n.dot\n',
      'bare\rCR\r.dot\rend',
      'mixed\r\n\n\r\r\n.\r.\n.',
      'x\r\n.\r\nsmuggled\r\n.\r\n',
      'ünïcode\r\n.ü\r\n',
      // already clean (what the composer writes): sent as it is, with the terminator
      'Subject: a\r\nTo: b\r\n\r\nline one\r\nline two\r\n',
      'no break at the end\r\nlast',
      'clean\r\nthen a trailing CR\r',
      '\r\n',
    ];
    for (const body of bodies) {
      const raw = Buffer.from(body, 'utf8');
      const reference = await new Promise<Buffer>((resolve, reject) => {
        const parts: Buffer[] = [];
        const stream = new DataStream();
        stream.on('data', (c: Buffer) => parts.push(c));
        stream.on('end', () => resolve(Buffer.concat(parts)));
        stream.on('error', reject);
        Readable.from([raw]).pipe(stream);
      });
      expect(dataFor(raw).toString('latin1'), JSON.stringify(body)).toBe(reference.toString('latin1'));
    }
  });

  it('reads the Message-ID Microsoft 365 and Amazon SES give a message', () => {
    expect(
      serverMessageIdOf(
        '250 2.0.0 OK <AB12@EX.eurprd04.prod.outlook.com> [Hostname=X]',
        'smtp.office365.com',
      ),
    ).toBe('<AB12@EX.eurprd04.prod.outlook.com>');
    expect(
      serverMessageIdOf('250 Ok 0100018b5c3c0a4f-1a2b-000000', 'email-smtp.eu-west-1.amazonaws.com'),
    ).toBe('<0100018b5c3c0a4f-1a2b-000000@eu-west-1.amazonses.com>');
    expect(serverMessageIdOf('250 Ok 0100018b5c3c0a4f-1a2b-000000', 'smtp.example.test')).toBeNull();
    expect(serverMessageIdOf('250 2.0.0 Ok: queued as X', 'smtp.example.test')).toBeNull();
  });
});
