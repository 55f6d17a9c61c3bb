/**
 * `describe` for the suites that need the real Postfix + Dovecot: where `ALERTDESK_SKIP_MAILSERVER=1`
 * is set (a developer machine without them), the suite is reported as skipped, saying why.
 */
import { describe, it } from 'vitest';
import { SKIP_ENV } from './mailserver.ts';

export function describeMailServer(title: string, body: () => void): void {
  if (process.env[SKIP_ENV] === '1') {
    const reason = `${SKIP_ENV}=1 is set, so the real Postfix/Dovecot tests do not run`;
    console.warn(`${title}: skipped: ${reason}`);
    describe(title, () => {
      it.skip(`skipped: ${reason}`, () => undefined);
    });
  } else {
    describe(title, body);
  }
}
