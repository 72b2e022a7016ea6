/**
 * `syllabus import <file.md|file.json|folder>`: each Markdown course file (or JSON document, as
 * `syllabus export --format json` writes it) through the declarative sync.
 *
 * Every file is read and checked first; if any file has a problem, nothing is synced at all (the
 * problems are listed with file and line). Then each file is synced in its own transaction, one
 * after the other: a file the server refuses writes nothing and is reported, the others still go
 * (a folder is a set of independent courses), and the exit code is 1.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { SingleBar } from 'cli-progress';
import {
  describePath,
  MarkdownCourseError,
  type ParsedMarkdownCourse,
  readMarkdownCourse,
} from '../modules/courses/markdown-course.js';
import { type Changes, type CourseDocumentInput, CourseDocumentSchema } from '../modules/courses/sync.schemas.js';
import { type SyncAnswer, SyncFailure, type Target, UsageError } from './target.js';

/** Larger files are refused before they are read (a course of 1,000 lessons of 200 KB is far less). */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

type Synced = { file: string; externalId: string } & SyncAnswer;
type NotSynced = {
  file: string;
  externalId: string | null;
  status: 'failed' | 'skipped';
  error?: { code: string; message: string; problems: { line: number; message: string }[] };
};
export type FileResult = Synced | NotSynced;
const synced = (r: FileResult): r is Synced => r.status !== 'failed' && r.status !== 'skipped';

export type ImportOutput = { json: unknown; text: string; exitCode: number };

/**
 * The .md files of a folder (recursively, sorted; README.md, dot folders and node_modules left
 * out), or the one file (.md, or .json for a JSON document).
 */
export async function courseFiles(target: string): Promise<string[]> {
  let stat: Awaited<ReturnType<typeof fs.stat>>;
  try {
    stat = await fs.stat(target);
  } catch {
    throw new UsageError(`No such file or folder: ${target}`);
  }
  if (stat.isFile()) return [target];
  const entries = await fs.readdir(target, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile() && /\.md$/i.test(e.name) && e.name.toLowerCase() !== 'readme.md')
    .map((e) => path.join(e.parentPath, e.name))
    .filter(
      (f) =>
        !path
          .relative(target, f)
          .split(path.sep)
          .some((part) => part.startsWith('.') || part === 'node_modules'),
    )
    .sort();
  if (files.length === 0) throw new UsageError(`No .md course files in ${target}.`);
  return files;
}

type Parsed = { file: string; course: ParsedMarkdownCourse; externalId: string };

async function readAll(files: string[]): Promise<{ parsed: Parsed[]; failed: FileResult[] }> {
  const parsed: Parsed[] = [];
  const failed: FileResult[] = [];
  const byExternalId = new Map<string, string>();
  for (const file of files) {
    const fail = (problems: { line: number; message: string }[], code = 'invalid_file') =>
      failed.push({
        file,
        externalId: null,
        status: 'failed',
        error: { code, message: problems.map((p) => `${at(file, p.line)}: ${p.message}`).join('\n'), problems },
      });
    const size = (await fs.stat(file)).size;
    if (size > MAX_FILE_BYTES) {
      fail([{ line: 1, message: `The file is larger than ${MAX_FILE_BYTES / 1024 / 1024} MB.` }], 'too_large');
      continue;
    }
    try {
      const text = await fs.readFile(file, 'utf8');
      const course = /\.json$/i.test(file) ? readJsonCourse(text, file) : readMarkdownCourse(text, { fileName: file });
      const externalId = course.document.externalId as string;
      const other = byExternalId.get(externalId);
      if (other) {
        fail([{ line: course.lineOf('externalId'), message: `The course '${externalId}' is also in ${other}.` }]);
        continue;
      }
      byExternalId.set(externalId, file);
      parsed.push({ file, course, externalId });
    } catch (e) {
      // Anything else (an unreadable file, an error of a library) fails this file, not the run.
      if (e instanceof MarkdownCourseError) fail(e.problems);
      else fail([{ line: 0, message: errorText(e) }], 'unreadable_file');
    }
  }
  return { parsed, failed };
}

/** `file:line`, or the file alone where there is no line (JSON documents). */
const at = (file: string, line: number) => (line > 0 ? `${file}:${line}` : file);

/**
 * A JSON course document (as `syllabus export --format json` writes it), checked like a Markdown
 * file; its problems name document paths (line 0: none).
 */
function readJsonCourse(text: string, file: string): ParsedMarkdownCourse {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (e) {
    throw new MarkdownCourseError(file, [{ line: 0, message: `Not JSON: ${(e as Error).message}` }]);
  }
  const checked = CourseDocumentSchema.safeParse(document);
  const problems = checked.success
    ? []
    : checked.error.issues.map((i) => {
        const p = i.path.map(String).join('.');
        return { line: 0, message: `${describePath(p)}: ${i.message}` };
      });
  const externalId = (document as { externalId?: unknown } | null)?.externalId;
  if (typeof externalId !== 'string' || externalId.trim() === '')
    problems.push({ line: 0, message: 'The document needs an externalId: the course is synced by it.' });
  if (problems.length) throw new MarkdownCourseError(file, problems);
  return { document: document as CourseDocumentInput, lineOf: () => 0 };
}

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e)) || 'Unknown error.';

/**
 * A refusal, its details placed on the lines they come from; any other error (the server went
 * away, a network error) fails this file with its message, and the run goes on reporting.
 */
