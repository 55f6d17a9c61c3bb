import { describe, expect, it } from 'vitest';
import { classifyImap, ImapProblem } from '../../electron/core/inbound/imap-failure.ts';
import { inboundInput, watchedFolders } from '../../electron/core/inbound/imap-session.ts';
import type { MailboxFolder } from '../../shared/mailboxes.ts';

const at = '2026-12-01T08:00:00.000Z';
const ctx = (over: object = {}) => ({
  host: 'imap.example.test',
  port: 993,
  security: 'tls' as const,
  username: 'alerts@example.test',
  stage: 'connect' as const,
  ...over,
});
const classify = (error: object, over: object = {}) => classifyImap(error, ctx(over), at);

describe('IMAP failures in plain words', () => {
  it('a wrong password is a rejected login that names the account, with the app-password fix', () => {
    const f = classify({
      message: 'Command failed',
      authenticationFailed: true,
      serverResponseCode: 'AUTHENTICATIONFAILED',
      responseText: 'Authentication failed.',
    });
    expect(f).toMatchObject({
      class: 'auth-failed',
      title: 'Login rejected',
      retryable: false,
      reply: 'Authentication failed.',
      errorCode: 'AUTHENTICATIONFAILED',
      at,
    });
    expect(f.explanation).toContain('alerts@example.test');
    expect(f.fix).toMatch(/app password/);
  });

  it('tells Gmail asking for an app password and Microsoft refusing passwords from a plain wrong password', () => {
    const gmail = classify(
      { authenticationFailed: true, responseText: '[ALERT] Application-specific password required' },
      { host: 'imap.gmail.com' },
    );
    expect(gmail.class).toBe('app-password-required');
    const microsoft = classify(
      { authenticationFailed: true, responseText: 'AUTHENTICATE failed.' },
      { host: 'outlook.office365.com' },
    );
    expect(microsoft.class).toBe('basic-auth-disabled');
    expect(microsoft.fix).toMatch(/OAuth2/);
  });

  it('a login refused for too many connections or a temporary failure is retried, not a rejected login', () => {
    const busy = classify({
      authenticationFailed: true,
      responseText: '[ALERT] Too many simultaneous connections. (Failure)',
    });
    expect(busy).toMatchObject({ class: 'too-many-connections', retryable: true });
    const unavailable = classify({
      authenticationFailed: true,
      serverResponseCode: 'UNAVAILABLE',
      responseText: 'Temporary authentication failure.',
    });
    expect(unavailable).toMatchObject({ class: 'server-unavailable', retryable: true });
  });

  it('names the network and TLS failures with the host and port involved', () => {
    expect(classify({ code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND' }).class).toBe('dns-failure');
    const refused = classify({ code: 'ECONNREFUSED' });
    expect(refused.class).toBe('connection-refused');
    expect(refused.explanation).toContain('imap.example.test:993');
    expect(classify({ code: 'CONNECT_TIMEOUT' }).class).toBe('connect-timeout');
    expect(classify({ code: 'ENETUNREACH' }).class).toBe('connect-timeout');
    expect(classify({ code: 'GREETING_TIMEOUT' }, { security: 'starttls', port: 143 }).fix).toMatch(/993/);
    expect(classify({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }).class).toBe('certificate-untrusted');
    expect(classify({ code: 'CERT_HAS_EXPIRED' }).class).toBe('certificate-expired');
    expect(classify({ code: 'ERR_TLS_CERT_ALTNAME_INVALID', message: 'altnames' }).class).toBe(
      'certificate-name-mismatch',
    );
    expect(classify({ code: 'ERR_SSL_WRONG_VERSION_NUMBER', message: 'wrong version number' }).class).toBe(
      'tls-mode-mismatch',
    );
  });

  it("tells a dropped connection (with the server's BYE), a silent server and a missing folder apart", () => {
    const dropped = classify(
      { code: 'EConnectionClosed', reason: 'Server shutting down.' },
      { stage: 'idle' },
    );
    expect(dropped).toMatchObject({ class: 'connection-dropped', retryable: true });
    expect(dropped.explanation).toContain('waiting for new mail ("Server shutting down.")');
    expect(classify({ code: 'ETIMEOUT', message: 'Socket timeout' }, { stage: 'fetch' })).toMatchObject({
      class: 'command-timeout',
      retryable: true,
    });
    expect(classify({ mailboxMissing: true, path: 'Alarms' }, { stage: 'select' }).explanation).toContain(
      '"Alarms"',
    );
  });

  it('keeps the verdict AlertDesk made itself (no password stored)', () => {
    const f = classify(new ImapProblem('missing-password', 'login', 'No password is stored.'));
    expect(f).toMatchObject({ class: 'missing-password', stage: 'login', retryable: false });
  });
});

describe('what the hub stores of a fetched message', () => {
  const folder = { path: 'INBOX', role: 'inbox' as const };
  const now = Date.parse(at);

  it('takes envelope, INTERNALDATE, size and the header block', () => {
    const input = inboundInput(
      'mbx',
      folder,
      1700000000n,
      {
        seq: 1,
        uid: 7,
        size: 2048,
        internalDate: new Date('2026-12-01T07:59:30Z'),
        envelope: {
          subject: 'Health mail',
          messageId: '<m7@cam>',
          date: new Date('2026-12-01T07:59:00Z'),
          from: [{ name: 'North gate', address: 'cam@site.test' }],
          to: [{ address: 'alerts@example.test' }],
          cc: [{ address: 'ops@example.test' }],
        },
        headers: Buffer.from('Subject: Health mail\r\n\r\n'),
      },
      now,
    );
    expect(input).toMatchObject({
      uid: 7,
      messageId: '<m7@cam>',
      from: 'cam@site.test',
      fromName: 'North gate',
      to: ['alerts@example.test', 'ops@example.test'],
      size: 2048,
    });
  });

  it('never throws on a broken message: no envelope, invalid dates, a huge header block', () => {
    const input = inboundInput(
      'mbx',
      folder,
      '1',
      {
        seq: 1,
        uid: 8,
        internalDate: 'not a date',
        envelope: { date: 'yesterday at noon', from: [{ name: 'x' }] },
        headers: Buffer.alloc(500_000, 'A'),
      },
      now,
    );
    expect(input).toMatchObject({ from: '', subject: '', messageId: null, sentAt: null, size: 0, to: [] });
    expect(input.receivedAt).toEqual(new Date(now));
    expect((input.headers as Buffer).length).toBe(64 * 1024);
  });
});

describe('which folders are watched', () => {
  const folders: MailboxFolder[] = [
    { path: 'INBOX', specialUse: '\\Inbox', foundBy: 'name', role: 'inbox' },
    { path: 'Spam', specialUse: '\\Junk', foundBy: 'name', role: 'junk' },
    { path: '[Gmail]/Spam', specialUse: '\\Junk', foundBy: 'flag', role: 'junk' },
    { path: 'Alarms', specialUse: null, foundBy: null, role: 'other' },
  ];

  it('the Inbox, Junk by its flag before a folder merely named so, the extra folders that exist', () => {
    expect(watchedFolders(folders, { watchJunk: true, extraFolders: ['Alarms', 'Gone'] })).toEqual({
      watched: [
        { path: 'INBOX', role: 'inbox' },
        { path: '[Gmail]/Spam', role: 'junk' },
        { path: 'Alarms', role: 'other' },
      ],
      missing: ['Gone'],
    });
    expect(watchedFolders(folders, { watchJunk: false, extraFolders: [] }).watched).toEqual([
      { path: 'INBOX', role: 'inbox' },
    ]);
  });
});
