/**
 * Where `syllabus import` / `export` send their work: a running server over its HTTP API (`--url`
 * and `--key`, or SYLLABUS_URL / SYLLABUS_API_KEY), or the database itself through the services
 * (`--school`, with the same DATA_DIR / DATABASE_URL as the other commands). Both answer the same
 * shapes, so the commands do not care which.
 */
import { loadConfig } from '../config.js';
import { AppError } from '../lib/errors.js';
import type { Changes, CourseDocumentInput, ExportedCourse } from '../modules/courses/sync.schemas.js';

/**
 * The database and the services: the whole application, ~2 s to load. Only the commands that use
 * them import them, so a usage error or an import over HTTP does not wait.
 */
export async function loadServices() {
  const [{ openDatabase }, { createServices }] = await Promise.all([import('../db/open.js'), import('../services.js')]);
  return { openDatabase, createServices };
}

export class UsageError extends Error {}

/** A refusal from the server (or the services): its error code, message and document paths. */
export class SyncFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details: { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

export type SyncAnswer = {
  status: 'created' | 'updated' | 'unchanged';
  courseId: string | null;
  changes: Changes;
};

export type Target = {
  /** Describes the target for messages (`http://…` or `school sch_…`). */
  readonly label: string;
  sync(externalId: string, document: CourseDocumentInput, dryRun: boolean): Promise<SyncAnswer>;
  /** The id of a course given by id or externalId, or undefined. */
  findCourse(idOrExternalId: string): Promise<string | undefined>;
  exportCourse(courseId: string): Promise<ExportedCourse>;
  close(): Promise<void>;
};

export type TargetFlags = { school?: string | undefined; url?: string | undefined; key?: string | undefined };

const COURSE_ID = /^crs_[0-9A-Za-z]{20,40}$/;

/** The status a sync answer stands for, from its changes (the HTTP answer carries only those). */
function statusOf(changes: Changes): SyncAnswer['status'] {
  if (changes.created.externalIds.course.length > 0) return 'created';
  const changed = changes.created.count + changes.updated.count + changes.deleted.count;
  return changed > 0 ? 'updated' : 'unchanged';
}

/**
 * Picks the target from the flags, then the environment (a usage error when neither or both),
 * and returns what opens it: checked before any file is read, opened only when needed.
 */
export function targetFrom(flags: TargetFlags, env: NodeJS.ProcessEnv = process.env): () => Promise<Target> {
  if (flags.school !== undefined) {
    if (flags.url !== undefined || flags.key !== undefined)
      throw new UsageError('Give --school (the database directly) or --url and --key (a running server), not both.');
    const schoolId = flags.school;
    return () => serviceTarget(schoolId);
  }
  const url = flags.url ?? env.SYLLABUS_URL;
  const key = flags.key ?? env.SYLLABUS_API_KEY;
  if (!url || !key)
    throw new UsageError(
      'Say where to sync: --url URL --key KEY (or SYLLABUS_URL and SYLLABUS_API_KEY) for a running server, or --school SCHOOL_ID for the database directly.',
    );
  let base: URL;
  try {
    base = new URL(url);
  } catch {
    throw new UsageError(`--url must be the server's address, such as http://localhost:3000 (got '${url}').`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:')
    throw new UsageError(`--url must be an http(s) address (got '${url}').`);
  const target = httpTarget(base.href.replace(/\/+$/, ''), key);
  return async () => target;
}

function httpTarget(base: string, key: string): Target {
  const request = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    let res: Response;
    try {
      res = await fetch(`${base}/api/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new Error(`Cannot reach ${base}: ${cause?.code ?? cause?.message ?? (e as Error).message}.`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      throw new Error(`${base} answered ${res.status} with something that is not JSON; is it a Syllabus server?`);
    }
    if (!res.ok) {
      const err = (json ?? {}) as { error?: string; message?: string; details?: { path: string; message: string }[] };
      throw new SyncFailure(err.error ?? `http_${res.status}`, err.message ?? `HTTP ${res.status}`, err.details ?? []);
    }
    return json;
  };
  return {
    label: base,
    async sync(externalId, document, dryRun) {
      const path = `/courses/by-external-id/${encodeURIComponent(externalId)}${dryRun ? '?dryRun=true' : ''}`;
      const answer = (await request('PUT', path, document)) as { course: { id: string } | null; changes: Changes };
      return { status: statusOf(answer.changes), courseId: answer.course?.id ?? null, changes: answer.changes };
    },
    async findCourse(idOrExternalId) {
      if (COURSE_ID.test(idOrExternalId)) {
        try {
          await request('GET', `/courses/${encodeURIComponent(idOrExternalId)}?fields[courses]=id`);
          return idOrExternalId;
        } catch (e) {
          if (!(e instanceof SyncFailure && e.code === 'not_found')) throw e;
        }
      }
      const list = (await request(
        'GET',
        `/courses?externalId=${encodeURIComponent(idOrExternalId)}&status=all&fields[courses]=id`,
      )) as { data: { id: string }[] };
      return list.data[0]?.id;
    },
    async exportCourse(courseId) {
      return (await request('GET', `/courses/${encodeURIComponent(courseId)}/export`)) as ExportedCourse;
    },
    async close() {},
  };
}

async function serviceTarget(schoolId: string): Promise<Target> {
  const config = loadConfig();
  const [{ openDatabase, createServices }, { CourseDocumentSchema }] = await Promise.all([
    loadServices(),
    import('../modules/courses/sync.schemas.js'),
  ]);
  const database = await openDatabase(config, 'cli');
  const services = createServices(database, config);
  const failure = (e: unknown): never => {
    if (e instanceof AppError) throw new SyncFailure(e.code, e.message, e.details ?? []);
    throw e;
  };
  try {
    await services.schools.get(schoolId); // "School not found." before anything else
  } catch (e) {
    await database.shutdown();
    failure(e);
  }
  // findCourse by id exports the course to see that it is there; exportCourse then reuses it.
  let exported: { id: string; doc: ExportedCourse } | undefined;
  return {
    label: `school ${schoolId}`,
    async sync(externalId, document, dryRun) {
      const parsed = CourseDocumentSchema.safeParse(document);
      if (!parsed.success)
        throw new SyncFailure(
          'validation_error',
          'The document is not valid.',
          parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
        );
      const result = await services.courseSync.sync(schoolId, externalId, parsed.data, { dryRun }).catch(failure);
      return { status: result.status, courseId: result.course?.id ?? null, changes: result.changes };
    },
    async findCourse(idOrExternalId) {
      if (COURSE_ID.test(idOrExternalId)) {
        try {
          exported = { id: idOrExternalId, doc: await services.courseSync.export(schoolId, idOrExternalId) };
          return idOrExternalId;
        } catch (e) {
          if (!(e instanceof AppError && e.code === 'not_found')) throw e;
        }
      }
      return services.courseSync.findIdByExternalId(schoolId, idOrExternalId);
    },
    async exportCourse(courseId) {
      if (exported?.id === courseId) return exported.doc;
      return services.courseSync.export(schoolId, courseId).catch(failure);
    },
    async close() {
      await database.shutdown();
    },
  };
}
