import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';

/** A fixed, sane environment for the mail servers' commands, whatever PATH npm or vitest set up. */
export const COMMAND_ENV = {
  PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
  LANG: 'C',
  LC_ALL: 'C',
} as const;

export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/**
 * Runs a command to completion. Resolves on the process's exit rather than on its pipes closing:
 * `postfix start` and `dovecot` leave daemons behind that may still hold inherited descriptors.
 */
export function run(command: string, args: string[], timeoutMs = 15_000): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env: COMMAND_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => {
      if (output.length < 20_000) output += chunk.toString('utf8');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => {
      output += `\n[killed after ${timeoutMs} ms]`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, output: `${output}${error.message}` });
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      // Give already-written output a moment to arrive, then let go of the pipes.
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        resolve({ code, signal, output: output.trim() });
      }, 20);
    });
  });
}

/** The numeric uid and gid of a system account (`id`, so NSS is honoured), or null when it does not exist. */
export async function accountIds(name: string): Promise<{ uid: number; gid: number } | null> {
  const [u, g] = await Promise.all([run('id', ['-u', name], 5000), run('id', ['-g', name], 5000)]);
  if (u.code !== 0 || g.code !== 0) return null;
  return { uid: Number(u.output), gid: Number(g.output) };
}

/** `/proc/<pid>/stat`: the process's state letter, command name and start time, or null if it is gone. */
async function procStat(pid: number): Promise<{ state: string; comm: string; startTime: string } | null> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (!text) return null;
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  const fields = text
    .slice(close + 2)
    .trim()
    .split(' ');
  // After "pid (comm)": state is field 3 of stat(5), starttime field 22.
  return { comm: text.slice(open + 1, close), state: fields[0] ?? '', startTime: fields[19] ?? '' };
}

/** Whether a process runs (a zombie waiting for a parent that never reaps it counts as gone). */
export async function isRunning(pid: number, comm?: string): Promise<boolean> {
  const stat = await procStat(pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X') return false;
  return comm === undefined || stat.comm === comm;
}

/** Identifies this very process across pid reuse: its pid and kernel start time. */
export async function selfIdentity(): Promise<{ pid: number; startTime: string }> {
  return { pid: process.pid, startTime: (await procStat(process.pid))?.startTime ?? '' };
}

export async function isSameProcessAlive(identity: { pid: number; startTime: string }): Promise<boolean> {
  const stat = await procStat(identity.pid);
  return !!stat && stat.state !== 'Z' && stat.startTime === identity.startTime;
}

/** Reads a daemon's pid file (`master.pid`); null when absent or garbled. */
export async function readPidFile(path: string): Promise<number | null> {
  const text = await readFile(path, 'utf8').catch(() => null);
  const pid = text === null ? NaN : Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 1 ? pid : null;
}

export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 25,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Processes whose command line (as they set it: `dovecot-<instance>/imap`) starts with `prefix`. */
export async function pidsNamed(prefix: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.startsWith(prefix)) pids.push(Number(entry));
  }
  return pids;
}

/**
 * Sends SIGTERM to a daemon (only if it still is the expected program; `null`: any program, for
 * a pid just found by name), then SIGKILL if it lingers.
 */
export async function terminate(pid: number, comm: string | null, graceMs = 5000): Promise<void> {
  if (!(await isRunning(pid, comm ?? undefined))) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  try {
    await waitUntil(`${comm} (pid ${pid}) to exit`, async () => !(await isRunning(pid)), graceMs);
  } catch {
    if (await isRunning(pid, comm ?? undefined)) process.kill(pid, 'SIGKILL');
  }
}

/**
 * Free loopback ports, chosen by the kernel. All are held open until every one is known, so the
 * list has no duplicates; there is a short window before the servers bind them, which is why the
 * harness binds everything within a second of asking.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}
