import { format } from 'node:util';
import type { Transcript } from './transcript.ts';

/**
 * What nodemailer's SMTPConnection tells its logger (`transactionLog: true`), turned into the
 * session's transcript — client lines (AUTH payloads already masked by nodemailer, then redacted
 * again by the transcript), server replies line by line, and its own notes — and what the session
 * needs to remember of it: the greeting, the last EHLO reply, plaintext discarded at STARTTLS.
 */
export interface SessionHearing {
  /** The transcript the session writes into now (each message of a reused session has its own). */
  transcript: Transcript;
  greeting: string | null;
  /** The lines of the reply to the last EHLO/HELO/LHLO, as received. */
  ehloReply: string[] | null;
  /** Bytes the server sent in plain text after its STARTTLS reply, which nodemailer dropped. */
  discardedAtStartTls: number;
}

export interface SessionLogHooks {
  /** Before the STARTTLS command goes out. */
  onStartTls(): void;
  /** Once the connection is upgraded (nodemailer's socket is then the TLS one). */
  onUpgraded(): void;
}

type Entry = { tnx?: string; discarded?: unknown } | undefined;

/** nodemailer's notes that say nothing the transcript does not already show (AlertDesk's own connect notes, the steps). */
const QUIET = new Set([
  '%s established to %s:%s',
  'SMTP handshake finished',
  'Closing connection to the server using "%s"',
]);

/** A bunyan-style logger for one session's SMTPConnection. */
export function sessionLogger(hearing: SessionHearing, hooks: SessionLogHooks) {
  let lastCommand = '';
  const log = (entry: Entry, message: unknown, ...args: unknown[]) => {
    const t = hearing.transcript;
    const text = args.length ? format(String(message), ...args) : String(message);
    switch (entry?.tnx) {
      case 'client':
        lastCommand = text;
        if (/^STARTTLS$/i.test(text)) hooks.onStartTls();
        t.client(text);
        return;
      case 'server': {
        const lines = text.split(/\r?\n/);
        for (const line of lines) t.server(line);
        if (hearing.greeting === null) hearing.greeting = lines[0] ?? '';
        else if (/^(EHLO|HELO|LHLO)\b/i.test(lastCommand)) hearing.ehloReply = lines;
        return;
      }
      case 'smtp':
      case 'network':
      case 'message':
        if (typeof entry.discarded === 'number') hearing.discardedAtStartTls += entry.discarded;
        if (QUIET.has(String(message))) return;
        t.note(text);
        if (text === 'Connection upgraded with STARTTLS') hooks.onUpgraded();
        return;
      default:
        return;
    }
  };
  return { trace: log, debug: log, info: log, warn: log, error: log, fatal: log };
}
