/**
 * Memory benchmark (issue: "uploading a 512 MB file keeps the server's RSS growth under 64 MB"):
 * `node --import tsx bench/upload-memory.ts`, part of `npm run bench`, not the unit suite.
 *
 * The server runs in a child process (this same file, started with `--server`), so that the
 * uploading client's buffers do not count. The child starts an embedded PostgreSQL in a temp
 * DATA_DIR, migrates, creates a school with an API key, listens on 127.0.0.1:0 with the local
 * storage driver, samples its own RSS every 50 ms and answers the parent's questions over IPC.
 *
 * The parent presigns and PUTs one small warm-up upload (JIT, pools, first file writes), takes the
 * child's RSS as the baseline, then presigns and PUTs 512 MiB of `video/mp4` (an `ftyp` box, then
 * zeros, produced lazily in 1 MiB chunks) and compares the child's peak RSS during that upload
 * with the baseline. Exit code 1 when the growth reaches 64 MiB or the upload does not end ready.
 *
 * UPLOAD_MEMORY_MIB (default 512) and UPLOAD_MEMORY_LIMIT_MIB (default 64) tune the run.
 */
import { type ChildProcess, fork } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

const MiB = 1024 * 1024;
const uploadMiB = Number(process.env.UPLOAD_MEMORY_MIB ?? 512);
const limitMiB = Number(process.env.UPLOAD_MEMORY_LIMIT_MIB ?? 64);
const WARM_UP_BYTES = 8 * MiB;
/** The whole run (PostgreSQL start included) is cut off after this long. */
const WATCHDOG_MS = 180_000;
/** Sampling interval of the child's RSS. */
const SAMPLE_MS = 50;

/** A minimal MP4 `ftyp` box (isom, iso2, avc1, mp41): enough for file-type to say video/mp4. */
const FTYP = Buffer.from([
  0x00, 0x00, 0x00, 0x20, 0x66, 0x74, 0x79, 0x70, 0x69, 0x73, 0x6f, 0x6d, 0x00, 0x00, 0x02, 0x00, 0x69, 0x73, 0x6f,
  0x6d, 0x69, 0x73, 0x6f, 0x32, 0x61, 0x76, 0x63, 0x31, 0x6d, 0x70, 0x34, 0x31,
]);

// --- IPC protocol ------------------------------------------------------------------------------

type ToChild = { type: 'rss'; id: number; reset: boolean } | { type: 'stop' };
type FromChild =
  | { type: 'ready'; port: number; apiKey: string; rss: number }
  | { type: 'rss'; id: number; rss: number; max: number; maxRssLifetime: number; atMax: NodeJS.MemoryUsage }
  | { type: 'stopped' }
  | { type: 'error'; message: string };

// --- Child: the server --------------------------------------------------------------------------

