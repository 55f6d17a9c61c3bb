import { describe, expect, it } from 'vitest';
import {
  bindPattern,
  matchPattern,
  normalizeText,
  parsePattern,
  parseSenderPattern,
  type Pattern,
} from '../../shared/heartbeat-pattern.ts';
import { RuleFields } from '../../shared/heartbeats.ts';
import { proposeSubject } from '../../electron/core/heartbeats/unmatched.ts';

const compile = (source: string): Pattern => {
  const result = parsePattern(source);
  if (!result.ok) throw new Error(result.message);
  return result.pattern;
};
const match = (source: string, subject: string) => matchPattern(compile(source), normalizeText(subject));

describe('subject patterns', () => {
  it('reads a camera subject template backwards: the variables capture, the text between anchors', () => {
    const got = match(
      '%Site_Name% – %Camera_Name% – %Event_Type%',
      'Harbour Terminal – Gate PTZ – Motion detected',
    );
    expect(Object.fromEntries(got!)).toEqual({
      Site_Name: 'harbour terminal',
      Camera_Name: 'gate ptz',
      Event_Type: 'motion detected',
    });
    // Anchored at both ends: extra text before or after is not the same subject.
    expect(match('%Camera_Name% Health Mail', 'FW: Gate Health Mail')).not.toBeNull(); // the camera name takes "fw: gate"
    expect(match('Health Mail %Camera_Name%', 'Re: Health Mail Gate')).toBeNull();
    expect(match('Health Mail', 'Health Mail from Gate')).toBeNull();
  });

  it('compares without regard to case and runs of spaces', () => {
    expect(match('HEALTH   mail *', ' health Mail\t2026-12-01 08:00 ')).not.toBeNull();
  });

  it('takes * as any text (also none) and \\* or \\% as the characters themselves', () => {
    expect(match('Heartbeat *', 'Heartbeat 7')).not.toBeNull();
    expect(match('Heartbeat*', 'Heartbeat')).not.toBeNull();
    expect(match('100\\% up \\*', '100% up *')).not.toBeNull();
    expect(match('100\\% up \\*', '100% up x')).toBeNull();
  });

  it('refuses a variable it does not know, an unclosed %, and two holes with nothing between', () => {
    const unknown = parsePattern('%Camra_Name% heartbeat');
    expect(unknown).toMatchObject({ ok: false });
    expect(!unknown.ok && unknown.message).toMatch(
      /%Camra_Name% \(character 1\) is not a variable AlertDesk knows; use one of %Camera_Name%/,
    );
    const open = parsePattern('Heartbeat 100% up');
    expect(!open.ok && open.message).toMatch(/The % at character 14 does not start a variable/);
    const adjacent = parsePattern('%Camera_Name%%Event_Type%');
    expect(!adjacent.ok && adjacent.message).toMatch(/Put some text between %Camera_Name% and %Event_Type%/);
    expect(parsePattern('%Camera_Name% *')).toMatchObject({ ok: true });
    expect(parsePattern('%Camera_Name%*')).toMatchObject({ ok: false });
    expect(parsePattern('a**b')).toMatchObject({ ok: true }); // ** is one *
    expect(parsePattern('x'.repeat(501))).toMatchObject({ ok: false });
  });

  it('writes known values in as text: a camera rule matches only its own camera', () => {
    const p = bindPattern(compile('%Site_Name% – %Camera_Name% – %Event_Type%'), {
      Site_Name: 'Harbour Terminal',
      Camera_Name: 'Gate PTZ',
    });
    expect(matchPattern(p, normalizeText('Harbour Terminal – Gate PTZ – Heartbeat'))).not.toBeNull();
    expect(matchPattern(p, normalizeText('Harbour Terminal – Dock 2 – Heartbeat'))).toBeNull();
  });

  it('requires a variable used twice to cover the same text both times', () => {
    expect(match('%Camera_Name%: %Camera_Name% ok', 'Gate: Gate ok')).not.toBeNull();
    expect(match('%Camera_Name%: %Camera_Name% ok', 'Gate: Dock ok')).toBeNull();
  });

  it('matches adversarial subjects by one scan (patterns that make a regex backtrack)', () => {
    // As a regex, ^(.*?)a(.*?)a(.*?)a …$ against "aaaa…b" backtracks combinatorially.
    const p = compile(Array.from({ length: 20 }, () => '%Event_Type%').join(' a ') + ' a end');
    const subject = normalizeText(`${'x a '.repeat(240)} b`);
    expect(matchPattern(p, subject)).toBeNull();
    const many = compile(Array.from({ length: 120 }, () => '*').join('ab'));
    expect(matchPattern(many, normalizeText('ab'.repeat(499)))).not.toBeNull();
  });
});

