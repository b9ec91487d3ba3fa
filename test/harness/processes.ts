import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { delimiter, join } from 'node:path';

/**
 * Process plumbing for the throwaway test servers: finding (or installing) binaries, free ports,
 * starting a server and waiting for it, and making sure nothing outlives the test run.
 */

export interface Binary {
  /** Executable names to look for, in order. */
  names: string[];
  /** Extra directories to search besides PATH (Debian keeps some servers off PATH), looked up
   * again after an install. */
  dirs?: () => string[];
  /** The Debian package that provides it. */
  aptPackage: string;
}

const isRoot = process.getuid?.() === 0;
let aptUpdated = false;

/** The absolute path of a server binary, installing its package with apt-get when we are root. */
export function findBinary(binary: Binary, envHint: string): string {
  const found = lookup(binary);
  if (found) return found;
  if (!isRoot) {
    throw new Error(
      `${binary.names[0]} is not installed. Install it with \`sudo apt-get install ${binary.aptPackage}\`, ` +
        `or point the tests at an existing server with ${envHint}.`,
    );
  }
  aptInstall(binary.aptPackage);
  const installed = lookup(binary);
  if (!installed)
    throw new Error(`apt-get installed ${binary.aptPackage} but ${binary.names[0]} was not found`);
  return installed;
}

function lookup({ names, dirs }: Binary): string | undefined {
  const extra = dirs?.() ?? [];
  const searchPath = [...(process.env.PATH ?? '').split(delimiter), ...extra, '/usr/sbin', '/sbin'];
  for (const name of names) {
    for (const dir of searchPath) {
      const candidate = join(dir, name);
      if (dir && existsSync(candidate)) return candidate;
    }
  }
  return undefined;
}

function aptInstall(aptPackage: string): void {
  // Debian's maintainer scripts would start a system-wide service on the default port; a test run
  // wants only its own throwaway servers, so service starts are refused during the install.
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    if (!aptUpdated) {
      run('apt-get', ['update', '-qq'], env);
      aptUpdated = true;
    }
    process.stderr.write(`[test servers] installing ${aptPackage} with apt-get…\n`);
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', aptPackage], env);
  } finally {
    if (ownPolicy) rmSync(policy, { force: true });
  }
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): void {
  const result = spawnSync(command, args, { env, encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed:\n${result.stderr || result.stdout}`);
  }
}

/** A port that was free a moment ago on the loopback interface. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * `count` distinct ports that were free a moment ago: each stays bound until all are picked, so
 * the kernel cannot hand out the same one twice.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Server>((resolve, reject) => {
          const server = createServer();
          server.unref();
          server.on('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    return typeof address === 'object' && address ? address.port : 0;
  });
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** A short temp dir: unix socket paths must stay under 108 bytes. */
export function makeTempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `gk-${label}-`));
}

/** uid/gid of the account a server must run as (PostgreSQL and MariaDB refuse to run as root). */
export function serviceAccount(name: string): { uid: number; gid: number } | undefined {
  if (!isRoot) return undefined;
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) {
    run('useradd', ['--system', '--no-create-home', name], process.env);
    return serviceAccount(name);
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

export function chownRecursive(
  path: string,
  account: { uid: number; gid: number } | undefined,
): void {
  if (!account) return;
  run('chown', ['-R', `${account.uid}:${account.gid}`, path], process.env);
}

export interface SpawnedServer {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** The signal for a quick clean shutdown (PostgreSQL treats SIGTERM as "wait for clients"). */
  stopSignal: NodeJS.Signals;
}

/** Starts a long-running server with its output in a log file and its pid under supervision. */
export function spawnServer(
  name: string,
  command: string,
  args: string[],
  options: {
    logFile: string;
    account?: { uid: number; gid: number };
    cwd?: string;
    stopSignal?: NodeJS.Signals;
  },
): SpawnedServer {
  const out = openSync(options.logFile, 'a');
  const child = spawn(command, args, {
    stdio: ['ignore', out, out],
    uid: options.account?.uid,
    gid: options.account?.gid,
    cwd: options.cwd,
  });
  child.on('error', () => undefined);
  if (child.pid) superviseOnExit(child.pid, child);
  return { name, child, logFile: options.logFile, stopSignal: options.stopSignal ?? 'SIGTERM' };
}

/** Runs a setup command (initdb, mariadb-install-db) to completion, failing with its output. */
export function runSetup(
  command: string,
  args: string[],
  account?: { uid: number; gid: number },
): void {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    uid: account?.uid,
    gid: account?.gid,
    cwd: tmpdir(),
  });
  if (result.status !== 0) {
    throw new Error(`${command} failed (${result.status}):\n${result.stderr || result.stdout}`);
  }
}

/**
 * `runSetup` without blocking the event loop, for setup steps that run while other servers start
 * (`redis-cli --cluster create` waits for the nodes to agree).
 */
export function runCommand(command: string, args: string[], timeoutMs = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: tmpdir() });
    let output = '';
    const collect = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000));
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(' ')} failed (${code ?? signal}):\n${output}`));
    });
  });
}

/** Waits until `probe` succeeds, or fails with the tail of the server's log. */
export async function waitFor(
  server: SpawnedServer,
  probe: () => Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null) break;
    if (await probe().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const log = existsSync(server.logFile) ? readFileSync(server.logFile, 'utf8').slice(-2000) : '';
  throw new Error(`${server.name} did not become ready:\n${log}`);
}

/** True when something accepts TCP connections on the port and answers `expect` to `send`. */
export function tcpAnswers(port: number, send: string, expect: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let data = '';
    socket.setTimeout(1000, () => finish(false));
    socket.on('connect', () => socket.write(send));
    socket.on('data', (chunk) => {
      data += chunk.toString();
      if (data.includes(expect)) finish(true);
    });
    socket.on('error', () => finish(false));
    function finish(ok: boolean): void {
      socket.destroy();
      resolve(ok);
    }
  });
}

/** The server's stop signal, then SIGKILL if it ignores it; resolves once the process is gone. */
export async function stopServer(server: SpawnedServer, graceMs = 10_000): Promise<void> {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(server.stopSignal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * If this process dies without tearing down (Ctrl-C, a crash, SIGKILL), a detached watchdog sees
 * its stdin close and stops every server still registered with it.
 */
let watchdog: ChildProcess | undefined;

function superviseOnExit(pid: number, child: ChildProcess): void {
  watchdog ??= startWatchdog();
  watchdog.stdin?.write(`+${pid}\n`);
  child.once('exit', () => watchdog?.stdin?.write(`-${pid}\n`));
}

function startWatchdog(): ChildProcess {
  const child = spawn(process.execPath, [join(__dirname, 'watchdog.js')], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  child.unref();
  (child.stdin as unknown as { unref(): void }).unref();
  // A watchdog that could not start must not take this process down with a write error.
  child.stdin?.on('error', () => undefined);
  return child;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export const currentUser = userInfo().username;
