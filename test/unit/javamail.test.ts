import { describe, expect, it } from 'vitest';
import { formatJavaMailProperties, holdsSecret, parseJavaMailProperties } from '../../shared/javamail.ts';

const SEED_000 = `# Gmail-style SSL SMTP
mail.smtp.host=smtp.gmail.com
mail.smtp.port=465
mail.smtp.auth=true
mail.smtp.ssl.enable=true
mail.smtp.starttls.enable=false
mail.debug=false
mail.smtp.ssl.protocols=TLSv1.2 TLSv1.3
mail.smtp.localhost=nvr-site-a
`;

describe('JavaMail properties (seed 000)', () => {
  it('maps the keys of seed 000 onto connector fields and keeps the others in order', () => {
    const r = parseJavaMailProperties(SEED_000);
    expect(r.fields).toEqual({
      host: 'smtp.gmail.com',
      port: 465,
      portIsManual: false,
      security: 'tls',
      auth: 'login',
      mailDebug: false,
    });
    expect(r.extraProperties).toEqual([
      ['mail.smtp.ssl.protocols', 'TLSv1.2 TLSv1.3'],
      ['mail.smtp.localhost', 'nvr-site-a'],
    ]);
    expect(r.warnings).toEqual([]);
  });

  it('reads STARTTLS on 587, a mechanism list, a user, a sender and a timeout in ms', () => {
    const r = parseJavaMailProperties(
      'mail.smtp.host: smtp.office365.com\nmail.smtp.port = 587\nmail.smtp.starttls.enable=true\nmail.smtp.auth=true\nmail.smtp.auth.mechanisms=XOAUTH2 PLAIN LOGIN\nmail.smtp.user=alerts@contoso.test\nmail.smtp.from=alerts@contoso.test\nmail.smtp.connectiontimeout=30000\n',
    );
    expect(r.fields).toMatchObject({
      host: 'smtp.office365.com',
      port: 587,
      portIsManual: false,
      security: 'starttls',
      auth: 'plain',
      username: 'alerts@contoso.test',
      sender: 'alerts@contoso.test',
      connectionTimeoutSec: 30,
    });
    expect(r.warnings.join(' ')).toMatch(/XOAUTH2/);
  });

  it('understands smtps as implicit TLS and marks an unusual port as typed by hand', () => {
    const r = parseJavaMailProperties(
      'mail.transport.protocol=smtps\nmail.smtps.host=relay.local\nmail.smtps.port=2465\nmail.smtps.auth=false\n',
    );
    expect(r.fields).toMatchObject({
      host: 'relay.local',
      security: 'tls',
      port: 2465,
      portIsManual: true,
      auth: 'none',
    });
  });

  it('never imports a password and warns about trust-everything settings', () => {
    const r = parseJavaMailProperties(
      'mail.smtp.host=x.test\nmail.smtp.password=hunter2hunter2\nmail.smtp.ssl.trust=*\n',
    );
    expect(JSON.stringify(r)).not.toContain('hunter2hunter2');
    expect(r.warnings.some((w) => /password/.test(w))).toBe(true);
    expect(r.warnings.some((w) => /trusts every certificate/.test(w))).toBe(true);
    expect(r.extraProperties).toEqual([['mail.smtp.ssl.trust', '*']]);
  });

  it('keeps no secret under any of the names configurations give it, in clear or as an extra property', () => {
    const keys = [
      'mail.smtp.passwd',
      'mail.smtp.pwd',
      'mail.smtps.password',
      'mail.smtp.pass',
      'mail.smtp.secret',
      'mail.smtp.auth.secret',
      'mail.smtp.sasl.oauth.token',
      'mail.smtp.credentials',
      'mail.imap.passwd',
    ];
    const r = parseJavaMailProperties(
      [
        'mail.smtp.host=x.test',
        'mail.smtp.localhost=nvr01',
        ...keys.map((k, i) => `${k}=s3cret-${i}-value`),
      ].join('\n'),
    );
    expect(JSON.stringify(r)).not.toMatch(/s3cret-\d-value/);
    expect(r.extraProperties).toEqual([['mail.smtp.localhost', 'nvr01']]);
    expect(r.warnings.filter((w) => /holds a password or another secret/.test(w))).toHaveLength(keys.length);
    for (const ordinary of ['mail.smtp.localhost', 'mail.smtp.ssl.protocols', 'mail.smtp.auth.mechanisms'])
      expect(holdsSecret(ordinary), ordinary).toBe(false);
  });

  it('exports what it imported: fields and unknown keys survive a round trip', () => {
    const imported = parseJavaMailProperties(SEED_000);
    const text = formatJavaMailProperties(
      {
        title: 'Security alerts — Site Ä',
        host: imported.fields.host!,
        port: imported.fields.port!,
        security: imported.fields.security!,
        auth: imported.fields.auth!,
        username: 'alerts@gmail.test',
        sender: 'alerts@gmail.test',
        connectionTimeoutSec: 60,
        mailDebug: false,
        extraProperties: imported.extraProperties,
      },
      '2026-11-21T10:00:00.000Z',
    );
    expect(text).toContain('mail.smtp.ssl.enable=true');
    expect(text).toContain('mail.smtp.localhost=nvr-site-a');
    expect(text).not.toMatch(/^[^#].*pass/im);
    const again = parseJavaMailProperties(text);
    expect(again.fields).toMatchObject({
      ...imported.fields,
      username: 'alerts@gmail.test',
      sender: 'alerts@gmail.test',
      connectionTimeoutSec: 60,
    });
    expect(again.extraProperties).toEqual(imported.extraProperties);
  });
});

describe('a JavaMail login without encryption', () => {
  it('is imported as it is, with a warning that AlertDesk will not log in in clear text unless allowed', () => {
    const r = parseJavaMailProperties(
      'mail.smtp.host=relay.depot.lan\nmail.smtp.port=25\nmail.smtp.auth=true\nmail.smtp.starttls.enable=false\n',
    );
    expect(r.fields).toMatchObject({ security: 'none', auth: 'login', port: 25 });
    // the switch is never turned on by an import: there is no JavaMail key for it
    expect(r.fields).not.toHaveProperty('allowPlainLogin');
    expect(r.warnings).toEqual([expect.stringMatching(/turn on "Allow login without encryption"/)]);
  });
});
