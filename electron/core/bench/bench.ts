import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import type { Readable } from 'node:stream';
import { SMTPServer, type SMTPServerAuthentication, type SMTPServerSession } from 'smtp-server';
import {
  BenchSettingsFields,
  SNAPSHOT_VIEW_MAX_BYTES,
  type BenchEvent,
  type BenchLogEntry,
  type BenchMessage,
  type BenchPage,
  type BenchSettings,
  type BenchStatus,
  type LaptopAddress,
} from '../../../shared/bench.ts';
import { AppError, notFound } from '../../../shared/result.ts';
import type { Logger } from '../adapters.ts';
import type { Db } from '../history/db.ts';
import type { InboundHub } from '../inbound/hub.ts';
import type { Inventory, StoredCamera } from '../inventory/inventory.ts';
import { BenchConfig, type PlacedSecretBox } from './bench-config.ts';
import { SourceLimits } from './bench-limits.ts';
import { camerasForLogin, matchCamera, passwordCheck, plainAddress } from './bench-match.ts';
import { BenchParser } from './bench-parser.ts';
import { BenchStore } from './bench-store.ts';

/** The bench inbox as a source of the inbound hub: heartbeats and arrival proof read it there. */
export const BENCH_SOURCE_ID = 'bench';
const LOG_KEPT = 200;
const MAX_FAILED_LOGINS = 3;
/** Messages waiting to be read at once, across all sources, before new ones are asked to wait. */
const MAX_BACKLOG = 32;
const MAX_CLIENTS = 100;

export interface BenchDeps {
  db: Db;
  /** The bench's folder in the data folder (settings, certificate, raw messages). */
  dir: string;
  inventory: Inventory;
  secrets: PlacedSecretBox;
  inbound: InboundHub;
  logger: Logger;
  now: () => number;
  emit: (event: BenchEvent) => void;
  /** The parsing thread's script (bench-worker.ts, bundled as dist/electron/bench-worker.cjs). */
  workerScript: URL | null;
}

type Session = SMTPServerSession & { user?: unknown };
interface BenchUser {
  login: string;
  /** The cameras the login and password belong to ('cameras' mode), or null ('any'). */
  cameraIds: string[] | null;
}

/** The clients smtp-server cuts off by itself (its 421 replies), and what to tell the integrator. */
const CUT_OFF: Array<[RegExp, (source: string) => string]> = [
  [
    /too many unrecognized commands/,
    (s) =>
      `Cut off ${s}: it sent 10 commands that are not SMTP. Check that the camera uses SMTP (not HTTP or FTP) on this port.`,
  ],
  [
    /too many unauthenticated commands/,
    (s) =>
      `Cut off ${s}: it kept sending commands without logging in. Set the camera's SMTP login, or let the bench accept any login.`,
  ],
  [/You talk too soon/, (s) => `Cut off ${s}: it spoke before the greeting, which no mail client does.`],
  [
    /HTTP requests not allowed/,
    (s) => `Cut off ${s}: it sent an HTTP request (a browser or a web page pointed at the SMTP port).`,
  ],
  [/Timeout/, (s) => `Closed the connection from ${s}: it was silent for 60 s.`],
];

const smtpError = (code: number, message: string) =>
  Object.assign(new Error(message), { responseCode: code });

/** Why listening failed, in the integrator's words. */
function listenProblem(error: NodeJS.ErrnoException, s: BenchSettings): string {
  const where = s.listenAddress || 'every address';
  if (error.code === 'EADDRINUSE')
    return `Port ${s.port} is already used by another program on this computer: choose another port (2525 is usual) and set the same port in the camera.`;
  if (error.code === 'EACCES')
    return `Port ${s.port} needs administrator rights on this computer: choose a port above 1024 (2525 is usual) and set it in the camera.`;
  if (error.code === 'EADDRNOTAVAIL')
    return `This computer has no address ${s.listenAddress} any more (network changed?): listen on every address or choose one of the addresses listed.`;
  return `The bench inbox could not listen on ${where} port ${s.port}: ${error.message}`;
}

