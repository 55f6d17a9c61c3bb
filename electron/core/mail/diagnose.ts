import type {
  DiagnosisEvent,
  DiagnosisReport,
  DiagnosisStep,
  DiagnosisStepName,
  FailureDetails,
  SettingsCandidate,
  SettingsDiscovery,
  StepTiming,
  TranscriptLine,
} from '../../../shared/delivery.ts';
import type { SecurityMode } from '../../../shared/domain.ts';
import type { HostLookup } from '../adapters.ts';
import { classify, type ClassifyContext } from './classify.ts';
import { readCapabilities } from './capabilities.ts';
import { toSmtpFailure } from './failure.ts';
import { logsIn, SmtpSession, type SmtpTarget } from './session.ts';
import { tlsSummary } from './tls.ts';
import { Transcript } from './transcript.ts';

export type DiagnosisEmit = (event: DiagnosisEvent) => void;

const LABEL: Record<DiagnosisStepName, string> = {
  pop3: 'POP-before-SMTP login',
  dns: 'DNS lookup',
  connect: 'TCP connection',
  tls: 'TLS handshake',
  greeting: 'Server greeting',
  ehlo: 'EHLO capabilities',
  starttls: 'STARTTLS upgrade',
  auth: 'Login (AUTH)',
};

const usesLogin = (t: SmtpTarget) => logsIn(t.auth);

function expectedSteps(t: SmtpTarget, isIp: boolean): DiagnosisStepName[] {
  return [
    ...(t.auth === 'pop-before-smtp' ? (['pop3'] as const) : []),
    ...(isIp ? [] : (['dns'] as const)),
    'connect',
    ...(t.security === 'tls' ? (['tls'] as const) : []),
    'greeting',
    'ehlo',
    ...(t.security === 'starttls' ? (['starttls', 'ehlo'] as const) : []),
    ...(usesLogin(t) ? (['auth'] as const) : []),
  ];
}

const linesIn = (lines: TranscriptLine[], t: StepTiming) =>
  lines.filter((l) => l.t >= t.startMs && l.t <= t.startMs + t.durationMs + 1);

/**
 * Walks a connector through DNS → TCP → TLS → greeting → EHLO → STARTTLS → AUTH without sending
 * anything, and says for each step what was found, how long it took and what it means. AUTH is
 * always attempted when a login is configured: a server that offers none is reported, never
 * skipped silently. `loginWithheld` says why a configured login was not attempted (the caller
 * had no password it may send to this target); the AUTH step then says so.
 */
