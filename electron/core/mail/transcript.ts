import type { SmtpStep, StepTiming, TranscriptLine } from '../../../shared/delivery.ts';

const REDACTED = '/* redacted */';

/** A transcript carried between threads (see Transcript.snapshot and absorb). */
export interface TranscriptSnapshot {
  /** When the transcript started: performance.timeOrigin + performance.now() of its thread. */
  startedAt: number;
  lines: TranscriptLine[];
  steps: StepTiming[];
  /** The step still open, in ms from the start. */
  current: { step: SmtpStep; startMs: number; lastMs: number } | null;
}
/** Lines longer than this (a runaway server reply) are cut in the transcript. */
const MAX_LINE = 2000;

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** Every form in which a credential could travel over SMTP or POP3 (an OAuth2 access token too). */
export function secretForms(username: string, password: string): string[] {
  if (!password) return [];
  const forms = new Set<string>([
    password,
    b64(password),
    b64(`\0${username}\0${password}`),
    b64(`${username}\0${username}\0${password}`),
    // the XOAUTH2 initial response (RFC 7628 style, as nodemailer builds it)
    b64(`user=${username}\x01auth=Bearer ${password}\x01\x01`),
  ]);
  // base64 of the password at the three possible alignments inside a longer base64 string
  for (const prefix of ['', 'x', 'xx']) {
    const encoded = b64(prefix + password);
    const skip = prefix.length === 0 ? 0 : prefix.length === 1 ? 2 : 3;
    const stable = encoded.slice(skip, Math.max(skip, encoded.length - 4));
    if (stable.length >= 8) forms.add(stable);
  }
  return [...forms].filter((f) => f.length >= 4).sort((a, b) => b.length - a.length);
}

/** `text` with every secret form replaced (longest first, so no part of a longer form is left). */
export function scrubSecrets(text: string, forms: readonly string[]): string {
  let clean = text;
  for (const secret of forms) {
    if (clean.includes(secret)) clean = clean.split(secret).join(REDACTED);
  }
  return clean;
}

const STEP_OF_COMMAND: Array<[RegExp, SmtpStep]> = [
  [/^(EHLO|HELO|LHLO)\b/i, 'ehlo'],
  [/^STARTTLS\b/i, 'starttls'],
  [/^AUTH\b/i, 'auth'],
  [/^(MAIL|RCPT|RSET)\b/i, 'envelope'],
  [/^DATA\b/i, 'data'],
  [/^QUIT\b/i, 'quit'],
];

/**
 * Records one SMTP conversation: each line with its time, the duration of each step, and never a
 * credential — AUTH payloads are replaced, and any line still holding the password (or its base64
 * forms) is scrubbed before it is stored.
 */
export class Transcript {
  private readonly started: number;
  private readonly out: TranscriptLine[] = [];
  private readonly steps: StepTiming[] = [];
  private current: { step: SmtpStep; start: number; last: number } | null = null;
  private secrets: string[] = [];
  private authContinuation = false;
  /** Told about each step as it ends (live progress of a diagnosis). */
  onStep: ((timing: StepTiming) => void) | null = null;
  onBegin: ((step: SmtpStep) => void) | null = null;

  private readonly now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.now = now;
    this.started = now();
  }

  protect(forms: string[]): void {
    this.secrets = [...new Set([...this.secrets, ...forms])].sort((a, b) => b.length - a.length);
  }

  elapsed(): number {
    return Math.round(this.now() - this.started);
  }

  note(text: string): void {
    this.push('i', text);
    // Our own notes mark progress too (connected, TLS established), so a step ends at its last one.
    if (this.current) this.current.last = this.now();
  }

  client(text: string): void {
    let line = text;
    const step = STEP_OF_COMMAND.find(([re]) => re.test(line))?.[1];
    if (/^AUTH\s+\S+/i.test(line)) {
      const mechanism = /^AUTH\s+\S+/i.exec(line)![0];
      line = line.length > mechanism.length ? `${mechanism} ${REDACTED}` : mechanism;
      this.authContinuation = true;
    } else if (this.authContinuation && !step) {
      // continuation lines of an AUTH exchange (LOGIN user/password, CRAM-MD5 response)
      line = REDACTED;
    } else {
      this.authContinuation = false;
    }
    if (step) this.begin(step);
    this.push('c', line);
  }

  server(text: string): void {
    if (this.authContinuation && !/^334\b/.test(text)) this.authContinuation = false;
    this.push('s', text);
    if (this.current) this.current.last = this.now();
  }

  /** Starts a step; the step before it ends when its last server reply arrived. */
  begin(step: SmtpStep): void {
    if (this.current?.step === step) return;
    this.close(true);
    const t = this.now();
    this.current = { step, start: t, last: t };
    this.onBegin?.(step);
  }

  /** Ends the current step. A failed step ends now; a passed one ends at its last reply. */
  close(ok: boolean): void {
    if (!this.current) return;
    const end = ok ? Math.max(this.current.last, this.current.start) : this.now();
    const timing: StepTiming = {
      step: this.current.step,
      startMs: Math.round(this.current.start - this.started),
      durationMs: Math.max(0, Math.round(end - this.current.start)),
      ok,
    };
    this.steps.push(timing);
    this.current = null;
    this.onStep?.(timing);
  }

  currentStep(): SmtpStep | null {
    return this.current?.step ?? null;
  }

  lines(): TranscriptLine[] {
    return this.out.slice();
  }

  timings(): StepTiming[] {
    return this.steps.slice();
  }

  /** Copies another transcript's lines in front (a reused session's opening), shifted to start at 0. */
  prepend(lines: TranscriptLine[], label: string): void {
    this.out.unshift({ t: 0, dir: 'i', text: label }, ...lines.map((l) => ({ ...l, t: 0 })));
  }

  /**
   * What this transcript holds, to carry it to another thread: its lines and steps, and when it
   * started on the shared clock (performance.timeOrigin + now), so they can be placed in time there.
   */
  snapshot(): TranscriptSnapshot {
    return {
      startedAt: performance.timeOrigin + this.started,
      lines: this.out,
      steps: this.steps,
      current: this.current
        ? {
            step: this.current.step,
            startMs: this.current.start - this.started,
            lastMs: this.current.last - this.started,
          }
        : null,
    };
  }

  /**
   * Appends what another transcript recorded (an SMTP session in the delivery thread), shifted onto
   * this transcript's time line. Its lines were scrubbed there; they are scrubbed again here.
   */
  absorb(other: TranscriptSnapshot): void {
    const shift = other.startedAt - (performance.timeOrigin + this.started);
    for (const line of other.lines)
      this.out.push({ ...line, t: Math.max(0, Math.round(line.t + shift)), text: this.scrub(line.text) });
    for (const step of other.steps) {
      this.close(true);
      const timing = { ...step, startMs: Math.max(0, Math.round(step.startMs + shift)) };
      this.steps.push(timing);
      this.onStep?.(timing);
    }
    if (other.current) {
      this.close(true);
      this.current = {
        step: other.current.step,
        start: this.started + other.current.startMs + shift,
        last: this.started + other.current.lastMs + shift,
      };
    }
  }

  private scrub(text: string): string {
    return scrubSecrets(text, this.secrets);
  }

  private push(dir: TranscriptLine['dir'], text: string): void {
    let clean = this.scrub(text);
    if (clean.length > MAX_LINE)
      clean = `${clean.slice(0, MAX_LINE)} … (${clean.length - MAX_LINE} more characters)`;
    this.out.push({ t: this.elapsed(), dir, text: clean });
  }
}