/** The laptop's own addresses: what the integrator types into the camera as its SMTP server. */
export function laptopAddresses(): LaptopAddress[] {
  const out: LaptopAddress[] = [];
  for (const [name, list] of Object.entries(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.internal) continue;
      if (a.family === 'IPv6' && /^fe80:/i.test(a.address)) continue; // link-local: cameras cannot use it
      out.push({ interface: name, address: a.address, family: a.family === 'IPv6' ? 'IPv6' : 'IPv4' });
    }
  }
  return out.sort((a, b) => (a.family === b.family ? 0 : a.family === 'IPv4' ? -1 : 1));
}

/**
 * The bench inbox: an SMTP server (nodemailer's smtp-server) started and stopped from the app, off
 * by default. Cameras on the integrator's bench send to it with their own logins (or any login);
 * each message is kept with its snapshots' thumbnails, matched to its camera, published to the
 * inbound hub as source `bench` (so it counts as the camera's heartbeat) and kept as the camera's
 * bench result. Limits per address (connections, messages a minute) and in all (message size,
 * messages kept, messages being read) keep a misbehaving client from costing anything else.
 */
export class BenchInbox {
  readonly config: BenchConfig;
  readonly store: BenchStore;
  private readonly d: BenchDeps;
  private readonly parser: BenchParser;
  private readonly limits: SourceLimits;
  private server: SMTPServer | null = null;
  private listening: { address: string; port: number } | null = null;
  private startedAt: number | null = null;
  private error: string | null = null;
  private readonly log: BenchLogEntry[] = [];
  private readonly failedLogins = new Map<string, number>();
  /** Each open connection's client address, by smtp-server's connection id. */
  private readonly sources = new Map<string, string>();
  private transition: Promise<unknown> = Promise.resolve();

  constructor(deps: BenchDeps) {
    this.d = deps;
    this.config = new BenchConfig(deps.dir, deps.secrets, deps.logger);
    this.store = new BenchStore(deps.db, deps.dir);
    this.parser = new BenchParser(deps.workerScript, deps.logger);
    this.limits = new SourceLimits(deps.now);
    deps.inbound.reportHealth(BENCH_SOURCE_ID, 'stopped', false);
  }

  status(): BenchStatus {
    return {
      running: this.server !== null,
      settings: this.config.settings,
      listening: this.listening,
      startedAt: this.startedAt === null ? null : new Date(this.startedAt).toISOString(),
      addresses: laptopAddresses(),
      certificate: this.config.certificateInfo(),
      error: this.error,
      messageCount: this.store.count(),
      cameras: this.store.cameraResults(),
    };
  }

  /** Saves settings (all checked first: nothing is saved half-way); a running bench restarts with them. */
  async configure(update: Partial<BenchSettings>): Promise<BenchStatus> {
    const next = BenchSettingsFields.parse({ ...this.config.settings, ...update });
    this.config.saveSettings(next);
    const dropped = this.store.trimTo(next.keepMessages);
    if (dropped.length) this.d.emit({ removed: dropped });
    if (this.server) {
      await this.stop();
      return this.start();
    }
    return this.publishStatus();
  }

  start(): Promise<BenchStatus> {
    const run = this.transition.then(() => this.listen());
    this.transition = run.catch(() => undefined);
    return run;
  }

  stop(): Promise<BenchStatus> {
    const run = this.transition.then(() => this.close('stopped from the app'));
    this.transition = run.catch(() => undefined);
    return run;
  }

  async renewCertificate(): Promise<BenchStatus> {
    await this.config.renewCertificate();
    this.note(
      'info',
      '',
      'A new certificate was made: cameras that pinned the old one must be given the new fingerprint.',
    );
    if (this.server && this.config.settings.security !== 'none') {
      await this.stop();
      return this.start();
    }
    return this.publishStatus();
  }