export async function diagnose(
  id: string,
  target: SmtpTarget,
  ctx: ClassifyContext,
  lookup: HostLookup | undefined,
  emit: DiagnosisEmit,
  loginWithheld: string | null = null,
): Promise<DiagnosisReport> {
  const startedAt = new Date();
  const transcript = new Transcript();
  transcript.onBegin = (step) =>
    emit({
      id,
      kind: 'diagnosis',
      label: LABEL[step as DiagnosisStepName] ?? step,
      status: 'running',
      durationMs: null,
    });
  transcript.onStep = (t) =>
    emit({
      id,
      kind: 'diagnosis',
      label: LABEL[t.step as DiagnosisStepName] ?? t.step,
      status: t.ok ? 'passed' : 'failed',
      durationMs: t.durationMs,
    });

  let session: SmtpSession | null = null;
  let failure: FailureDetails | null = null;
  try {
    session = await SmtpSession.open(target, transcript, lookup);
  } catch (error) {
    failure = classify(toSmtpFailure(error, transcript.currentStep()).raw, ctx);
    transcript.note(`Failed: ${failure.class} — ${failure.explanation}`);
  } finally {
    if (session) {
      transcript.begin('quit');
      session.quit();
      transcript.close(true);
    }
  }

  const lines = transcript.lines();
  const timings = transcript.timings().filter((t) => t.step !== 'quit');
  const greeted = timings.some((t) => t.step === 'greeting' && t.ok);
  const capabilities = greeted ? readCapabilities(transcript) : null;
  const tls = session?.tls ?? null;
  const isIp = /^[\d.]+$|:/.test(target.host);
  const steps: DiagnosisStep[] = [];
  let ehloSeen = 0;

  for (const t of timings) {
    const name = t.step as DiagnosisStepName;
    const own = linesIn(lines, t);
    let summary = '';
    let hint: string | null = null;
    let status: DiagnosisStep['status'] = t.ok ? 'passed' : 'failed';
    switch (name) {
      case 'pop3':
        summary = t.ok ? 'POP3 login accepted' : 'POP3 login failed';
        break;
      case 'dns':
        summary = own.find((l) => l.text.startsWith('Resolved'))?.text ?? `Could not resolve ${target.host}`;
        break;
      case 'connect':
        summary = t.ok
          ? (own.filter((l) => l.text.startsWith('Connected')).at(-1)?.text ?? 'Connected')
          : (own.filter((l) => l.text.startsWith('Could not')).at(-1)?.text ??
            `No connection to ${target.host}:${target.port}`);
        break;
      case 'tls':
        summary = t.ok && tls ? tlsSummary(tls) : 'The TLS handshake failed';
        if (t.ok && tls?.certificate) hint = certificateHint(tls.certificate.validTo);
        break;
      case 'greeting':
        summary = own.find((l) => l.dir === 's')?.text ?? 'No greeting received';
        break;
      case 'ehlo': {
        ehloSeen++;
        const caps = capabilities;
        if (!t.ok || !caps) {
          summary = 'EHLO failed';
          break;
        }
        const isLast = ehloSeen === timings.filter((x) => x.step === 'ehlo').length;
        const offered = own
          .filter((l) => l.dir === 's')
          .map((l) => l.text.replace(/^\d{3}[ -]/, ''))
          .slice(1);
        summary = `${ehloSeen > 1 ? 'After STARTTLS: ' : ''}${offered.join(', ') || 'no extensions'}`;
        if (target.security === 'none' && offered.some((e) => /^STARTTLS/i.test(e))) {
          // (a login upgrades on its own; the cameras' alert mail, set to "none", would not)
          status = 'warning';
          hint =
            'The server offers STARTTLS: set security to STARTTLS so alerts and passwords are encrypted.';
        } else if (isLast) {
          if (usesLogin(target) && caps.authMechanisms.length === 0) {
            status = 'warning';
            hint = 'No AUTH offered here; the login step will fail.';
          } else if (caps.size !== null && caps.size > 0 && caps.size < 5 * 1024 * 1024) {
            status = 'warning';
            hint = `Messages are limited to ${Math.round(caps.size / 1024)} KB: keep burst snapshots small.`;
          }
        }
        break;
      }
      case 'starttls':
        summary = t.ok && tls ? tlsSummary(tls) : 'STARTTLS failed';
        if (t.ok && tls?.certificate) hint = certificateHint(tls.certificate.validTo);
        if (hint) status = 'warning';
        break;
      case 'auth':
        summary = t.ok
          ? `AUTH ${target.auth.toUpperCase()} accepted for ${target.username}`
          : `AUTH ${target.auth.toUpperCase()} for ${target.username || '(no user)'} failed`;
        break;
    }
    if (!t.ok && failure) hint = `${failure.explanation} ${failure.fix}`;
    steps.push({ step: name, status, durationMs: t.durationMs, summary, hint });
  }

  // Steps that never ran because an earlier one failed.
  const expected = expectedSteps(target, isIp);
  for (const name of expected.slice(steps.length)) {
    steps.push({ step: name, status: 'skipped', durationMs: null, summary: 'Not reached', hint: null });
  }
  if (loginWithheld !== null && failure === null) {
    steps.push({
      step: 'auth',
      status: 'skipped',
      durationMs: null,
      summary: 'Not logged in',
      hint: loginWithheld,
    });
  } else if (!usesLogin(target) && target.auth !== 'pop-before-smtp' && failure === null) {
    steps.push({
      step: 'auth',
      status: 'skipped',
      durationMs: null,
      summary: 'No login configured (authentication: none)',
      hint: null,
    });
  }
  if (failure && steps.every((s) => s.status !== 'failed')) {
    // A failure before any step began (a setting the core refused outright).
    steps.unshift({
      step: expected[0] ?? 'connect',
      status: 'failed',
      durationMs: null,
      summary: failure.explanation,
      hint: failure.fix,
    });
  }

  return {
    id,
    host: target.host,
    port: target.port,
    security: target.security,
    auth: target.auth,
    startedAt: startedAt.toISOString(),
    durationMs: transcript.elapsed(),
    ok: failure === null,
    steps,
    capabilities,
    tls,
    failure,
    transcript: lines,
  };
}

function certificateHint(validTo: string): string | null {
  const days = Math.floor((new Date(validTo).getTime() - Date.now()) / 86_400_000);
  return days < 30
    ? `The server certificate expires in ${days} day${days === 1 ? '' : 's'} (${validTo.slice(0, 10)}).`
    : null;
}

/** Combinations tried by "find working settings", most secure and most common first. */
export const DISCOVERY_COMBINATIONS: Array<[number, SecurityMode]> = [
  [465, 'tls'],
  [587, 'starttls'],
  [25, 'starttls'],
  [587, 'tls'],
  [25, 'tls'],
  [465, 'starttls'],
  [587, 'none'],
  [25, 'none'],
  [465, 'none'],
];

/**
 * Tries 465 / 587 / 25 × SSL / STARTTLS / none against a host and recommends what connects and
 * logs in. Every combination is probed without a login first; the password is then tried on the
 * best encrypted candidate only (a wrong password is not hammered into every port, and is never
 * sent unencrypted). `loginWithheld` says why no login is tried at all (no password that may be
 * sent to this host); the verdict then says so.
 */