async function serve(dataDir: string): Promise<void> {
  const send = (msg: FromChild) => process.send?.(msg);
  // Imported here so that the parent (the client) never loads the app and its dependencies.
  const [{ buildApp }, { loadConfig }, { openDatabase }, { createServices }] = await Promise.all([
    import('../src/app.js'),
    import('../src/config.js'),
    import('../src/db/open.js'),
    import('../src/services.js'),
  ]);

  // The max RSS since the last reset, and the full breakdown (heap, Buffers) when it was taken.
  let atMax = process.memoryUsage();
  let max = atMax.rss;
  const sample = () => {
    const rss = process.memoryUsage.rss();
    if (rss > max) {
      atMax = process.memoryUsage();
      max = Math.max(rss, atMax.rss);
    }
    return rss;
  };
  const sampler = setInterval(sample, SAMPLE_MS);

  const config = loadConfig({
    DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    RATE_LIMIT_PER_MINUTE: '1000000',
  });
  const database = await openDatabase(config, 'server');
  let app: Awaited<ReturnType<typeof buildApp>> | undefined;
  let apiKey = '';
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      clearInterval(sampler);
      await app?.close();
      await database.shutdown();
    })());
  process.on('SIGINT', () => void stop().finally(() => process.exit(130)));
  process.on('SIGTERM', () => void stop().finally(() => process.exit(143)));
  // The parent went away without saying stop (killed, crashed): do not leave PostgreSQL running.
  let stopRequested = false;
  process.on('disconnect', () => void stop().finally(() => process.exit(stopRequested ? 0 : 1)));

  try {
    const services = createServices(database, config);
    const school = await services.schools.create({
      name: 'Upload memory bench',
      ownerEmail: 'bench-upload@example.com',
      ownerPassword: 'bench password',
    });
    apiKey = school.apiKey;
    app = await buildApp(config, { database, services });
    await app.listen({ port: 0, host: '127.0.0.1' });
  } catch (err) {
    await stop();
    throw err;
  }

  process.on('message', (msg: ToChild) => {
    if (msg.type === 'rss') {
      const rss = sample();
      send({ type: 'rss', id: msg.id, rss, max, maxRssLifetime: process.resourceUsage().maxRSS * 1024, atMax });
      if (msg.reset) {
        atMax = process.memoryUsage();
        max = atMax.rss;
      }
    } else if (msg.type === 'stop') {
      stopRequested = true;
      void stop().then(
        () => {
          send({ type: 'stopped' });
          process.disconnect();
        },
        (err: unknown) => {
          send({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
          process.exit(1);
        },
      );
    }
  });
  send({ type: 'ready', port: (app.server.address() as AddressInfo).port, apiKey, rss: process.memoryUsage.rss() });
}

// --- Parent: the client -------------------------------------------------------------------------

/** `size` bytes of MP4: the ftyp box, then zeros, in 1 MiB chunks made on demand. */
function mp4Stream(size: number): Readable {
  const zeros = Buffer.alloc(MiB); // shared, never written to after this
  let sent = 0;
  return new Readable({
    highWaterMark: MiB,
    read() {
      if (sent >= size) return void this.push(null);
      const n = Math.min(MiB, size - sent);
      let chunk: Buffer;
      if (sent === 0) {
        chunk = Buffer.alloc(n);
        FTYP.copy(chunk, 0, 0, Math.min(FTYP.length, n));
      } else {
        chunk = n === MiB ? zeros : zeros.subarray(0, n);
      }
      sent += n;
      this.push(chunk);
    },
  });
}

type Answer = { status: number; body: unknown };

function request(
  port: number,
  opts: { method: string; path: string; headers?: Record<string, string | number>; body?: string | Readable },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: opts.method, path: opts.path, headers: opts.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (opts.body instanceof Readable) {
      opts.body.on('error', (err) => req.destroy(err));
      opts.body.pipe(req);
    } else {
      req.end(opts.body);
    }
  });
}

type Media = { id: string; status: string; size: number; failureReason: string | null };
type Presigned = { mediaId: string; upload: { method: string; url: string; headers: Record<string, string> } };

/** Presigns and uploads `size` bytes of MP4; returns the upload's answer and how long the PUT took. */
async function upload(
  port: number,
  apiKey: string,
  size: number,
  fileName: string,
): Promise<{ media: Media; ms: number }> {
  const presign = await request(port, {
    method: 'POST',
    path: '/api/v1/media/presigned',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ fileName, mimeType: 'video/mp4', size }),
  });
  if (presign.status !== 201)
    throw new Error(`presign ${fileName}: HTTP ${presign.status} ${JSON.stringify(presign.body)}`);
  const { upload: target } = presign.body as Presigned;
  // The URL's host comes from PUBLIC_URL, which cannot know the port chosen at listen time.
  const url = new URL(target.url);
  const started = performance.now();
  const put = await request(port, {
    method: target.method,
    path: url.pathname + url.search,
    headers: { ...target.headers, 'content-length': size },
    body: mp4Stream(size),
  });
  const ms = performance.now() - started;
  if (put.status !== 200) throw new Error(`upload ${fileName}: HTTP ${put.status} ${JSON.stringify(put.body)}`);
  return { media: put.body as Media, ms };
}

class Child {
  private nextId = 1;
  private waiting = new Map<number, (msg: Extract<FromChild, { type: 'rss' }>) => void>();
  readonly ready: Promise<Extract<FromChild, { type: 'ready' }>>;
  readonly stopped: Promise<boolean>;
  readonly exited: Promise<number | null>;

  constructor(readonly proc: ChildProcess) {
    this.exited = new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
    this.ready = new Promise((resolve, reject) => {
      proc.on('message', (msg: FromChild) => {
        if (msg.type === 'ready') resolve(msg);
        else if (msg.type === 'error') reject(new Error(`server: ${msg.message}`));
        else if (msg.type === 'rss') {
          this.waiting.get(msg.id)?.(msg);
          this.waiting.delete(msg.id);
        }
      });
      void this.exited.then((code) =>
        reject(new Error(`the server process exited (code ${code}) before it was ready`)),
      );
    });
    this.stopped = new Promise((resolve) => {
      proc.on('message', (msg: FromChild) => msg.type === 'stopped' && resolve(true));
      void this.exited.then(() => resolve(false));
    });
  }