  messages(q: { cameraId?: string | undefined; limit: number; offset: number }): BenchPage {
    return this.store.page(q);
  }

  message(id: string): BenchMessage {
    const m = this.store.get(id);
    if (!m) throw notFound('Bench message', id);
    return m;
  }

  /** A snapshot at full size as a data: URL (read in the parsing thread). */
  async snapshot(id: string, index: number): Promise<{ filename: string; dataUrl: string }> {
    const m = this.message(id);
    const s = m.snapshots[index];
    if (!s) throw new AppError('not-found', 'This message has no such snapshot.', 'index');
    if (!s.imageKind)
      throw new AppError('not-an-image', `${s.filename} is not an image, so it cannot be shown.`, 'index');
    if (s.size > SNAPSHOT_VIEW_MAX_BYTES)
      throw new AppError(
        'too-large',
        `${s.filename} is ${(s.size / 1048576).toFixed(1)} MB; only images up to ${SNAPSHOT_VIEW_MAX_BYTES / 1048576} MB are shown.`,
        'index',
      );
    let raw: Buffer;
    try {
      raw = await readFile(this.store.rawFile(id));
    } catch {
      throw new AppError('not-found', 'The stored message is gone from the data folder.');
    }
    const attachment = await this.parser.attachment(raw, index);
    if (!attachment) throw new AppError('not-found', 'This message has no such snapshot.', 'index');
    const type = s.imageKind === 'jpeg' ? 'image/jpeg' : `image/${s.imageKind}`;
    return {
      filename: attachment.filename,
      dataUrl: `data:${type};base64,${Buffer.from(attachment.bytes).toString('base64')}`,
    };
  }

  recentLog(): BenchLogEntry[] {
    return [...this.log];
  }

  clear(): { removed: number } {
    const removed = this.store.clear();
    this.config.renewEpoch();
    this.note('info', '', `Cleared ${removed} message(s) from the bench inbox.`);
    this.publishStatus();
    return { removed };
  }

  /** Stops listening and the parsing thread (AlertDesk closing). */
  async close(why = 'AlertDesk is closing'): Promise<BenchStatus> {
    const server = this.server;
    if (server) {
      this.server = null;
      this.listening = null;
      this.startedAt = null;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      this.limits.reset();
      this.failedLogins.clear();
      this.note('info', '', `The bench inbox stopped (${why}).`);
      this.d.inbound.reportHealth(BENCH_SOURCE_ID, 'stopped', false);
    }
    if (why === 'AlertDesk is closing') await this.parser.close();
    return this.publishStatus();
  }