export async function discoverSettings(
  id: string,
  base: SmtpTarget,
  ctxOf: (port: number, security: SecurityMode) => ClassifyContext,
  lookup: HostLookup | undefined,
  emit: DiagnosisEmit,
  combinations = DISCOVERY_COMBINATIONS,
  loginWithheld: string | null = null,
): Promise<SettingsDiscovery> {
  const probeTimeout = Math.min(base.greetingTimeoutMs, 6000);
  const candidates: SettingsCandidate[] = combinations.map(([port, security]) => ({
    port,
    security,
    outcome: 'not-tried',
    durationMs: null,
    failureClass: null,
    summary: '',
  }));
  const label = (c: SettingsCandidate) =>
    `${c.port} ${c.security === 'tls' ? 'SSL/TLS' : c.security === 'starttls' ? 'STARTTLS' : 'plain'}`;

  const probe = async (c: SettingsCandidate) => {
    emit({ id, kind: 'discovery', label: label(c), status: 'running', durationMs: null });
    const transcript = new Transcript();
    const started = performance.now();
    try {
      const session = await SmtpSession.open(
        {
          ...base,
          port: c.port,
          security: c.security,
          auth: 'none',
          connectTimeoutMs: probeTimeout,
          greetingTimeoutMs: probeTimeout,
        },
        transcript,
        lookup,
      );
      session.quit();
      const caps = session.capabilities;
      c.outcome = 'connected';
      c.summary = `${session.tls ? `${session.tls.protocol}, ` : 'unencrypted, '}AUTH ${caps.authMechanisms.join(' ') || 'not offered'}`;
    } catch (error) {
      const v = classify(toSmtpFailure(error, transcript.currentStep()).raw, ctxOf(c.port, c.security));
      c.outcome = 'failed';
      c.failureClass = v.class;
      c.summary = v.explanation;
    }
    c.durationMs = Math.round(performance.now() - started);
    emit({
      id,
      kind: 'discovery',
      label: label(c),
      status: c.outcome === 'connected' ? 'passed' : 'failed',
      durationMs: c.durationMs,
    });
  };

  // Three probes at a time keeps the search quick without looking like a port scan.
  const queue = [...candidates];
  await Promise.all(
    Array.from({ length: 3 }, async () => {
      for (let c = queue.shift(); c; c = queue.shift()) await probe(c);
    }),
  );

  const connected = candidates.filter((c) => c.outcome === 'connected');
  const encrypted = connected.filter((c) => c.security !== 'none');
  const wantsLogin = usesLogin(base) && loginWithheld === null;
  let recommended: SettingsCandidate | null = null;
  let verdict: string;

  if (!wantsLogin) {
    recommended = encrypted[0] ?? connected[0] ?? null;
    verdict = recommended
      ? `${base.host} answers on ${label(recommended)}${recommended.security === 'none' ? ' — unencrypted; use it only inside a trusted network' : ''}.`
      : `${base.host} answered on none of the usual ports. ${candidates[0]?.summary ?? ''}`;
    if (loginWithheld !== null) verdict += ` The login was not tried: ${loginWithheld}`;
  } else if (encrypted.length === 0) {
    verdict = connected.length
      ? `${base.host} answers only unencrypted (${connected.map(label).join(', ')}); AlertDesk will not send a password over it.`
      : `${base.host} answered on none of the usual ports. ${candidates[0]?.summary ?? ''}`;
  } else {
    verdict = '';
    for (const c of encrypted) {
      emit({ id, kind: 'discovery', label: `Login on ${label(c)}`, status: 'running', durationMs: null });
      const transcript = new Transcript();
      const started = performance.now();
      try {
        const session = await SmtpSession.open(
          { ...base, port: c.port, security: c.security },
          transcript,
          lookup,
        );
        session.quit();
        c.outcome = 'authenticated';
        c.summary = `login accepted; ${c.summary}`;
        recommended = c;
        verdict = `Use ${label(c)}: it connects, encrypts and accepts the login of ${base.username}.`;
      } catch (error) {
        const v = classify(toSmtpFailure(error, transcript.currentStep()).raw, ctxOf(c.port, c.security));
        c.failureClass = v.class;
        c.summary = v.explanation;
        if (
          v.class === 'auth-failed' ||
          v.class === 'app-password-required' ||
          v.class === 'basic-auth-disabled'
        ) {
          c.outcome = 'auth-failed';
          verdict = `${base.host} is reachable on ${label(c)}, but the login was rejected: ${v.fix}`;
        }
      }
      emit({
        id,
        kind: 'discovery',
        label: `Login on ${label(c)}`,
        status: c.outcome === 'authenticated' ? 'passed' : 'failed',
        durationMs: Math.round(performance.now() - started),
      });
      if (c.outcome === 'authenticated' || c.outcome === 'auth-failed') break;
    }
    if (!verdict)
      verdict = `${base.host} answers on ${encrypted.map(label).join(', ')}, but none of them accepts this login method.`;
  }

  return {
    id,
    host: base.host,
    candidates,
    recommended: recommended ? { port: recommended.port, security: recommended.security } : null,
    verdict,
  };
}
