/**
 * The `syllabus` command (API.md §3). It uses the same DATA_DIR / DATABASE_URL as the server and
 * works whether or not the server runs: with the embedded database it connects to the server's
 * PostgreSQL when one runs, and otherwise starts its own for the length of the command.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadConfig } from '../config.js';
import { ScopeSchema } from '../modules/api-keys/api-keys.schemas.js';
import { VERSION } from '../paths.js';
import type { Services } from '../services.js';
import { loadServices, type TargetFlags, targetFrom, UsageError } from './target.js';

const USAGE = `syllabus ${VERSION} — API-first course platform

Usage:
  syllabus serve                       start the HTTP server (same as npm start)
  syllabus worker                      run background jobs only (webhook deliveries, clean-ups); WORKERS at a time
  syllabus migrate [--json]            apply database migrations
  syllabus mcp                         the MCP server over stdio (acts with SYLLABUS_API_KEY)
  syllabus school create --name NAME [--owner-email EMAIL] [--owner-password PASSWORD] [--json]
                                       (owner email defaults to owner@example.com; password generated when omitted)
  syllabus key create --school SCHOOL_ID [--name NAME] [--permissions '*,courses:read'] [--json]
  syllabus import FILE.md|FILE.json|FOLDER [--dry-run] [--json] (--url URL --key KEY | --school SCHOOL_ID)
                                       sync Markdown course files (docs/markdown-courses.md); --dry-run
                                       prints the changes and writes nothing
  syllabus export COURSE_ID|EXTERNAL_ID [--format md|json] [--out FILE] (--url URL --key KEY | --school SCHOOL_ID)
                                       the course as a Markdown course file (or the JSON document)

  --url and --key talk to a running server (SYLLABUS_URL and SYLLABUS_API_KEY stand for them);
  --school works on the database directly.

Environment: DATA_DIR, DATABASE_URL and the rest as for the server (see README).`;

const OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  name: { type: 'string' },
  'owner-email': { type: 'string' },
  'owner-password': { type: 'string' },
  school: { type: 'string' },
  permissions: { type: 'string' },
  'dry-run': { type: 'boolean' },
  url: { type: 'string' },
  key: { type: 'string' },
  format: { type: 'string' },
  out: { type: 'string' },
} as const;

async function withServices<T>(fn: (services: Services) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const { openDatabase, createServices } = await loadServices();
  const database = await openDatabase(config, 'cli');
  try {
    return await fn(createServices(database, config));
  } finally {
    await database.shutdown();
  }
}

/** `syllabus worker`: the job workers without the HTTP server, until SIGINT or SIGTERM. */
async function runWorkers(): Promise<void> {
  const config = loadConfig();
  const log = (msg: string) => process.stderr.write(`syllabus worker: ${msg}\n`);
  const { openDatabase, createServices } = await loadServices();
  // 'cli': with the embedded database, a worker uses the server's PostgreSQL when one runs.
  const database = await openDatabase(config, 'cli', log);
  // Loaded only here: the other commands do not need the queue runner.
  const { startWorkers } = await import('../jobs/runner.js');
  const workers = await startWorkers({
    database,
    services: createServices(database, config),
    concurrency: Math.max(1, config.workers),
    log: (level, message) => {
      if (level === 'error' || level === 'warn') log(`${level}: ${message}`);
    },
  });
  log(`running ${Math.max(1, config.workers)} jobs at a time`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await workers.stop();
  await database.shutdown();
  process.exit(0);
}

type Output = { json: unknown; text: string; exitCode?: number; warnings?: string[] };

async function run(argv: string[]): Promise<Output | undefined> {
  const parse = () => parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse();
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  const command = positionals.join(' ');
  if (values.help || command === '' || command === 'help') return { json: { usage: USAGE }, text: USAGE };

  if (positionals[0] === 'import' || positionals[0] === 'export') {
    const [verb, ref, ...extra] = positionals;
    if (!ref || extra.length > 0)
      throw new UsageError(
        verb === 'import'
          ? 'Usage: syllabus import FILE.md|FILE.json|FOLDER [--dry-run] [--json] …'
          : 'Usage: syllabus export COURSE_ID|EXTERNAL_ID …',
      );
    const flags: TargetFlags = { school: values.school, url: values.url, key: values.key };
    if (verb === 'import') {
      if (values.format !== undefined || values.out !== undefined)
        throw new UsageError('--format and --out are options of syllabus export.');
      const open = targetFrom(flags);
      const { runImport } = await import('./import.js');
      return runImport(ref, {
        dryRun: values['dry-run'] === true,
        json: values.json === true,
        open,
        progress: process.stdout.isTTY === true,
      });
    }
    if (values['dry-run']) throw new UsageError('--dry-run is an option of syllabus import.');
    const { exportFormat, runExport } = await import('./export.js');
    const format = exportFormat(values.format);
    return runExport(ref, { format, out: values.out, open: targetFrom(flags) });
  }

  switch (command) {
    case 'serve':
      await import('../server.js');
      return undefined;

    case 'worker': {
      await runWorkers();
      return undefined;
    }

    case 'mcp': {
      const { serveMcpOverStdio } = await import('../mcp/stdio.js');
      await serveMcpOverStdio();
      process.exit(0);
      return undefined;
    }

    case 'migrate':
      await withServices(async () => undefined);
      return { json: { migrated: true }, text: 'Migrations applied.' };

    case 'school create': {
      const name = z.string().trim().min(1).max(255).safeParse(values.name);
      if (!name.success) throw new UsageError('--name is required (1–255 characters).');
      const email = z.email().safeParse(values['owner-email'] ?? 'owner@example.com');
      if (!email.success) throw new UsageError('--owner-email must be an email address.');
      const password = values['owner-password'];
      if (password !== undefined && password.length < 8)
        throw new UsageError('--owner-password must be at least 8 characters.');
      const created = await withServices((s) =>
        s.schools.create({ name: name.data, ownerEmail: email.data, ownerPassword: password }),
      );
      return {
        json: created,
        text: [
          `School ${created.school.name} (${created.school.id})`,
          `Owner ${created.owner.email}${created.owner.password ? ` / password ${created.owner.password}` : ''}`,
          `API key (*): ${created.apiKey}`,
        ].join('\n'),
      };
    }

    case 'key create': {
      if (!values.school) throw new UsageError('--school is required.');
      const keyName = z
        .string()
        .trim()
        .min(1)
        .max(100)
        .safeParse(values.name ?? 'CLI key');
      if (!keyName.success) throw new UsageError('--name must be 1–100 characters.');
      const permissions = (values.permissions ?? '*')
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean);
      const parsed = z.array(ScopeSchema).min(1).safeParse(permissions);
      if (!parsed.success) throw new UsageError(`--permissions: unknown scope in '${values.permissions}'.`);
      const schoolId = values.school;
      const key = await withServices(async (s) => {
        await s.schools.get(schoolId); // 404 as "School not found."
        return s.apiKeys.create(schoolId, { name: keyName.data, permissions: parsed.data }, null);
      });
      return {
        json: { id: key.id, key: key.key, permissions: key.permissions },
        text: `${key.key}\n(id ${key.id}, permissions ${key.permissions.join(',')})`,
      };
    }

    default:
      throw new UsageError(`Unknown command '${command}'.\n\n${USAGE}`);
  }
}

const argv = process.argv.slice(2);
const json = argv.includes('--json');
run(argv).then(
  (out) => {
    if (!out) return; // `serve` keeps running
    if (!json) for (const w of out.warnings ?? []) process.stderr.write(`syllabus: warning: ${w}\n`);
    const code = out.exitCode ?? 0;
    // A failed import's report is its error output; the exit code says it failed.
    const stream = code !== 0 && !json ? process.stderr : process.stdout;
    stream.write(`${json ? JSON.stringify(out.json) : out.text}\n`, () => process.exit(code));
  },
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    if (json)
      process.stdout.write(`${JSON.stringify({ error: err instanceof UsageError ? 'usage' : 'failed', message })}\n`);
    else process.stderr.write(`syllabus: ${message}\n`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
