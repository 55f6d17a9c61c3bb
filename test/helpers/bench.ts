import { execFile } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { promisify } from 'node:util';
import type { BenchEvent } from '../../shared/bench.ts';
import type { TestCore } from './core.ts';

const run = promisify(execFile);

/** A plain SMTP client socket that reads reply lines as they come (for what nodemailer will not do). */
export interface RawSmtp {
  socket: Socket;
  /** The next complete reply (its last line), waiting for it to arrive. */
  reply(): Promise<string>;
  /** Sends a command and returns its reply. */
  command(line: string): Promise<string>;
  close(): void;
}

export async function rawSmtp(port: number, localAddress = '127.0.0.1'): Promise<RawSmtp> {
  const socket = connect({ host: '127.0.0.1', port, localAddress });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let buffer = '';
  const replies: string[] = [];
  const waiting: Array<(line: string) => void> = [];
  const push = (line: string) => {
    const w = waiting.shift();
    if (w) w(line);
    else replies.push(line);
  };
  socket.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('latin1');
    for (let i = buffer.indexOf('\r\n'); i >= 0; i = buffer.indexOf('\r\n')) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 2);
      if (/^\d{3} /.test(line)) push(line); // the last line of a (multi-line) reply
    }
  });
  socket.on('close', () => push('(closed)'));
  socket.on('error', () => undefined);
  const reply = () =>
    new Promise<string>((resolve) => {
      const r = replies.shift();
      if (r !== undefined) resolve(r);
      else waiting.push(resolve);
    });
  return {
    socket,
    reply,
    command: (line) => {
      socket.write(`${line}\r\n`);
      return reply();
    },
    close: () => socket.destroy(),
  };
}

/** Writes `bytes` of message data in 64 KB lines-of-text chunks, minding back-pressure. */
export async function writeBulk(socket: Socket, bytes: number): Promise<void> {
  const line = `${'x'.repeat(998)}\r\n`;
  const chunk = Buffer.from(line.repeat(64));
  for (let sent = 0; sent < bytes; sent += chunk.length) {
    if (!socket.write(chunk)) await new Promise((resolve) => socket.once('drain', resolve));
    if (socket.destroyed) return;
  }
}

/** swaks as the "camera": resolves with its exit code and what it printed. */
export async function swaks(args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run('swaks', args, { timeout: 60_000 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, output: (e.stdout ?? '') + (e.stderr ?? '') };
  }
}

/** Every bench event the core pushes, recorded for assertions. */
export function recordBenchEvents(t: TestCore): BenchEvent[] {
  const events: BenchEvent[] = [];
  t.core.onEvent((m) => {
    if (m.topic === 'bench') events.push(m.payload as BenchEvent);
  });
  return events;
}
