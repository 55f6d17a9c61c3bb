import { describe, expect, it } from 'vitest';
import { classify, type ClassifyContext } from '../../electron/core/mail/classify.ts';
import { SmtpFailure } from '../../electron/core/mail/failure.ts';

const ctx: ClassifyContext = {
  host: 'smtp.example.test',
  port: 587,
  security: 'starttls',
  auth: 'login',
  username: 'alerts@example.test',
  sender: 'alerts@example.test',
};

const at = (stage: SmtpFailure['raw']['stage'], command: string, response: string) =>
  new SmtpFailure({ stage, command, response, responseCode: Number(response.slice(0, 3)), message: response })
    .raw;

describe('classification of replies that look alike', () => {
  it('reads a full mailbox as a recipient problem, not as the sender being throttled', () => {
    const v = classify(at('data', 'DATA', '552 5.2.2 Mailbox quota exceeded for ops@example.test'), ctx);
    expect(v.class).toBe('recipient-rejected');
    expect(v.retryable).toBe(false);
  });

  it('reads a temporarily full mailbox as a temporary server problem', () => {
    expect(classify(at('envelope', 'RCPT TO', '452 4.2.2 Mailbox full'), ctx).class).toBe('server-temporary');
  });

  it('treats greylisting as temporary, not as a rate limit', () => {
    const v = classify(at('envelope', 'RCPT TO', '450 4.7.1 Greylisted, please try again later'), ctx);
    expect(v.class).toBe('server-temporary');
    expect(v.retryable).toBe(true);
  });

  it('does not take "unlimited" or "separate" for throttling words', () => {
    expect(classify(at('data', 'DATA', '451 4.3.0 separate unlimited queue error'), ctx).class).toBe(
      'server-temporary',
    );
  });

  it('reads 450 "too many messages" as rate-limited and retries it', () => {
    const v = classify(at('envelope', 'MAIL FROM', '450 4.7.0 Too many messages, slow down'), ctx);
    expect([v.class, v.retryable]).toEqual(['rate-limited', true]);
  });

  it('reads a daily sending limit as rate-limited and does not retry it', () => {
    const v = classify(at('envelope', 'MAIL FROM', '550 5.4.5 Daily user sending limit exceeded.'), ctx);
    expect([v.class, v.retryable]).toEqual(['rate-limited', false]);
  });

  it('reads Microsoft 535 5.7.139 as basic-auth-disabled', () => {
    const raw = new SmtpFailure({
      stage: 'auth',
      code: 'EAUTH',
      command: 'AUTH LOGIN',
      responseCode: 535,
      response:
        '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.',
      message: 'Invalid login',
    }).raw;
    expect(classify(raw, ctx).class).toBe('basic-auth-disabled');
  });

  it('reads 550 5.7.60 at MAIL FROM as sender-rejected and names the send-as right', () => {
    const v = classify(
      at('envelope', 'MAIL FROM', '550 5.7.60 SMTP; Client does not have permissions to send as this sender'),
      {
        ...ctx,
        sender: 'cameras@example.test',
      },
    );
    expect(v.class).toBe('sender-rejected');
    expect(v.fix).toContain('Send As');
  });

  it('says a server that needs a login when the connector does not log in', () => {
    const v = classify(at('envelope', 'MAIL FROM', '530 5.7.57 Client not authenticated to send mail'), {
      ...ctx,
      auth: 'none',
    });
    expect(v.class).toBe('auth-failed');
    expect(v.fix).toMatch(/authentication/i);
  });

  it('gives every failure an explanation and a fix', () => {
    const v = classify(new SmtpFailure({ message: 'weird' }).raw, ctx);
    expect(v.class).toBe('unexpected');
    expect(v.explanation).not.toBe('');
    expect(v.fix).not.toBe('');
  });
});
