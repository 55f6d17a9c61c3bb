import { lookup as dnsLookup } from 'node:dns/promises';
import { connect as netConnect, isIP, isIPv6, type Socket } from 'node:net';
import tls from 'node:tls';
import type { HostLookup } from '../adapters.ts';
import { SmtpFailure, toSmtpFailure } from './failure.ts';
import type { Transcript } from './transcript.ts';

/**
 * The network under an SMTP session, opened by AlertDesk itself so that every step is timed and
 * written to the transcript: DNS, TCP over every address the name has, implicit TLS.
 */

export const defaultLookup: HostLookup = (host) => dnsLookup(host, { all: true, verbatim: true });

const DNS_TIMEOUT_MS = 10_000;
/** However short the budget gets, an address is given at least this long before the next is tried. */
const MIN_ATTEMPT_MS = 250;

function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(onTimeout()), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** The addresses of an SMTP host (the 'dns' step of the transcript); an IP address is its own. */
export async function resolveHost(
  host: string,
  transcript: Transcript,
  lookup: HostLookup,
): Promise<string[]> {
  if (isIP(host)) return [host];
  transcript.begin('dns');
  let addresses: string[];
  try {
    const found = await withTimeout(lookup(host), DNS_TIMEOUT_MS, () =>
      Object.assign(new Error(`DNS lookup of ${host} timed out`), { code: 'ETIMEOUT' }),
    );
    addresses = found.map((a) => a.address);
    if (addresses.length === 0) throw Object.assign(new Error(`${host} has no address`), { code: 'ENODATA' });
  } catch (error) {
    transcript.close(false);
    const e = error as NodeJS.ErrnoException;
    throw new SmtpFailure({ stage: 'dns', code: e.code ?? 'EDNS', message: e.message });
  }
  transcript.note(`Resolved ${host} to ${addresses.join(', ')}`);
  return addresses;
}

/**
 * The order in which to try a host's addresses: the families alternate (RFC 8305), starting with
 * the family the resolver put first, each family in the resolver's order — so a host whose IPv6
 * path is broken costs one attempt, not all of them.
 */
export function connectionOrder(addresses: string[]): string[] {
  const first = addresses[0];
  if (first === undefined) return [];
  const leading = addresses.filter((a) => isIPv6(a) === isIPv6(first));
  const other = addresses.filter((a) => isIPv6(a) !== isIPv6(first));
  const out: string[] = [];
  for (let i = 0; i < Math.max(leading.length, other.length); i++) {
    if (i < leading.length) out.push(leading[i]!);
    if (i < other.length) out.push(other[i]!);
  }
  return out;
}

function tcpConnect(address: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: address, port, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new SmtpFailure({
          stage: 'connect',
          code: 'ETIMEDOUT',
          timeoutType: 'CONNECT_TIMEOUT',
          message: `No answer from ${address}:${port} within ${timeoutMs} ms`,
        }),
      );
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      reject(
        new SmtpFailure({ stage: 'connect', code: error.code ?? 'ECONNECTION', message: error.message }),
      );
    });
  });
}

/**
 * TCP to the first of `addresses` that answers (the 'connect' step), every address tried within
 * `timeoutMs` in all: each gets an even share of what is left, so one address that drops packets
 * cannot use up the time the others would have answered in.
 */
export async function connectAny(
  addresses: string[],
  port: number,
  timeoutMs: number,
  transcript: Transcript,
): Promise<Socket> {
  transcript.begin('connect');
  const ordered = connectionOrder(addresses);
  const deadline = performance.now() + timeoutMs;
  let lastFailure: unknown = null;
  for (let i = 0; i < ordered.length; i++) {
    const address = ordered[i]!;
    const remaining = deadline - performance.now();
    if (remaining <= 0) break;
    const left = ordered.length - i;
    const budget = Math.max(1, Math.round(Math.max(remaining / left, Math.min(remaining, MIN_ATTEMPT_MS))));
    try {
      transcript.note(`Connecting to ${address} port ${port}`);
      const socket = await tcpConnect(address, port, budget);
      transcript.note(`Connected to ${address} port ${port}`);
      transcript.close(true);
      return socket;
    } catch (error) {
      lastFailure = error;
      transcript.note(`Could not connect to ${address}: ${(error as Error).message}`);
    }
  }
  transcript.close(false);
  throw lastFailure === null
    ? new SmtpFailure({ stage: 'connect', message: 'No address to connect to' })
    : toSmtpFailure(lastFailure, 'connect');
}

/** Implicit TLS over a connected socket (the 'tls' step is the caller's). */
export function tlsHandshake(
  socket: Socket,
  options: tls.ConnectionOptions,
  timeoutMs: number,
): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const secure = tls.connect({ ...options, socket });
    const timer = setTimeout(() => {
      secure.destroy();
      reject(
        new SmtpFailure({
          stage: 'tls',
          code: 'ETIMEDOUT',
          timeoutType: 'TLS_HANDSHAKE_TIMEOUT',
          message: `The TLS handshake did not complete within ${timeoutMs} ms`,
        }),
      );
    }, timeoutMs);
    secure.once('secureConnect', () => {
      clearTimeout(timer);
      secure.removeAllListeners('error');
      resolve(secure);
    });
    secure.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      secure.destroy();
      const names = (error as NodeJS.ErrnoException & { cert?: { subjectaltname?: string } }).cert
        ?.subjectaltname;
      reject(
        new SmtpFailure({
          stage: 'tls',
          code: error.code ?? 'ETLS',
          message: error.message,
          facts: names ? { certNames: names } : {},
        }),
      );
    });
  });
}
