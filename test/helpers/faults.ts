import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { promises as dns } from 'node:dns';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import forge from 'node-forge';
import type { HostLookup } from '../../electron/core/adapters.ts';
import type { CertOptions, TestCertificate } from './certs.ts';

/**
 * Servers that misbehave on purpose, each on loopback only, so the fault matrix can produce every
 * failure class for real: a DNS server that answers NXDOMAIN or SERVFAIL, a port that never
 * answers a SYN, a server that accepts and never greets, and a scripted SMTP server for the
 * replies smtp-server cannot give.
 */

const LOOPBACK = '127.0.0.1';

async function listenLoopback(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  return new Promise<void>((resolve) => server.close(() => resolve()));
}

// ─── DNS ───────────────────────────────────────────────────────────────────────────────────────

export type DnsAnswer =
  | { rcode: 'NOERROR'; addresses: string[] }
  | { rcode: 'NXDOMAIN' }
  | { rcode: 'SERVFAIL' }
  | { rcode: 'REFUSED' };

const RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;
const TYPE_A = 1;

export interface LoopbackDns {
  port: number;
  /** Every question received: name (lower case) and numeric type. */
  queries: Array<{ name: string; type: number }>;
  close(): Promise<void>;
}

/** A DNS server on loopback UDP that answers each question with what `answer` says. */
export async function startDnsServer(
  answer: (name: string, type: number) => DnsAnswer,
): Promise<LoopbackDns> {
  const socket = createSocket('udp4');
  const queries: LoopbackDns['queries'] = [];
  socket.on('message', (query, from) => {
    if (query.length < 12) return;
    // the question: labels up to the zero byte, then type and class
    const labels: string[] = [];
    let at = 12;
    while (at < query.length && query[at] !== 0) {
      const length = query[at]!;
      labels.push(query.subarray(at + 1, at + 1 + length).toString('latin1'));
      at += 1 + length;
    }
    const questionEnd = at + 5;
    if (questionEnd > query.length) return;
    const name = labels.join('.').toLowerCase();
    const type = query.readUInt16BE(at + 1);
    queries.push({ name, type });

    const verdict = answer(name, type);
    const addresses = verdict.rcode === 'NOERROR' && type === TYPE_A ? verdict.addresses : [];
    const header = Buffer.alloc(12);
    header.writeUInt16BE(query.readUInt16BE(0), 0); // same id
    const rd = query[2]! & 0x01;
    header[2] = 0x80 | 0x04 | rd; // QR, AA, RD as asked
    header[3] = 0x80 | RCODE[verdict.rcode]; // RA, rcode
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(addresses.length, 6);
    const records = addresses.map((address) => {
      const record = Buffer.alloc(16);
      record.writeUInt16BE(0xc00c, 0); // pointer to the question name
      record.writeUInt16BE(TYPE_A, 2);
      record.writeUInt16BE(1, 4); // IN
      record.writeUInt32BE(60, 6);
      record.writeUInt16BE(4, 10);
      address.split('.').forEach((octet, i) => (record[12 + i] = Number(octet)));
      return record;
    });
    socket.send(
      Buffer.concat([header, query.subarray(12, questionEnd), ...records]),
      from.port,
      from.address,
    );
  });
  await new Promise<void>((resolve) => socket.bind(0, LOOPBACK, resolve));
  return {
    port: socket.address().port,
    queries,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** A HostLookup that asks only the given DNS server on loopback (IPv4 addresses). */
export function loopbackLookup(port: number): HostLookup {
  const resolver = new dns.Resolver({ timeout: 1000, tries: 1 });
  resolver.setServers([`${LOOPBACK}:${port}`]);
  return async (host) => (await resolver.resolve4(host)).map((address) => ({ address, family: 4 }));
}

// ─── TCP ───────────────────────────────────────────────────────────────────────────────────────

/** A loopback port with nothing listening on it (bound once to get a free number, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  const port = await listenLoopback(server);
  await closeServer(server, new Set());
  return port;
}

export interface SilentServer {
  port: number;
  /** Connections accepted so far. */
  connections: number;
  close(): Promise<void>;
}

/** Accepts TCP connections and never says a word: no greeting, no TLS handshake. */
export async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    result.connections++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  const result: SilentServer = {
    port: await listenLoopback(server),
    connections: 0,
    close: () => closeServer(server, sockets),
  };
  return result;
}

/**
 * A socket listening with a backlog of 0 that never accepts; two connections of its own fill the
 * accept queue, after which the kernel drops every SYN to that port, exactly like a firewall that
 * drops packets. Node always listens with a backlog of at least 1 and accepts on its own, so the
 * listener is a small python3 process; it exits when its stdin closes.
 */
const BACKLOG_FULL_PY = `
import socket, sys, time
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.bind(('127.0.0.1', 0))
srv.listen(0)
port = srv.getsockname()[1]
fillers = []
for _ in range(2):
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.setblocking(False)
    c.connect_ex(('127.0.0.1', port))
    fillers.append(c)
time.sleep(0.2)
sys.stdout.write('%d\\n' % port)
sys.stdout.flush()
sys.stdin.read()
`;

export interface BacklogFullListener {
  port: number;
  close(): Promise<void>;
}

export async function startBacklogFullListener(): Promise<BacklogFullListener> {
  const child = spawn('python3', ['-c', BACKLOG_FULL_PY], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = async () => {
    child.stdin.end();
    const timer = setTimeout(() => child.kill(), 2000);
    await exited;
    clearTimeout(timer);
  };
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`python3 listener exited early (${code})`)));
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = /^(\d+)\n/.exec(out);
      if (line) resolve(Number(line[1]));
    });
  });
  // Prove the technique works here: a SYN to the port must go unanswered.
  const answered = await new Promise<boolean>((resolve) => {
    const probe = connect({ host: LOOPBACK, port });
    const timer = setTimeout(() => {
      probe.destroy();
      resolve(false);
    }, 300);
    const settle = () => {
      clearTimeout(timer);
      probe.destroy();
      resolve(true);
    };
    probe.once('connect', settle);
    probe.once('error', settle);
  });
  if (answered) {
    await close();
    throw new Error(
      'The full-backlog listener still answers SYNs on this system; connect-timeout cannot be produced',
    );
  }
  return { port, close };
}

