import type { DeliveryHistory } from '../../electron/core/history/deliveries.ts';
import type { FailureClass } from '../../shared/failures.ts';
import { FAILURE_CATALOG } from '../../shared/failures.ts';
import type { TranscriptLine } from '../../shared/delivery.ts';

export interface FillOptions {
  deliveries: number;
  sites: number;
  connectorsPerSite: number;
  camerasPerSite: number;
  /** Oldest delivery, ms before `now`. */
  spanMs: number;
  now: number;
  /** Deterministic pseudo-randomness. */
  seed?: number;
}

const CLASSES: FailureClass[] = [
  'auth-failed',
  'rate-limited',
  'connection-refused',
  'greeting-timeout',
  'recipient-rejected',
  'server-temporary',
];

export function sampleTranscript(i: number): TranscriptLine[] {
  return [
    { t: 0, dir: 'i', text: 'Connecting to 203.0.113.10 port 587' },
    { t: 21, dir: 'i', text: 'Connected to 203.0.113.10 port 587' },
    { t: 64, dir: 's', text: '220 smtp.example.test ESMTP ready' },
    { t: 65, dir: 'c', text: 'EHLO [192.0.2.7]' },
    { t: 88, dir: 's', text: '250-smtp.example.test' },
    { t: 88, dir: 's', text: '250-STARTTLS' },
    { t: 88, dir: 's', text: '250 SIZE 35882577' },
    { t: 89, dir: 'c', text: 'STARTTLS' },
    { t: 110, dir: 's', text: '220 2.0.0 Ready to start TLS' },
    { t: 160, dir: 'i', text: 'STARTTLS established: TLSv1.3 TLS_AES_256_GCM_SHA384' },
    { t: 161, dir: 'c', text: 'AUTH PLAIN /* redacted */' },
    { t: 190, dir: 's', text: '235 2.7.0 Accepted' },
    { t: 191, dir: 'c', text: `MAIL FROM:<camera${i}@example.test>` },
    { t: 210, dir: 's', text: '250 2.1.0 OK' },
    { t: 211, dir: 'c', text: 'RCPT TO:<ops@example.test>' },
    { t: 230, dir: 's', text: '250 2.1.5 OK' },
    { t: 231, dir: 'c', text: 'DATA' },
    { t: 250, dir: 's', text: '354 Go ahead' },
    { t: 420, dir: 's', text: `250 2.0.0 OK ${1700000000 + i} queued` },
  ];
}

/**
 * Writes a realistic delivery history straight into the repository: one delivery per message with
 * one to three attempts, spread over sites, connectors, cameras, statuses, classes and time.
 * Returns the number of attempts written.
 */
export function fillHistory(history: DeliveryHistory, o: FillOptions): number {
  // mulberry32: small, fast and well spread (an LCG's low bits made site and status correlate)
  let seed = (o.seed ?? 42) >>> 0;
  const rnd = () => {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let x = seed;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  let attempts = 0;
  history.bulk(() => {
    for (let i = 0; i < o.deliveries; i++) {
      const site = Math.floor(rnd() * o.sites);
      const connector = Math.floor(rnd() * o.connectorsPerSite);
      const camera = Math.floor(rnd() * o.camerasPerSite);
      const createdAt = o.now - Math.floor(rnd() * o.spanMs);
      const id = `d${i.toString(36)}-${Math.floor(rnd() * 1e9).toString(36)}`;
      history.create({
        id,
        createdAt,
        kind: rnd() < 0.8 ? 'bulk' : 'test',
        siteId: `site-${site}`,
        siteName: `Site ${site}`,
        connectorId: `conn-${site}-${connector}`,
        connectorTitle: `Connector ${site}.${connector}`,
        cameraId: `cam-${site}-${camera}`,
        cameraName: `Camera ${site}.${camera}`,
        runId: null,
        subject: `Motion at Camera ${site}.${camera}`,
        from: `camera${camera}@example.test`,
        to: ['ops@example.test'],
        cc: [],
        bcc: [],
      });
      const r = rnd();
      const failed = r < 0.25;
      const tries = failed && r < 0.1 ? 3 : failed && r < 0.18 ? 2 : 1;
      const cls = CLASSES[Math.floor(rnd() * CLASSES.length)]!;
      for (let n = 1; n <= tries; n++) {
        const last = n === tries;
        const ok = !failed && last;
        const failure = ok
          ? null
          : {
              class: cls,
              explanation: `${FAILURE_CATALOG[cls].title} at smtp.example.test:587`,
              fix: FAILURE_CATALOG[cls].fix,
              retryable: FAILURE_CATALOG[cls].transient,
              command: 'AUTH PLAIN',
              responseCode: 535,
              enhancedCode: '5.7.8',
              reply: '535 5.7.8 Authentication credentials invalid',
              errorCode: 'EAUTH',
              message: 'Invalid login',
            };
        const attemptMs = 200 + Math.floor(rnd() * 800);
        history.appendAttempt(
          id,
          {
            n,
            startedAt: createdAt + (n - 1) * 10_000,
            durationMs: attemptMs,
            outcome: ok ? 'sent' : 'failed',
            failure,
            accepted: ok ? ['ops@example.test'] : [],
            rejected: [],
            response: ok ? '250 2.0.0 OK queued' : failure!.reply,
            timings: [
              { step: 'connect', startMs: 0, durationMs: 21, ok: true },
              { step: 'envelope', startMs: 191, durationMs: 40, ok: true },
            ],
            tls: null,
            transcript: sampleTranscript(i),
          },
          {
            status: ok ? 'sent' : last ? 'failed' : 'retrying',
            failureClass: failure?.class ?? null,
            failure,
            reply: ok ? '250 2.0.0 OK queued' : failure!.reply,
            messageId: ok ? `<${id}@example.test>` : null,
            serverMessageId: null,
            // from the first attempt's start to the end of this one, as the engine records it
            durationMs: (n - 1) * 10_000 + attemptMs,
            nextAttemptAt: null,
            accepted: ok ? ['ops@example.test'] : [],
            rejected: [],
          },
          createdAt + (n - 1) * 10_000 + 500,
        );
        attempts++;
      }
    }
  });
  return attempts;
}