  /** The child's RSS now and the max sampled since the last reset (optionally resetting it). */
  rss(reset = false): Promise<Omit<Extract<FromChild, { type: 'rss' }>, 'type' | 'id'>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, resolve);
      void this.exited.then(() => reject(new Error('the server process exited')));
      this.proc.send({ type: 'rss', id, reset } satisfies ToChild);
    });
  }

  /** Asks the child to close the app and its PostgreSQL; kills it if that takes too long. */
  async stop(): Promise<boolean> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return this.stopped;
    if (this.proc.connected) this.proc.send({ type: 'stop' } satisfies ToChild);
    else this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 30_000);
    await this.exited;
    clearTimeout(timer);
    return this.stopped;
  }
}

const mib = (bytes: number) => bytes / MiB;
const fmt = (bytes: number) => mib(bytes).toFixed(1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<number> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'syllabus-upload-memory-'));
  const child = new Child(
    fork(fileURLToPath(import.meta.url), ['--server', dataDir], {
      // Same loader (tsx) as this process; stdout/stderr go to ours.
      execArgv: process.execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  const watchdog = setTimeout(() => {
    console.error(`upload-memory: no result after ${WATCHDOG_MS / 1000} s; stopping`);
    child.proc.kill('SIGTERM');
  }, WATCHDOG_MS);

  let ok = false;
  try {
    const { port, apiKey, rss: startRss } = await child.ready;
    const size = uploadMiB * MiB;

    const warm = await upload(port, apiKey, WARM_UP_BYTES, 'warm-up.mp4');
    if (warm.media.status !== 'ready')
      throw new Error(`warm-up upload ended ${warm.media.status}: ${warm.media.failureReason}`);
    await sleep(250); // let the warm-up's buffers settle
    const baseline = await child.rss(true); // resets the sampled max to now

    const big = await upload(port, apiKey, size, 'big.mp4');
    await sleep(2 * SAMPLE_MS); // one more sample after the answer
    const after = await child.rss();

    const peak = Math.max(after.max, baseline.rss);
    const growth = peak - baseline.rss;
    const ready = big.media.status === 'ready' && big.media.size === size;
    ok = ready && mib(growth) < limitMiB;

    console.log(
      `server rss at start ${fmt(startRss)} MiB; after warm-up upload (${mib(WARM_UP_BYTES)} MiB) ${fmt(baseline.rss)} MiB`,
    );
    console.log(
      `upload ${uploadMiB} MiB: ${(big.ms / 1000).toFixed(2)} s, ${(uploadMiB / (big.ms / 1000)).toFixed(0)} MiB/s, media ${big.media.status} (${big.media.size} bytes)` +
        (ready
          ? ''
          : ` — expected ready with ${size} bytes${big.media.failureReason ? `: ${big.media.failureReason}` : ''}`),
    );
    console.log(
      `server rss after the upload ${fmt(after.rss)} MiB; lifetime max (getrusage) ${fmt(after.maxRssLifetime)} MiB`,
    );
    const parts = (m: NodeJS.MemoryUsage) =>
      `heap used ${fmt(m.heapUsed)} / total ${fmt(m.heapTotal)}, external ${fmt(m.external)} (array buffers ${fmt(m.arrayBuffers)}) MiB`;
    console.log(`  at baseline: ${parts(baseline.atMax)}`);
    console.log(`  at peak:     ${parts(after.atMax)}`);
    console.log(
      `upload ${uploadMiB} MiB: rss baseline ${fmt(baseline.rss)} MiB, peak ${fmt(peak)} MiB, growth ${fmt(growth)} MiB (limit ${limitMiB} MiB) ${ok ? 'ok' : 'FAILED'}`,
    );
  } catch (err) {
    console.error('upload-memory:', err);
    ok = false;
  } finally {
    clearTimeout(watchdog);
    const clean = await child.stop();
    if (!clean) {
      // The child did not stop its PostgreSQL (crashed or killed): adopt it and stop it here.
      const { startEmbeddedPostgres } = await import('../src/db/embedded.js');
      await startEmbeddedPostgres(dataDir, 'server')
        .then((pg) => pg.stop())
        .catch((err: unknown) => console.error('upload-memory: could not stop the embedded PostgreSQL:', err));
    }
    await fs.rm(dataDir, { recursive: true, force: true });
  }
  return ok ? 0 : 1;
}

if (process.argv[2] === '--server') {
  const dataDir = process.argv[3];
  if (!dataDir) throw new Error('usage: upload-memory.ts --server DATA_DIR');
  serve(dataDir).catch((err: unknown) => {
    process.send?.({
      type: 'error',
      message: err instanceof Error ? (err.stack ?? err.message) : String(err),
    } satisfies FromChild);
    process.exitCode = 1;
    process.disconnect?.();
  });
} else {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