// ─── Scripted SMTP ─────────────────────────────────────────────────────────────────────────────

/** A reply to send as is (lines separated by CRLF, without the final one), or 'drop' to reset. */
export type ScriptedReply = string | 'drop';

export interface ScriptedSmtpOptions {
  /** Extension lines of the EHLO reply after the host line, e.g. ['AUTH PLAIN LOGIN', 'SIZE 1000']. */
  extensions?: string[];
  /** Replies by command; MESSAGE is the reply after the message's final dot. */
  replies?: Partial<Record<'AUTH' | 'MAIL' | 'RCPT' | 'DATA' | 'MESSAGE', ScriptedReply>>;
  /** Destroys the connection once this many bytes of the message have arrived, before any reply. */
  dropAfterDataBytes?: number;
}

export interface ScriptedSmtpServer {
  port: number;
  connections: number;
  /** Command lines received, across connections (AUTH payloads included: test credentials only). */
  commands: string[];
  /** Messages received completely (up to the final dot). */
  messages: number;
  close(): Promise<void>;
}

const DEFAULT_REPLIES = {
  AUTH: '235 2.7.0 Authentication successful',
  MAIL: '250 2.1.0 Ok',
  RCPT: '250 2.1.5 Ok',
  DATA: '354 End data with <CR><LF>.<CR><LF>',
  MESSAGE: '250 2.0.0 Ok: queued as SCRIPTED',
};

/** Speaks just enough SMTP to reach the command where it must misbehave, then sends its reply. */
export async function startScriptedSmtp(options: ScriptedSmtpOptions = {}): Promise<ScriptedSmtpServer> {
  const sockets = new Set<Socket>();
  const replies = { ...DEFAULT_REPLIES, ...options.replies };
  const ehlo = ['fault.test greets you', ...(options.extensions ?? [])];

  const server = createServer((socket) => {
    result.connections++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    let buffer = '';
    let inData = false;

    const send = (reply: ScriptedReply) => {
      if (reply === 'drop') socket.destroy();
      else socket.write(`${reply}\r\n`);
    };

    const command = (line: string) => {
      result.commands.push(line);
      const verb = (/^\S+/.exec(line)?.[0] ?? '').toUpperCase();
      switch (verb) {
        case 'EHLO':
          send(ehlo.map((text, i) => `250${i === ehlo.length - 1 ? ' ' : '-'}${text}`).join('\r\n'));
          return;
        case 'HELO':
          send('250 fault.test');
          return;
        case 'AUTH':
        case 'MAIL':
        case 'RCPT':
          send(replies[verb]);
          return;
        case 'DATA':
          send(replies.DATA);
          inData = replies.DATA.startsWith('354');
          return;
        case 'RSET':
        case 'NOOP':
          send('250 2.0.0 Ok');
          return;
        case 'QUIT':
          send('221 2.0.0 Bye');
          socket.end();
          return;
        default:
          send('502 5.5.2 Command not implemented');
      }
    };

    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      for (;;) {
        if (inData) {
          // the buffer holds the message received so far
          if (options.dropAfterDataBytes !== undefined && buffer.length >= options.dropAfterDataBytes) {
            socket.destroy();
            return;
          }
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) return;
          buffer = buffer.slice(end + 5);
          inData = false;
          result.messages++;
          send(replies.MESSAGE);
          continue;
        }
        const eol = buffer.indexOf('\r\n');
        if (eol < 0 || socket.destroyed) return;
        const line = buffer.slice(0, eol);
        buffer = buffer.slice(eol + 2);
        command(line);
      }
    });
    socket.write('220 fault.test ESMTP scripted\r\n');
  });
  const result: ScriptedSmtpServer = {
    port: await listenLoopback(server),
    connections: 0,
    commands: [],
    messages: 0,
    close: () => closeServer(server, sockets),
  };
  return result;
}

// ─── Certificates ──────────────────────────────────────────────────────────────────────────────

/**
 * A server certificate signed by `issuer` (a CA certificate from makeCertificate), so a connector
 * that pins the CA trusts it through the chain; its fingerprint is not the pinned one, so the
 * host name is checked as with any public certificate.
 */
export function issueCertificate(issuer: TestCertificate, options: CertOptions = {}): TestCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const pubPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const ca = forge.pki.certificateFromPem(issuer.cert);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(pubPem);
  cert.serialNumber = '02' + forge.util.bytesToHex(forge.random.getBytesSync(8));
  const now = Date.now();
  cert.validity.notBefore = options.notBefore ?? new Date(now - 24 * 3600_000);
  cert.validity.notAfter = options.notAfter ?? new Date(now + 365 * 24 * 3600_000);
  const names = options.names ?? ['localhost', '127.0.0.1'];
  cert.setSubject([
    { name: 'commonName', value: options.commonName ?? names[0] ?? 'localhost' },
    { name: 'organizationName', value: 'AlertDesk tests' },
  ]);
  cert.setIssuer(ca.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: names.map((n) =>
        /^\d+\.\d+\.\d+\.\d+$/.test(n) ? { type: 7, ip: n } : { type: 2, value: n },
      ),
    },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(issuer.key), forge.md.sha256.create());
  return { key: keyPem, cert: forge.pki.certificateToPem(cert) };
}
