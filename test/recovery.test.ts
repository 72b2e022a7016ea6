/**
 * Survive and recover: the server as a real process on the embedded PostgreSQL in a temp DATA_DIR,
 * killed with SIGKILL (alone, or with its PostgreSQL), then started again on the same DATA_DIR.
 * The next start must adopt or restart PostgreSQL, serve the data made before the kill, and leave
 * no PostgreSQL running once it is stopped cleanly.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, stopEmbeddedPostgres } from '../src/db/embedded.js';
import { ROOT, SERVER_ENTRY } from './helpers.js';

const exec = promisify(execFile);
const HAS_PROC = existsSync('/proc/self/stat');

let dataDir = '';
let pgDir = '';
let apiKey = '';
const children: ChildProcess[] = [];

type Server = { base: string; child: ChildProcess; output: () => string };

function env(extra: Record<string, string> = {}) {
  // DATABASE_URL unset: the embedded PostgreSQL under DATA_DIR is the database.
  const { DATABASE_URL: _db, TEST_DATABASE_URL: _t, ...rest } = process.env;
  return { ...rest, DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...extra };
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function startServer(): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, [SERVER_ENTRY], {
    cwd: ROOT,
    env: env({ PORT: String(port), HOST: '127.0.0.1' }),
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`server exited: ${out}`);
    const ok = await fetch(`${base}/api/v1/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { base, child, output: () => out };
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server did not start: ${out}`);
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((r) =>
    child.exitCode !== null || child.signalCode !== null ? r(child.exitCode) : child.once('exit', (code) => r(code)),
  );

async function kill9(child: ChildProcess) {
  child.kill('SIGKILL');
  await exited(child);
}

/** SIGKILL to each pid; one that already exited (a backend whose client just died) is fine. */
function kill9Pids(pids: number[]) {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
    }
  }
}

/** Live and not a zombie (a zombie still answers kill(pid, 0)). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (!HAS_PROC) return true;
  try {
    const stat = procStat(pid);
    return stat.state !== 'Z' && stat.state !== 'X';
  } catch {
    return false;
  }
}

/** State and parent pid from /proc/<pid>/stat (the name in parentheses may hold spaces). */
function procStat(pid: number): { ppid: number; state: string } {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: rest[0]!, ppid: Number(rest[1]) };
}

/** The postmaster named by postmaster.pid and its port. */
async function postmaster(): Promise<{ pid: number; port: number }> {
  const lines = (await fs.readFile(path.join(pgDir, 'postmaster.pid'), 'utf8')).split('\n');
  return { pid: Number(lines[0]), port: Number(lines[3]) };
}

/** The postmaster and its child processes (backends, checkpointer, …), found through /proc. */
async function clusterPids(): Promise<number[]> {
  const { pid } = await postmaster();
  const pids = [pid];
  if (!HAS_PROC) return pids;
  for (const entry of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (procStat(Number(entry)).ppid === pid) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

/** Stops the server with SIGTERM and checks that no process of its PostgreSQL is left. */
async function stopAndExpectNoPostgres(server: Server) {
  const pids = await clusterPids();
  const { port } = await postmaster();
  expect(pids.every(alive)).toBe(true);
  server.child.kill('SIGTERM');
  expect(await exited(server.child)).toBe(0);
  expect(existsSync(path.join(pgDir, 'postmaster.pid'))).toBe(false);
  expect(pids.filter(alive)).toEqual([]);
  expect(await accepts(port)).toBe(false);
}

async function expectServes(server: Server) {
  expect((await fetch(`${server.base}/api/v1/health`)).status).toBe(200);
  const school = await fetch(`${server.base}/api/v1/school`, { headers: { authorization: `Bearer ${apiKey}` } });
  expect(school.status).toBe(200);
  expect(((await school.json()) as { name: string }).name).toBe('My School');
  // Writes work too: the recovered database is not read-only or half-started.
  const created = await fetch(`${server.base}/api/v1/categories`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: `After recovery ${Date.now()}` }),
  });
  expect(created.status).toBe(201);
}

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'syllabus-recovery-'));
  pgDir = path.join(dataDir, 'pg');
});