  private async listen(): Promise<BenchStatus> {
    if (this.server) return this.status();
    const s = this.config.settings;
    const tls = s.security === 'none' ? null : await this.config.tlsCredentials();
    const server = new SMTPServer({
      name: 'alertdesk-bench',
      banner: 'AlertDesk bench inbox',
      secure: s.security === 'tls',
      ...(tls ? { key: tls.key, cert: tls.cert } : {}),
      hideSTARTTLS: s.security !== 'starttls',
      disabledCommands: s.security === 'none' ? ['STARTTLS'] : [],
      authMethods: ['PLAIN', 'LOGIN', 'CRAM-MD5'],
      authOptional: s.authMode === 'any',
      // With STARTTLS offered, logins wait for it, as at a real provider: a camera that logs in
      // in the clear is refused (and told so) instead of showing its password on the network.
      allowInsecureAuth: s.security === 'none',
      size: s.maxMessageMb * 1024 * 1024,
      maxClients: MAX_CLIENTS,
      disableReverseLookup: true,
      logger: this.protocolWatch(),
      socketTimeout: 60_000,
      closeTimeout: 5_000,
      onConnect: (session, callback) => this.onConnect(session, callback),
      onClose: (session) => this.onClose(session),
      onAuth: (auth, session, callback) => void this.onAuth(auth, session, callback),
      onMailFrom: (_address, session, callback) => this.onMailFrom(session, callback),
      onData: (stream, session, callback) => this.onData(stream, session, callback),
    });
    server.on('error', (error: Error & { remoteAddress?: string; code?: string }) => {
      if (!error.remoteAddress) return;
      const source = plainAddress(error.remoteAddress);
      const text = /ssl|tls|handshake|certificate|wrong version/i.test(`${error.message} ${error.code ?? ''}`)
        ? `TLS with ${source} failed (${error.message}): the camera may expect another security mode (plain, STARTTLS, SSL/TLS) or an older TLS version.`
        : `Connection from ${source} ended with an error: ${error.message}`;
      this.note('warn', source, text);
    });
    try {
      await new Promise<void>((resolve, reject) => {
        const onError = (error: Error) => reject(error);
        server.server.once('error', onError);
        server.listen(s.port, s.listenAddress || undefined, () => {
          server.server.off('error', onError);
          resolve();
        });
      });
    } catch (error) {
      this.error = listenProblem(error as NodeJS.ErrnoException, s);
      this.note('warn', '', this.error);
      this.d.logger.warn('bench: could not start', { port: s.port, error: String(error) });
      server.close(() => undefined);
      this.publishStatus();
      throw new AppError('bench-unavailable', this.error, 'port');
    }
    const address = server.server.address();
    this.server = server;
    this.listening = {
      address: typeof address === 'object' && address ? address.address : s.listenAddress,
      port: typeof address === 'object' && address ? address.port : s.port,
    };
    this.startedAt = this.d.now();
    this.error = null;
    this.note(
      'info',
      '',
      `The bench inbox is listening on ${s.listenAddress || 'every address'} port ${this.listening.port} (${s.security === 'none' ? 'plain' : s.security === 'starttls' ? 'STARTTLS' : 'SSL/TLS'}, ${s.authMode === 'any' ? 'any login' : 'camera logins'}).`,
    );
    this.d.logger.info('bench: listening', { port: this.listening.port, security: s.security });
    this.d.inbound.reportHealth(BENCH_SOURCE_ID, 'connected', true);
    return this.publishStatus();
  }

  /**
   * smtp-server cuts off some misbehaving clients itself (a 421 and the connection closed) without
   * a hook; its protocol log is where that shows. Only those replies are read; nothing is kept.
   */
  private protocolWatch() {
    const quiet = () => undefined;
    return {
      trace: quiet,
      info: quiet,
      warn: quiet,
      error: quiet,
      fatal: quiet,
      debug: (entry: { tnx?: string; cid?: string }, message?: unknown, payload?: unknown) => {
        if (entry.tnx !== 'send' || message !== 'S:' || typeof payload !== 'string') return;
        if (!payload.startsWith('421 ')) return;
        const source = (entry.cid && this.sources.get(entry.cid)) || 'a client';
        const why = CUT_OFF.find(([pattern]) => pattern.test(payload));
        if (why) this.note('warn', source === 'a client' ? '' : source, why[1](source));
      },
    };
  }

  private onConnect(session: Session, callback: (error?: Error | null) => void): void {
    const source = plainAddress(session.remoteAddress);
    this.sources.set(session.id, source);
    const max = this.config.settings.connectionsPerSource;
    if (!this.limits.connect(source, max)) {
      (session as Session & { refusedConnection?: boolean }).refusedConnection = true;
      const n = this.limits.refused(source, 'connections');
      if (n)
        this.note(
          'warn',
          source,
          `Refused ${n} connection(s) from ${source}: more than ${max} at once from one address. A camera normally opens one; check it is not retrying in a loop.`,
        );
      callback(smtpError(421, `Too many connections from your address (at most ${max} at once)`));
      return;
    }
    callback();
  }

