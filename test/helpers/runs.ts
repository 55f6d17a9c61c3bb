import type { SMTPServerSession } from 'smtp-server';
import type { RunDetail, RunEvent, RunItem } from '../../shared/runs.ts';
import type { TestCore } from './core.ts';
import { startSmtpServer, type ReceivedMessage, type TestSmtpOptions, type TestSmtpServer } from './smtp.ts';

export interface RunTestServer extends TestSmtpServer {
  /** TCP connections accepted so far (each SMTP session is one). */
  connections(): number;
  /** Every MAIL FROM the server accepted: the smtp-server session it came on and that session's login. */
  envelopes: Array<{ session: string; user: string | undefined }>;
  /** Every MAIL FROM refused by the throttling below, with its session. */
  refused: Array<{ session: string; user: string | undefined }>;
  /**
   * Provider throttling: once this many messages were accepted, every further MAIL FROM gets
   * `421 4.7.0 Too many messages` (and smtp-server closes the connection). null: no throttling.
   */
  throttle: { after: number | null };
}

export interface RunTestServerOptions extends TestSmtpOptions {
  throttleAfter?: number | null;
  /** Milliseconds the server waits before answering each MAIL FROM (a slow provider). */
  replyDelayMs?: number;
}

/**
 * The test smtp-server with what a handover run needs to be checked against: a connection
 * counter, the session and login of every accepted envelope, optional throttling after N
 * messages and optional slow replies.
 */
export async function startRunServer(options: RunTestServerOptions): Promise<RunTestServer> {
  let connections = 0;
  const envelopes: RunTestServer['envelopes'] = [];
  const refused: RunTestServer['refused'] = [];
  const throttle = { after: options.throttleAfter ?? null };
  const server = await startSmtpServer({
    ...options,
    extra: {
      onConnect(_session: SMTPServerSession, callback: (err?: Error | null) => void) {
        connections++;
        callback();
      },
      onMailFrom(_address, session: SMTPServerSession, callback: (err?: Error | null) => void) {
        const answer = () => {
          if (throttle.after !== null && envelopes.length >= throttle.after) {
            refused.push({ session: session.id, user: session.user as string | undefined });
            callback(Object.assign(new Error('4.7.0 Too many messages, slow down'), { responseCode: 421 }));
            return;
          }
          envelopes.push({ session: session.id, user: session.user as string | undefined });
          callback();
        };
        if (options.replyDelayMs) setTimeout(answer, options.replyDelayMs);
        else answer();
      },
      ...options.extra,
    },
  });
  return Object.assign(server, { connections: () => connections, envelopes, refused, throttle });
}

/** A received message's header value (postal-mime keys are lower case). */
export function header(message: ReceivedMessage, name: string): string | undefined {
  return message.parsed.headers.find((h) => h.key === name.toLowerCase())?.value;
}

/** The messages of one camera (by the X-AlertDesk-Camera header) across servers. */
export function messagesOf(cameraId: string, ...servers: TestSmtpServer[]): ReceivedMessage[] {
  return servers.flatMap((s) => s.received.filter((m) => header(m, 'x-alertdesk-camera') === cameraId));
}

/** Every form a secret could leak in: clear, base64 alone, AUTH PLAIN, hex, and base64 inside longer text. */
export function leakForms(username: string, secret: string): string[] {
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  const forms = [
    secret,
    b64(secret),
    b64(`\0${username}\0${secret}`),
    b64(`${username}\0${username}\0${secret}`),
    Buffer.from(secret).toString('hex'),
  ];
  for (const prefix of ['x', 'xx']) forms.push(b64(prefix + secret).slice(prefix.length + 1, -4));
  return forms;
}

/** Collects the run events of the core from now on. */
export function recordRunEvents(t: TestCore): {
  events: RunEvent[];
  of(runId: string): RunEvent[];
  off(): void;
} {
  const events: RunEvent[] = [];
  const off = t.api.events.on('run', (e) => events.push(e));
  return { events, of: (runId) => events.filter((e) => e.run.id === runId), off };
}

/** The run's items by camera name (names are unique per site in these tests; pass the site to be sure). */
export function itemsByName(run: RunDetail, siteName?: string): Map<string, RunItem> {
  return new Map(
    run.items.filter((i) => siteName === undefined || i.siteName === siteName).map((i) => [i.cameraName, i]),
  );
}
