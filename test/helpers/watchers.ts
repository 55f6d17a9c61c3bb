import nodemailer, { type SendMailOptions } from 'nodemailer';
import type { Core } from '../../electron/core/core.ts';
import type { PowerMonitor } from '../../electron/core/adapters.ts';
import type { MailboxInput, MailboxStatus } from '../../shared/mailboxes.ts';
import type { MailServer } from '../mailserver/mailserver.ts';

/**
 * Waits until `check` returns something other than undefined/false, looking again at every
 * watcher event and every message the hub takes (and every 200 ms besides): no fixed sleeps.
 */
export function until<T>(
  { core }: { core: Core },
  check: () => T | undefined | false,
  what: string,
  // Under the test's own 30 s, so a timeout says what was awaited and where every watcher stood.
  timeoutMs = 25_000,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const finish = (error: Error | null, value?: T) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearInterval(poll);
      offEvents();
      offHub();
      if (error) reject(error);
      else resolve(value as T);
    };
    const look = () => {
      try {
        const value = check();
        if (value !== undefined && value !== false) finish(null, value);
      } catch (error) {
        finish(error as Error);
      }
    };
    const statuses = () =>
      core.inventory.mailboxes
        .map((m) => {
          const s = core.watchers.status(m);
          return `${m.title}: ${s.state}${s.failure ? ` (${s.failure.class}: ${s.failure.explanation})` : ''}`;
        })
        .join('; ');
    const timer = setTimeout(
      () => finish(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; watchers: ${statuses()}`)),
      timeoutMs,
    );
    const poll = setInterval(look, 200);
    const offEvents = core.onEvent(look);
    const offHub = core.inbound.subscribe(look);
    look();
  });
}

/** Every watcher status event the core sends, in order. */
export function recordStatuses(core: Core): MailboxStatus[] {
  const seen: MailboxStatus[] = [];
  core.onEvent((m) => {
    if (m.topic === 'watcher') seen.push(m.payload as MailboxStatus);
  });
  return seen;
}

/** The states a mailbox went through, repeats folded: ['catching-up', 'connected', …]. */
export function statesOf(events: MailboxStatus[], mailboxId: string): string[] {
  const states: string[] = [];
  for (const e of events) if (e.mailboxId === mailboxId && states.at(-1) !== e.state) states.push(e.state);
  return states;
}

/** A camera's mail through Postfix as the domain's MX (no login, as from the internet). */
export async function deliver(
  server: MailServer,
  to: string,
  subject: string,
  extra: {
    from?: string;
    headers?: Record<string, string>;
    attachments?: SendMailOptions['attachments'];
  } = {},
): Promise<void> {
  const mx = nodemailer.createTransport({
    host: '127.0.0.1',
    port: server.mxPort,
    secure: false,
    ignoreTLS: true,
  });
  try {
    await mx.sendMail({
      from: extra.from ?? 'camera@site.test',
      to,
      subject,
      text: 'Camera online. Storage OK.',
      ...(extra.headers ? { headers: extra.headers } : {}),
      ...(extra.attachments ? { attachments: extra.attachments } : {}),
    });
  } finally {
    mx.close();
  }
}

/** The settings of a watched mailbox on the test server (STARTTLS, its certificate pinned). */
export function mailboxOn(
  server: MailServer,
  user: { address: string; password: string },
  over: Partial<MailboxInput> = {},
): MailboxInput {
  return {
    title: `Watch ${user.address}`,
    host: '127.0.0.1',
    port: server.imapPort,
    security: 'starttls',
    username: user.address,
    password: user.password,
    trustedCertificatePem: server.certPem,
    ...over,
  };
}

/** A power monitor the test can fire, as Electron's does when the laptop wakes. */
export function fakePower(): PowerMonitor & { resume(): void } {
  const listeners = new Set<() => void>();
  return {
    onResume(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    resume() {
      for (const l of listeners) l();
    },
  };
}