  private onClose(session: Session): void {
    this.failedLogins.delete(session.id);
    this.sources.delete(session.id);
    if ((session as Session & { refusedConnection?: boolean }).refusedConnection) return;
    this.limits.disconnect(plainAddress(session.remoteAddress));
  }

  private async onAuth(
    auth: SMTPServerAuthentication,
    session: Session,
    callback: (error: Error | null | undefined, response?: { user?: unknown }) => void,
  ): Promise<void> {
    const login = auth.username ?? '';
    if (this.config.settings.authMode === 'any') {
      callback(null, { user: { login, cameraIds: null } satisfies BenchUser });
      return;
    }
    const check =
      auth.method === 'CRAM-MD5'
        ? (secret: string) => auth.validatePassword(secret)
        : passwordCheck(auth.password ?? '');
    const cameras = await camerasForLogin(this.d.inventory, this.d.secrets, login, check);
    if (cameras.length > 0) {
      callback(null, { user: { login, cameraIds: cameras.map((c) => c.id) } satisfies BenchUser });
      return;
    }
    const source = plainAddress(session.remoteAddress);
    const failures = (this.failedLogins.get(session.id) ?? 0) + 1;
    this.failedLogins.set(session.id, failures);
    const known = this.d.inventory.cameras.some(
      (c) => (c.smtpLogin || '').toLowerCase() === login.toLowerCase(),
    );
    this.note(
      'warn',
      source,
      `Login refused for "${login}" from ${source}: ${
        known
          ? 'the password is not the app password recorded for the camera(s) with this login'
          : 'no camera uses this login'
      }. Check the camera's SMTP user and password under Cameras, or let the bench accept any login.`,
    );
    if (failures >= MAX_FAILED_LOGINS) {
      this.note('warn', source, `Cut off ${source} after ${failures} refused logins in one connection.`);
      callback(smtpError(421, `Too many failed logins; closing the connection`));
      return;
    }
    callback(smtpError(535, '5.7.8 Authentication credentials invalid (AlertDesk bench: see the bench log)'));
  }

  private onMailFrom(session: Session, callback: (error?: Error | null) => void): void {
    const source = plainAddress(session.remoteAddress);
    const perMinute = this.config.settings.messagesPerMinute;
    if (this.parser.backlog >= MAX_BACKLOG) {
      const n = this.limits.refused('', 'backlog');
      if (n)
        this.note(
          'warn',
          source,
          `The bench is still reading ${MAX_BACKLOG} messages: asked ${n} sender(s) to retry later.`,
        );
      callback(smtpError(451, '4.3.2 The bench inbox is busy reading messages; try again in a moment'));
      return;
    }
    if (!this.limits.takeMessage(source, perMinute)) {
      const n = this.limits.refused(source, 'rate');
      if (n)
        this.note(
          'warn',
          source,
          `${source} is sending more than ${perMinute} messages a minute: refused ${n} (told to retry later). Messages from other addresses are not affected.`,
        );
      callback(
        smtpError(
          451,
          `4.7.1 Too many messages from your address (at most ${perMinute} a minute); try again later`,
        ),
      );
      return;
    }
    callback();
  }

