import { composeMessage } from '../../electron/core/mail/compose.ts';
import type { SmtpTarget } from '../../electron/core/mail/session.ts';

/** A plain-SMTP, AUTH PLAIN session target on loopback, as the delivery thread is given one. */
export const plainTarget = (port: number, username: string, password: string): SmtpTarget => ({
  host: '127.0.0.1',
  port,
  security: 'none',
  auth: 'plain',
  username,
  password,
  // a loopback test server without TLS
  allowPlainLogin: true,
  trustedCertificatePem: null,
  connectTimeoutMs: 5000,
  greetingTimeoutMs: 5000,
  socketTimeoutMs: 5000,
  pop: null,
});

/** A one-line text message from `from` to the control room. */
export const textMessage = (from: string, subject: string) =>
  composeMessage({
    from,
    fromName: '',
    to: ['control-room@example.test'],
    cc: [],
    bcc: [],
    replyTo: '',
    subject,
    body: 'x',
    contentType: 'text',
    importance: 'normal',
    attachments: [],
  });
