/**
 * The `syllabus` CLI and the embedded PostgreSQL lifecycle, as real processes in a temp DATA_DIR:
 * the CLI alone (it starts and stops its own Postgres), the CLI beside a running server (it uses
 * the server's), a graceful stop (Postgres stopped too) and a crash (the next start adopts it).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { stopEmbeddedPostgres } from '../src/db/embedded.js';
import { CLI_ENTRY, ROOT, SERVER_ENTRY } from './helpers.js';

const exec = promisify(execFile);

const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'syllabus-cli-'));
const children: ChildProcess[] = [];
/** Other DATA_DIRs a test made: their PostgreSQL is stopped in afterAll even when the test failed midway. */
const otherDataDirs: string[] = [];

function env(extra: Record<string, string> = {}) {
  // DATABASE_URL unset: the embedded PostgreSQL under DATA_DIR is the database.
  const { DATABASE_URL: _db, TEST_DATABASE_URL: _t, ...rest } = process.env;
  return { ...rest, DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...extra };
}

async function cli(args: string[], extra: Record<string, string> = {}) {
  const { stdout } = await exec(process.execPath, [CLI_ENTRY, ...args], {
    cwd: ROOT,
    env: env(extra),
    timeout: 60_000,
  });
  return stdout;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function startServer(): Promise<{ base: string; child: ChildProcess; output: () => string }> {
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
  for (let i = 0; i < 150; i++) {
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
    child.exitCode !== null ? r(child.exitCode) : child.once('exit', (code) => r(code)),
  );

async function postmasterRunning(): Promise<boolean> {
  try {
    const pid = Number((await fs.readFile(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8')).split('\n')[0]);
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  // Stop any Postgres a crashed step left behind, then remove the data dir.
  for (const dir of [dataDir, ...otherDataDirs]) {
    await stopEmbeddedPostgres(dir);
    await fs.rm(dir, { recursive: true, force: true });
  }
});

describe('syllabus CLI and embedded PostgreSQL', () => {
  let schoolId = '';
  let firstKey = '';

  it('school create --json works with no server running, and leaves no Postgres running', async () => {
    const out = JSON.parse(
      await cli(['school', 'create', '--name', 'CLI Academy', '--owner-email', 'cli@example.com', '--json']),
    );
    expect(out).toMatchObject({ school: { name: 'CLI Academy' }, owner: { email: 'cli@example.com' } });
    expect(out.school.id).toMatch(/^sch_/);
    expect(out.owner.id).toMatch(/^usr_/);
    expect(out.apiKey).toMatch(/^syl_/);
    schoolId = out.school.id;
    firstKey = out.apiKey;
    expect(await postmasterRunning()).toBe(false);
  });

  it('concurrent CLI commands share one Postgres and the last one out stops it', async () => {
    const outs = await Promise.all(
      [1, 2, 3].map(async (i) =>
        JSON.parse(
          await cli(['school', 'create', '--name', `Parallel ${i}`, '--owner-email', `p${i}@example.com`, '--json']),
        ),
      ),
    );
    expect(new Set(outs.map((o) => o.school.id)).size).toBe(3);
    expect(await postmasterRunning()).toBe(false);
  });

  it('the package bin (bin/syllabus.js → dist) runs the same commands', async () => {
    const { stdout } = await exec(
      process.execPath,
      ['bin/syllabus.js', 'school', 'create', '--name', 'Via bin', '--json'],
      {
        cwd: ROOT,
        env: env(),
        timeout: 60_000,
      },
    );
    const out = JSON.parse(stdout);
    expect(out.school.name).toBe('Via bin');
    expect(out.apiKey).toMatch(/^syl_/);
    const help = await exec(process.execPath, ['bin/syllabus.js', '--help'], { cwd: ROOT, env: env() });
    expect(help.stdout).toContain('syllabus school create');
  });

  it('validates its arguments', async () => {
    await expect(cli(['school', 'create', '--json'])).rejects.toMatchObject({
      code: 2,
      stdout: expect.stringContaining('--name is required'),
    });
    await expect(cli(['key', 'create', '--school', 'sch_x', '--permissions', 'root', '--json'])).rejects.toMatchObject({
      code: 2,
    });
    await expect(cli(['frobnicate'])).rejects.toMatchObject({ code: 2 });
    await expect(cli(['key', 'create', '--school', 'sch_x', '--name', ' ', '--json'])).rejects.toMatchObject({
      code: 2,
      stdout: expect.stringContaining('--name'),
    });
  });

  it('the server uses the same data; the CLI talks to the running server’s Postgres; keys work against the server', async () => {
    const server = await startServer();
    // Not an empty database (the CLI made a school): no bootstrap notice.
    expect(server.output()).not.toContain('API key (*)');
    const school = await fetch(`${server.base}/api/v1/school`, { headers: { authorization: `Bearer ${firstKey}` } });
    expect(school.status).toBe(200);
    expect(((await school.json()) as { name: string }).name).toBe('CLI Academy');

    const key = JSON.parse(
      await cli(['key', 'create', '--school', schoolId, '--name', 'reader', '--permissions', 'courses:read', '--json']),
    );
    expect(key).toMatchObject({
      id: expect.stringMatching(/^key_/),
      key: expect.stringMatching(/^syl_/),
      permissions: ['courses:read'],
    });
    const list = await fetch(`${server.base}/api/v1/categories`, { headers: { 'x-api-key': key.key } });
    expect(list.status).toBe(200);
    const write = await fetch(`${server.base}/api/v1/categories`, {
      method: 'POST',
      headers: { 'x-api-key': key.key, 'content-type': 'application/json' },
      body: '{"name":"Nope"}',
    });
    expect(write.status).toBe(403);

    const second = JSON.parse(
      await cli(['school', 'create', '--name', 'Second', '--owner-password', 'long enough pw', '--json']),
    );
    const secondSchool = await fetch(`${server.base}/api/v1/school`, {
      headers: { authorization: `Bearer ${second.apiKey}` },
    });
    expect(((await secondSchool.json()) as { id: string }).id).toBe(second.school.id);
    // The server still runs its Postgres after the CLI finished.
    expect((await fetch(`${server.base}/api/v1/health`)).status).toBe(200);

    await expect(cli(['key', 'create', '--school', 'sch_00000000000000000000000000', '--json'])).rejects.toMatchObject({
      stdout: expect.stringContaining('School not found'),
    });

    server.child.kill('SIGTERM');
    expect(await exited(server.child)).toBe(0);
    expect(await postmasterRunning()).toBe(false);
  });

  it('after a crash (SIGKILL) the next start adopts the Postgres left running and loses nothing', async () => {
    const first = await startServer();
    first.child.kill('SIGKILL');
    await exited(first.child);
    expect(await postmasterRunning()).toBe(true);

    const second = await startServer();
    expect(second.output()).toContain('adopting');
    const school = await fetch(`${second.base}/api/v1/school`, { headers: { authorization: `Bearer ${firstKey}` } });
    expect(school.status).toBe(200);
    second.child.kill('SIGINT');
    expect(await exited(second.child)).toBe(0);
    expect(await postmasterRunning()).toBe(false);
  });

  it('a second server on the same DATA_DIR is refused', async () => {
    const first = await startServer();
    const port = await freePort();
    const second = await exec(process.execPath, [SERVER_ENTRY], {
      cwd: ROOT,
      env: env({ PORT: String(port) }),
      timeout: 30_000,
    }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('Another Syllabus server');
    expect((await fetch(`${first.base}/api/v1/health`)).status).toBe(200);
    first.child.kill('SIGTERM');
    await exited(first.child);
  });

  it('migrate is idempotent', async () => {
    expect(JSON.parse(await cli(['migrate', '--json']))).toEqual({ migrated: true });
    expect(JSON.parse(await cli(['migrate', '--json']))).toEqual({ migrated: true });
    expect(existsSync(path.join(dataDir, 'pg', 'PG_VERSION'))).toBe(true);
  });

  it('first start on an empty database prints the owner login and a * key once', async () => {
    const empty = await fs.mkdtemp(path.join(os.tmpdir(), 'syllabus-boot-'));
    otherDataDirs.push(empty);
    const port = await freePort();
    const child = spawn(process.execPath, [SERVER_ENTRY], {
      cwd: ROOT,
      env: { ...env({ PORT: String(port), DATA_DIR: empty }) },
    });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    for (
      let i = 0;
      i < 150 &&
      !(await fetch(`http://127.0.0.1:${port}/api/v1/health`).then(
        (r) => r.ok,
        () => false,
      ));
      i++
    ) {
      await new Promise((r) => setTimeout(r, 200));
    }
    const key = /API key \(\*\):\s+(syl_\w+)/.exec(out)?.[1];
    const password = /Password:\s+(\S+)/.exec(out)?.[1];
    expect(key).toBeDefined();
    expect(password).toBeDefined();
    expect(out).toContain('owner@example.com');
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/school`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
    const login = await fetch(`http://127.0.0.1:${port}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'owner@example.com', password }),
    });
    expect(login.status).toBe(200);
    child.kill('SIGTERM');
    await exited(child);
    await stopEmbeddedPostgres(empty);
    await fs.rm(empty, { recursive: true, force: true });
  });
});