// Whatever a test did or where it failed, no server and no PostgreSQL outlive it.
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) await kill9(c);
  await stopEmbeddedPostgres(dataDir);
});

afterAll(async () => {
  await stopEmbeddedPostgres(dataDir);
  await fs.rm(dataDir, { recursive: true, force: true });
});

// Two server starts per test (tsx compile, PostgreSQL start or crash recovery) on a busy machine.
describe('recovery after SIGKILL', { timeout: 120_000 }, () => {
  it('server killed, PostgreSQL left running: the next start adopts it and serves the data from before', async () => {
    const first = await startServer();
    apiKey = /API key \(\*\):\s+(syl_\w+)/.exec(first.output())?.[1] ?? '';
    expect(apiKey).toMatch(/^syl_/);
    const before = await postmaster();
    await kill9(first.child);
    // pg_ctl made PostgreSQL its own session leader: it survives its owner.
    expect(alive(before.pid)).toBe(true);

    const second = await startServer();
    expect(second.output()).toContain(`adopting embedded PostgreSQL left running on port ${before.port}`);
    expect((await postmaster()).pid).toBe(before.pid);
    await expectServes(second);
    await stopAndExpectNoPostgres(second);
  });

  it('server and every PostgreSQL process killed: the next start recovers from the stale postmaster.pid', async () => {
    const first = await startServer();
    await expectServes(first);
    const pids = await clusterPids();
    kill9Pids(pids);
    await kill9(first.child);
    expect(existsSync(path.join(pgDir, 'postmaster.pid'))).toBe(true);

    const second = await startServer();
    expect(second.output()).toContain('starting embedded PostgreSQL');
    expect((await postmaster()).pid).not.toBe(pids[0]);
    await expectServes(second);
    await stopAndExpectNoPostgres(second);
  });

  it('server and the postmaster alone killed (its children left to notice): the next start recovers', async () => {
    const first = await startServer();
    const { pid } = await postmaster();
    await kill9(first.child);
    process.kill(pid, 'SIGKILL');

    const second = await startServer();
    await expectServes(second);
    await stopAndExpectNoPostgres(second);
  });

  it.runIf(HAS_PROC)(
    'a stale postmaster.pid whose pid now belongs to another live process (pids repeat after a reboot) does not stop the next start',
    async () => {
      const first = await startServer();
      const pids = await clusterPids();
      kill9Pids(pids);
      await kill9(first.child);
      // A live process of the user PostgreSQL runs as stands in for the reused pid: PostgreSQL itself
      // would take it for a running postmaster and refuse to start.
      const ids =
        process.getuid?.() === 0
          ? {
              uid: Number((await exec('id', ['-u', 'postgres'])).stdout),
              gid: Number((await exec('id', ['-g', 'postgres'])).stdout),
            }
          : {};
      const squatter = spawn('sleep', ['120'], { ...ids, stdio: 'ignore' });
      children.push(squatter);
      const pidFile = path.join(pgDir, 'postmaster.pid');
      const lines = (await fs.readFile(pidFile, 'utf8')).split('\n');
      lines[0] = String(squatter.pid);
      await fs.writeFile(pidFile, lines.join('\n'));

      const second = await startServer();
      expect(second.output()).toContain('starting embedded PostgreSQL');
      await expectServes(second);
      expect(alive(squatter.pid!)).toBe(true);
      await stopAndExpectNoPostgres(second);
    },
  );

  it('a start lock left by a killed process whose pid this process now has is taken over, not waited on', async () => {
    // After a container restart the same start-up sequence hands out the same pids: the killed server's
    // lock file can name the new server's own pid.
    await fs.writeFile(path.join(dataDir, 'embedded-postgres.lock'), String(process.pid));
    const started = Date.now();
    const embedded = await startEmbeddedPostgres(dataDir, 'cli');
    expect(Date.now() - started).toBeLessThan(30_000);
    const { port } = await postmaster();
    expect(await accepts(port)).toBe(true);
    await embedded.stop();
    expect(existsSync(path.join(dataDir, 'embedded-postgres.lock'))).toBe(false);
    expect(await accepts(port)).toBe(false);
  });
});