  private onData(
    stream: Readable & { sizeExceeded?: boolean },
    session: Session,
    callback: (error?: Error | null, message?: string) => void,
  ): void {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const limit = this.config.settings.maxMessageMb * 1024 * 1024;
    stream.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      // Past the limit nothing more is held: a 50 MB message costs no 50 MB of memory.
      if (bytes <= limit) chunks.push(chunk);
    });
    stream.on('error', (error) => callback(error));
    stream.on('end', () => {
      const source = plainAddress(session.remoteAddress);
      if (stream.sizeExceeded || bytes > limit) {
        this.note(
          'warn',
          source,
          `Refused a ${(bytes / 1048576).toFixed(1)} MB message from ${source}: the bench accepts up to ${this.config.settings.maxMessageMb} MB. Lower the camera's snapshot count or resolution, or raise the limit.`,
        );
        callback(
          smtpError(
            552,
            `5.3.4 Message too big for the bench inbox (at most ${this.config.settings.maxMessageMb} MB)`,
          ),
        );
        return;
      }
      void this.receive(Buffer.concat(chunks, bytes), session).then(
        (id) => callback(null, `Kept as ${id} by the AlertDesk bench inbox`),
        (error: unknown) => {
          this.d.logger.error('bench: a message could not be stored', { error: String(error) });
          this.note(
            'warn',
            source,
            `A message from ${source} could not be stored (${String(error)}); the camera was told to retry.`,
          );
          callback(smtpError(451, '4.3.0 The bench inbox could not store the message; try again'));
        },
      );
    });
  }

  /** Stores, matches and publishes one message; resolves once it is kept (then the camera hears 250). */
  private async receive(raw: Buffer, session: Session): Promise<string> {
    const id = randomUUID();
    const receivedAt = this.d.now();
    const size = raw.length;
    await this.store.saveRaw(id, raw);
    // (the buffer may move to the parsing thread: not used after this)
    const parsed = await this.parser.parse(raw);
    const user = (session.user ?? null) as BenchUser | null;
    const loginCameras =
      user?.cameraIds?.map((cid) => this.d.inventory.camera(cid)).filter((c): c is StoredCamera => !!c) ??
      null;
    const match = matchCamera(this.d.inventory, user?.login ?? null, session.remoteAddress, loginCameras);
    const envelopeFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
    const message: BenchMessage = {
      id,
      receivedAt: new Date(receivedAt).toISOString(),
      remoteAddress: plainAddress(session.remoteAddress),
      login: user?.login ?? null,
      secure: session.secure,
      envelopeFrom,
      envelopeTo: session.envelope.rcptTo.map((r) => r.address),
      from: parsed.from || envelopeFrom.toLowerCase(),
      subject: parsed.subject,
      size,
      messageId: parsed.messageId,
      camera: match.camera
        ? {
            id: match.camera.id,
            name: match.camera.name,
            siteName: this.d.inventory.site(match.camera.siteId)?.name ?? '',
          }
        : null,
      matchedBy: match.matchedBy,
      matchNote: match.note,
      snapshots: parsed.snapshots,
      problems: parsed.problems,
    };
    const seq = this.store.nextSeq();
    const dropped = this.store.add(message, seq, this.config.settings.keepMessages);
    this.d.inbound.publish([
      {
        sourceId: BENCH_SOURCE_ID,
        folder: 'INBOX',
        folderRole: 'inbox',
        uidValidity: this.config.epoch,
        uid: seq,
        messageId: parsed.messageId,
        from: message.from,
        fromName: parsed.fromName,
        to: parsed.to.length ? parsed.to : message.envelopeTo,
        subject: parsed.subject,
        sentAt: parsed.sentAt,
        receivedAt: new Date(receivedAt),
        size,
        headers: parsed.headerBlock,
        // The camera is known by the login it used: its mail is its heartbeat without a rule.
        cameraId: match.camera?.id ?? null,
      },
    ]);
    this.d.emit({ message, ...(dropped.length ? { removed: dropped } : {}) });
    this.d.logger.info('bench: message kept', {
      id,
      from: message.remoteAddress,
      camera: message.camera?.name ?? null,
      bytes: size,
      snapshots: message.snapshots.length,
    });
    return id;
  }

  private note(level: BenchLogEntry['level'], source: string, text: string): void {
    const entry: BenchLogEntry = { at: new Date(this.d.now()).toISOString(), level, source, text };
    this.log.unshift(entry);
    this.log.length = Math.min(this.log.length, LOG_KEPT);
    this.d.logger[level](`bench: ${text}`);
    this.d.emit({ log: entry });
  }

  private publishStatus(): BenchStatus {
    const status = this.status();
    this.d.emit({ status });
    return status;
  }
}