function failureOf(p: Parsed, e: unknown): FileResult {
  if (!(e instanceof SyncFailure)) {
    const cause = e instanceof Error && e.cause instanceof Error ? ` (${e.cause.message})` : '';
    const message = `${p.file}: ${errorText(e)}${cause}`;
    return {
      file: p.file,
      externalId: p.externalId,
      status: 'failed',
      error: { code: 'request_failed', message, problems: [{ line: 0, message: `${errorText(e)}${cause}` }] },
    };
  }
  const problems = e.details.length
    ? e.details.map((d) => ({
        line: p.course.lineOf(d.path),
        message: d.path ? `${describePath(d.path)}: ${d.message}` : d.message,
      }))
    : [{ line: 0, message: e.message }];
  const message = problems.map((x) => `${at(p.file, x.line)}: ${x.message}`).join('\n');
  return { file: p.file, externalId: p.externalId, status: 'failed', error: { code: e.code, message, problems } };
}

export async function runImport(
  target: string,
  options: { dryRun: boolean; json: boolean; open: () => Promise<Target>; progress?: boolean },
): Promise<ImportOutput> {
  const files = await courseFiles(target);
  const { parsed, failed } = await readAll(files);
  const results: FileResult[] = [];

  if (failed.length > 0) {
    // Nothing is synced while any file has a problem.
    for (const file of files) {
      const bad = failed.find((f) => f.file === file);
      const ok = parsed.find((p) => p.file === file);
      results.push(bad ?? { file, externalId: ok?.externalId ?? null, status: 'skipped' });
    }
    return output(results, options.dryRun, files.length > 1);
  }

  const destination = await options.open();
  const bar =
    options.progress && parsed.length > 1 && !options.json
      ? new SingleBar({ format: 'Importing [{bar}] {value}/{total} {file}', hideCursor: true, clearOnComplete: true })
      : undefined;
  try {
    bar?.start(parsed.length, 0, { file: '' });
    for (const p of parsed) {
      bar?.update({ file: p.file });
      try {
        const answer = await destination.sync(p.externalId, p.course.document, options.dryRun);
        results.push({ file: p.file, externalId: p.externalId, ...answer });
      } catch (e) {
        results.push(failureOf(p, e));
      }
      bar?.increment();
    }
  } finally {
    bar?.stop();
    await destination.close();
  }
  return output(results, options.dryRun, false);
}

const KINDS = [
  ['course', 'course', 'courses'],
  ['sections', 'section', 'sections'],
  ['lessons', 'lesson', 'lessons'],
  ['paymentPlans', 'payment plan', 'payment plans'],
] as const;
const SIGN = { created: '+', updated: '~', deleted: '-' } as const;

function counts(set: Changes['created']): string {
  return KINDS.map(([kind, one, many]) => {
    const n = set.externalIds[kind].length;
    return n ? `${n} ${n === 1 ? one : many}` : '';
  })
    .filter(Boolean)
    .join(', ');
}

function describe(result: FileResult, dryRun: boolean): string[] {
  if (!synced(result))
    return result.status === 'failed'
      ? [(result.error?.message ?? `${result.file}: failed`).trimEnd()]
      : [`${result.file}: not imported (another file has problems)`];
  const id = result.courseId ? ` (${result.courseId})` : '';
  const verb = dryRun
    ? { created: 'would be created', updated: 'would be updated', unchanged: 'has no changes' }[result.status]
    : { created: 'created', updated: 'updated', unchanged: 'unchanged: no changes' }[result.status];
  const lines = [`${result.file}: course ${result.externalId}${id} ${verb}`];
  for (const outcome of ['created', 'updated', 'deleted'] as const) {
    const set = result.changes[outcome];
    if (set.count === 0) continue;
    lines.push(`  ${outcome}: ${counts(set)}`);
    for (const [kind] of KINDS) for (const key of set.externalIds[kind]) lines.push(`    ${SIGN[outcome]} ${key}`);
  }
  if (result.status !== 'unchanged' && result.changes.unchanged.count > 0)
    lines.push(`  unchanged: ${counts(result.changes.unchanged)}`);
  const { created, deleted } = result.changes;
  if (created.externalIds.lessons.length > 0 && deleted.externalIds.lessons.length > 0)
    lines.push(
      '  note: lessons are deleted and others created. A lesson whose title or section changed gets a new derived external id, and a new lesson loses its learners’ progress; to keep one, write its old id as `externalId:` in its fields block.',
    );
  return lines;
}

function output(results: FileResult[], dryRun: boolean, stoppedEarly: boolean): ImportOutput {
  const failedCount = results.filter((r) => r.status === 'failed').length;
  const ok = failedCount === 0 && results.every((r) => r.status !== 'skipped');
  const text: string[] = results.flatMap((r) => describe(r, dryRun));
  if (results.length > 1) {
    const tally = (s: string) => results.filter((r) => r.status === s).length;
    text.push(
      `${results.length} files: ${tally('created')} created, ${tally('updated')} updated, ${tally('unchanged')} unchanged, ${failedCount} failed${tally('skipped') ? `, ${tally('skipped')} not imported` : ''}.`,
    );
  }
  if (stoppedEarly) text.push('Nothing was imported: fix the files above and run the import again.');
  else if (dryRun) text.push('Dry run: nothing was written.');
  return { json: { dryRun, ok, files: results }, text: text.join('\n'), exitCode: ok ? 0 : 1 };
}