describe('sender patterns and rule validation', () => {
  it('takes an address or *@domain, and says what is wrong with anything else', () => {
    expect(parseSenderPattern('cam1@site.example')).toMatchObject({ ok: true });
    expect(matchPattern(compile('*@site.example'), 'cam1@site.example')).not.toBeNull();
    expect(parseSenderPattern('camera one')).toMatchObject({ ok: false });
    expect(parseSenderPattern('%Camera_Name%@x')).toMatchObject({ ok: false });
  });

  it('reports each mistake of a rule at its own field', () => {
    const result = RuleFields.safeParse({
      scope: 'site',
      siteId: 's1',
      from: 'not an address',
      subject: '%Camera% heartbeat',
      headerName: 'X Camera:',
    });
    expect(result.success).toBe(false);
    const fields = Object.fromEntries(result.error!.issues.map((i) => [i.path.join('.'), i.message]));
    expect(fields.from).toMatch(/is not an address/);
    expect(fields.subject).toMatch(/%Camera% \(character 1\) is not a variable/);
    expect(fields.headerName).toMatch(/is not a header name/);
  });

  it('refuses a rule that checks nothing, and a site rule that cannot name the camera', () => {
    const empty = RuleFields.safeParse({ scope: 'camera', siteId: 's1', cameraId: 'c1' });
    expect(empty.error?.issues[0]).toMatchObject({
      path: ['from'],
      message: expect.stringMatching(/a rule without any would take every message/),
    });
    const anonymous = RuleFields.safeParse({ scope: 'site', siteId: 's1', subject: 'Health Mail *' });
    expect(anonymous.error?.issues[0]).toMatchObject({
      path: ['subject'],
      message: expect.stringMatching(/must say which camera/),
    });
    expect(
      RuleFields.safeParse({ scope: 'site', siteId: 's1', subject: '%Camera_Name% Health Mail' }).success,
    ).toBe(true);
    expect(
      RuleFields.safeParse({ scope: 'site', siteId: 's1', headerName: 'X-Camera', headerValue: '%Serial%' })
        .success,
    ).toBe(true);
  });
});

describe('proposing a rule from a message', () => {
  it('turns the camera and site names into variables and dates, times and counters into *', () => {
    expect(
      proposeSubject(
        'Harbour Terminal – Gate PTZ – Health Mail 2026-12-01 08:00:05',
        'Gate PTZ',
        'Harbour Terminal',
      ),
    ).toBe('%Site_Name% – %Camera_Name% – Health Mail *');
    expect(proposeSubject('[NVR-7] heartbeat #1234 ok', 'Dock', 'Harbour')).toBe('[NVR-*] heartbeat #* ok');
    expect(proposeSubject('Dock alive 2026-12-01T08:00:05Z', 'Dock', 'Harbour')).toBe(
      '%Camera_Name% alive *',
    );
    // Characters of the pattern language are escaped.
    expect(proposeSubject('100% up *', 'Gate', 'Harbour')).toBe('*\\% up \\*');
  });

  it('always proposes a pattern that parses and takes the message itself', () => {
    for (const subject of ['Gate', 'Gate12', '12Gate34', '%%%', '***', 'Gate Gate 1 1']) {
      const proposed = proposeSubject(subject, 'Gate', 'Harbour');
      const p = parsePattern(proposed);
      expect(p.ok, `${subject} → ${proposed}`).toBe(true);
      expect(
        matchPattern(
          bindPattern(p.ok ? p.pattern : { source: '', parts: [] }, {
            Camera_Name: 'Gate',
            Site_Name: 'Harbour',
          }),
          normalizeText(subject),
        ),
      ).not.toBeNull();
    }
  });
});
