import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { popBeforeSmtp } from '../../electron/core/mail/pop3.ts';
import { Transcript } from '../../electron/core/mail/transcript.ts';
import { SmtpFailure } from '../../electron/core/mail/failure.ts';

describe('POP-before-SMTP client', () => {
  it('reports a POP3 server that hangs up mid-login as closed, not as a timeout', async () => {
    const server = createServer((socket) => {
      socket.write('+OK POP3 ready\r\n');
      socket.once('data', () => socket.destroy());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const error = await popBeforeSmtp(
        {
          host: '127.0.0.1',
          port,
          security: 'none',
          username: 'cam',
          password: 'pw-123456',
          apop: false,
          delayMs: 0,
          trustedCertificatePem: null,
          timeoutMs: 10_000,
        },
        new Transcript(),
        async () => [],
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SmtpFailure);
      expect((error as SmtpFailure).message).toMatch(/closed the connection/);
    } finally {
      server.close();
    }
  });
});
