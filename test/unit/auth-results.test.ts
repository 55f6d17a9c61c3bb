import { describe, expect, it } from 'vitest';
import { authResultsOf, readAuthResults } from '../../electron/core/arrival/auth-results.ts';
import { parseHeaderFields } from '../../electron/core/inbound/headers.ts';

const byMethod = (value: string) =>
  Object.fromEntries((readAuthResults(value)?.checks ?? []).map((c) => [c.method, c]));

describe('Authentication-Results (RFC 8601) read into SPF, DKIM and DMARC with their fixes', () => {
  it('reads Gmail’s header: all three pass, nothing to fix', () => {
    const r = readAuthResults(
      'mx.google.com; dkim=pass header.i=@harbour.test header.s=20230601 header.b=Ab12Cd; spf=pass (google.com: domain of alerts@harbour.test designates 203.0.113.7 as permitted sender) smtp.mailfrom=alerts@harbour.test; dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=harbour.test',
    );
    expect(r?.authservId).toBe('mx.google.com');
    expect(r?.checks).toEqual([
      expect.objectContaining({ method: 'spf', result: 'pass', ok: true, domain: 'harbour.test', fix: null }),
      expect.objectContaining({
        method: 'dkim',
        result: 'pass',
        ok: true,
        domain: 'harbour.test',
        fix: null,
      }),
      expect.objectContaining({
        method: 'dmarc',
        result: 'pass',
        ok: true,
        domain: 'harbour.test',
        fix: null,
      }),
    ]);
    expect(r?.checks[0]?.comment).toMatch(/designates 203\.0\.113\.7 as permitted sender/);
  });

  it('reads Microsoft 365’s header: SPF fail, no DKIM, DMARC fail, each with the fix in plain words', () => {
    const m = byMethod(
      'spf=fail (sender IP is 198.51.100.20) smtp.mailfrom=portside.test; dkim=none (message not signed) header.d=none;dmarc=fail action=quarantine header.from=portside.test;compauth=fail reason=001',
    );
    expect(m.spf).toMatchObject({ result: 'fail', ok: false, domain: 'portside.test' });
    expect(m.spf?.fix).toMatch(
      /This sender's domain \(portside\.test\) does not allow this server to send for it: add .* to the SPF record of portside\.test/,
    );
    expect(m.dkim).toMatchObject({ result: 'none', ok: null });
    expect(m.dkim?.fix).toMatch(/not DKIM-signed: turn on DKIM signing/);
    expect(m.dmarc).toMatchObject({ result: 'fail', ok: false, domain: 'portside.test' });
    expect(m.dmarc?.fix).toMatch(/neither SPF nor DKIM passed for the From domain/);
  });

  it('takes a DKIM pass among several signatures, and softfail as a failure', () => {
    const m = byMethod(
      'mx.example.net; dkim=fail (bad signature) header.d=relay.test header.s=a; dkim=pass header.d=harbour.test header.s=b; spf=softfail smtp.mailfrom=cam@harbour.test',
    );
    expect(m.dkim).toMatchObject({ result: 'pass', ok: true, domain: 'harbour.test' });
    expect(m.spf).toMatchObject({ result: 'softfail', ok: false });
    expect(m.dmarc).toMatchObject({ result: null, ok: null, fix: null });
  });

  it('keeps semicolons inside comments and quoted strings out of the structure', () => {
    const m = byMethod(
      'mail.test; spf=permerror (too many lookups; 11 > 10) smtp.mailfrom="odd;name"@x.test; dmarc=temperror header.from=x.test',
    );
    expect(m.spf).toMatchObject({ result: 'permerror', ok: false, comment: 'too many lookups; 11 > 10' });
    expect(m.spf?.fix).toMatch(/SPF record of x\.test is broken/);
    expect(m.dmarc).toMatchObject({ result: 'temperror', ok: null, fix: null });
  });

  it('reads a "none" header (no checks done) as nothing proven', () => {
    const r = readAuthResults('mx.example.net; none');
    expect(r?.authservId).toBe('mx.example.net');
    expect(r?.checks.every((c) => c.result === null && c.ok === null)).toBe(true);
  });

  it('uses the topmost header of a message: the one its own receiving server wrote', () => {
    const fields = parseHeaderFields(
      [
        'Authentication-Results: mx.customer.test;',
        '\tspf=fail smtp.mailfrom=alerts@harbour.test;',
        '\tdkim=none',
        'Authentication-Results: forged.test; spf=pass smtp.mailfrom=alerts@harbour.test',
        'Subject: x',
        '',
        'body',
      ].join('\r\n'),
    );
    const r = authResultsOf(fields);
    expect(r?.authservId).toBe('mx.customer.test');
    expect(r?.checks[0]).toMatchObject({ result: 'fail', ok: false });
  });

  it('returns null without a header or without an authserv-id', () => {
    expect(authResultsOf(parseHeaderFields('Subject: x\r\n\r\n'))).toBeNull();
    expect(authResultsOf(null)).toBeNull();
    expect(readAuthResults('')).toBeNull();
  });
});
