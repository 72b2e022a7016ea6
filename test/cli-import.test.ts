/**
 * `syllabus import` and `syllabus export` as real processes: over HTTP against a listening test
 * server (--url/--key, or SYLLABUS_URL/SYLLABUS_API_KEY) and directly on the test database
 * (--school). Stored state is checked through the API after each command.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ENTRY, call, createKey, createSchool, listen, ROOT, setupApp, type TestContext } from './helpers.js';

const exec = promisify(execFile);
// Each command is a Node process loading the app (several seconds on 2 shared cores): generous timeouts.
const EXAMPLE = path.join(ROOT, 'examples/courses/git-for-writers.md');

let ctx: TestContext;
let base = '';
let schoolA: Awaited<ReturnType<typeof createSchool>>;
let schoolB: Awaited<ReturnType<typeof createSchool>>;
let dir = '';

beforeAll(async () => {
  ctx = await setupApp();
  base = await listen(ctx.app);
  schoolA = await createSchool(ctx);
  schoolB = await createSchool(ctx);
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'syllabus-import-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

type Run = { code: number; stdout: string; stderr: string };

/** Runs the CLI; never throws on a non-zero exit. --school runs use the test database. */
async function cli(args: string[], extraEnv: Record<string, string> = {}): Promise<Run> {
  const { SYLLABUS_URL: _u, SYLLABUS_API_KEY: _k, TEST_DATABASE_URL: _t, ...rest } = process.env;
  const env = { ...rest, DATABASE_URL: ctx.dbUrl, DATA_DIR: dir, LOG_LEVEL: 'warn', ...extraEnv };
  try {
    const { stdout, stderr } = await exec(process.execPath, [CLI_ENTRY, ...args], {
      cwd: ROOT,
      env,
      timeout: 90_000,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    if (typeof err.code !== 'number') throw e;
    return { code: err.code, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

const http = () => ['--url', base, '--key', schoolA.key];

async function courseByExternalId(key: string, externalId: string) {
  const list = await call(ctx.app, 'GET', `/api/v1/courses?externalId=${encodeURIComponent(externalId)}`, { key });
  const id = (list.json() as { data: { id: string }[] }).data[0]?.id;
  if (!id) return undefined;
  const res = await call(ctx.app, 'GET', `/api/v1/courses/${id}?include=lessons.content,paymentPlans`, { key });
  expect(res.statusCode).toBe(200);
  return res.json() as {
    id: string;
    title: string;
    status: string;
    isFree: boolean;
    updatedAt: string;
    sections: {
      externalId: string;
      title: string;
      status: string;
      lessons: { externalId: string; type: string; content: unknown }[];
    }[];
  };
}

async function write(name: string, text: string) {
  const file = path.join(dir, name);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, text);
  return file;
}

const small = (externalId: string, extra = '') =>
  `---\ntitle: Small ${externalId}\nexternalId: ${externalId}\nstatus: draft\n---\n\n## Only section\n\n### Only lesson\n\nHello.\n${extra}`;

describe('syllabus import over HTTP', { timeout: 240_000 }, () => {
  it('imports the example course, and a second import changes nothing', async () => {
    const first = await cli(['import', EXAMPLE, ...http()]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('course git-for-writers');
    expect(first.stdout).toMatch(/created\n {2}created: 1 course, 2 sections, 4 lessons, 1 payment plan\n/);
    expect(first.stdout).toContain('    + git-for-writers/getting-started/check-your-understanding\n');

    const course = await courseByExternalId(schoolA.key, 'git-for-writers');
    expect(course).toMatchObject({ title: 'Git for Writers', status: 'published', isFree: true });
    expect(course?.sections.map((s) => [s.externalId, s.status])).toEqual([
      ['git-for-writers/getting-started', 'published'],
      ['git-for-writers/working-with-an-editor', 'draft'],
    ]);
    const quiz = course?.sections[0]?.lessons[2];
    expect(quiz).toMatchObject({ type: 'quiz', content: { passingScore: 50 } });
    expect(course?.sections[0]?.lessons.map((l) => l.type)).toEqual(['video', 'text', 'quiz']);

    // Again, with the environment standing for the flags, and machine output.
    const second = await cli(['import', EXAMPLE, '--json'], { SYLLABUS_URL: base, SYLLABUS_API_KEY: schoolA.key });
    expect(second.code).toBe(0);
    const out = JSON.parse(second.stdout);
    expect(out).toEqual({
      dryRun: false,
      ok: true,
      files: [
        {
          file: EXAMPLE,
          externalId: 'git-for-writers',
          status: 'unchanged',
          courseId: course?.id,
          changes: {
            created: { count: 0, externalIds: { course: [], sections: [], lessons: [], paymentPlans: [] } },
            updated: { count: 0, externalIds: { course: [], sections: [], lessons: [], paymentPlans: [] } },
            deleted: { count: 0, externalIds: { course: [], sections: [], lessons: [], paymentPlans: [] } },
            unchanged: {
              count: 8,
              externalIds: {
                course: ['git-for-writers'],
                sections: ['git-for-writers/getting-started', 'git-for-writers/working-with-an-editor'],
                lessons: [
                  'git-for-writers/getting-started/why-git',
                  'git-for-writers/getting-started/your-first-repository',
                  'git-for-writers/getting-started/check-your-understanding',
                  'git-for-writers/working-with-an-editor/branches-for-revisions',
                ],
                paymentPlans: ['free'],
              },
            },
          },
        },
      ],
    });
    expect((await courseByExternalId(schoolA.key, 'git-for-writers'))?.updatedAt).toBe(course?.updatedAt);
  });

  it('--dry-run prints the changes and writes nothing; the real run then makes them', async () => {
    const before = await courseByExternalId(schoolA.key, 'git-for-writers');
    const changed = (await fs.readFile(EXAMPLE, 'utf8'))
      .replace('passingScore: 50', 'passingScore: 80')
      .replace('### Branches for revisions', '### Branches for each revision');
    const file = await write('changed/git-for-writers.md', changed);

    const dry = await cli(['import', file, '--dry-run', ...http()]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('would be updated');
    expect(dry.stdout).toContain(
      '  created: 1 lesson\n    + git-for-writers/working-with-an-editor/branches-for-each-revision\n',
    );
    expect(dry.stdout).toContain(
      '  updated: 1 lesson\n    ~ git-for-writers/getting-started/check-your-understanding\n',
    );
    expect(dry.stdout).toContain(
      '  deleted: 1 lesson\n    - git-for-writers/working-with-an-editor/branches-for-revisions\n',
    );
    expect(dry.stdout).toContain('note: lessons are deleted and others created');
    expect(dry.stdout).toContain('Dry run: nothing was written.');
    expect(await courseByExternalId(schoolA.key, 'git-for-writers')).toEqual(before);

    const real = await cli(['import', file, ...http(), '--json']);
    expect(real.code).toBe(0);
    const result = JSON.parse(real.stdout).files[0];
    expect(result.status).toBe('updated');
    expect(result.changes.updated.externalIds.lessons).toEqual([
      'git-for-writers/getting-started/check-your-understanding',
    ]);
    const after = await courseByExternalId(schoolA.key, 'git-for-writers');
    expect(after?.sections[0]?.lessons[2]?.content).toMatchObject({ passingScore: 80 });
    expect(after?.sections[1]?.lessons.map((l) => l.externalId)).toEqual([
      'git-for-writers/working-with-an-editor/branches-for-each-revision',
    ]);
    // Back to the example for the export test.
    expect((await cli(['import', EXAMPLE, ...http()])).code).toBe(0);
  });

  it('a bad file: exit 1, its file and line, and nothing of the folder is written', async () => {
    await write('bad-folder/a-good.md', small('good-one'));
    await write(
      'bad-folder/b-bad.md',
      small('bad-one', '\n### Quiz\n\n<!-- syllabus\ntype: quiz\n-->\n\n1. Q?\n   - [x] yes\n   - no\n'),
    );
    await write('bad-folder/README.md', 'Not a course: left out.\n');
    const run = await cli(['import', path.join(dir, 'bad-folder'), ...http()]);
    expect(run.code).toBe(1);
    const bad = path.join(dir, 'bad-folder/b-bad.md');
    expect(run.stderr).toContain(`${bad}:13: A quiz lesson needs \`passingScore:\``);
    expect(run.stderr).toContain(`${bad}:21: An option is one line`);
    expect(run.stderr).toContain('a-good.md: not imported (another file has problems)');
    expect(run.stderr).toContain('Nothing was imported');
    expect(run.stderr).not.toContain('README');
    expect(await courseByExternalId(schoolA.key, 'good-one')).toBeUndefined();
    expect(await courseByExternalId(schoolA.key, 'bad-one')).toBeUndefined();

    const json = await cli(['import', path.join(dir, 'bad-folder'), ...http(), '--json']);
    expect(json.code).toBe(1);
    const out = JSON.parse(json.stdout);
    expect(out.ok).toBe(false);
    expect(out.files.map((f: { status: string }) => f.status)).toEqual(['skipped', 'failed']);
    expect(out.files[1].error.problems).toEqual([
      { line: 13, message: 'A quiz lesson needs `passingScore:` (0–100) in its fields block.' },
      { line: 21, message: expect.stringContaining("An option is one line '- [x] text'") },
    ]);
  });

  it('a file the server refuses: its error on the line it comes from; the other files still import', async () => {
    await write('refused/a.md', small('refused-a'));
    await write(
      'refused/b.md',
      small('refused-b', '\n### Video\n\n<!-- syllabus\ntype: video\nvideoUrl: https://example.com/not-a-video\n-->\n'),
    );
    const run = await cli(['import', path.join(dir, 'refused'), ...http()]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `${path.join(dir, 'refused/b.md')}:17: section 1, lesson 2: videoUrl: Not a YouTube, Vimeo or direct video`,
    );
    expect(run.stderr).toContain('2 files: 1 created, 0 updated, 0 unchanged, 1 failed.');
    expect(await courseByExternalId(schoolA.key, 'refused-a')).toBeDefined();
    expect(await courseByExternalId(schoolA.key, 'refused-b')).toBeUndefined();
  });

  it('a key that may not write: the refusal names the scope, and nothing is written', async () => {
    const reader = await createKey(ctx, schoolA.id, ['courses:read']);
    const file = await write('scoped.md', small('scoped-course'));
    const run = await cli(['import', file, '--url', base, '--key', reader.key]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`${file}: scope: Requires 'courses:write'.\n`); // no line: it is about the key
    expect(run.stderr).toContain('courses:write');
    expect(await courseByExternalId(schoolA.key, 'scoped-course')).toBeUndefined();
  });

  it('usage errors exit 2', async () => {
    expect((await cli(['import', EXAMPLE])).code).toBe(2);
    const both = await cli(['import', EXAMPLE, '--school', schoolA.id, ...http()]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('not both');
    const missing = await cli(['import', path.join(dir, 'nope.md'), ...http()]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('No such file or folder');
    expect((await cli(['export', 'x', '--format', 'pdf', ...http()])).code).toBe(2);
  });
});

describe('syllabus import with --school (the database directly)', { timeout: 240_000 }, () => {
  it('imports a folder into that school only; the same external id in another school is its own course', async () => {
    await write('school-folder/one.md', small('folder-one'));
    await write('school-folder/nested/two.md', small('folder-two'));
    await fs.copyFile(EXAMPLE, path.join(dir, 'school-folder/git.md'));
    const run = await cli(['import', path.join(dir, 'school-folder'), '--school', schoolB.id, '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.files.map((f: { file: string; status: string }) => [path.relative(dir, f.file), f.status])).toEqual([
      ['school-folder/git.md', 'created'],
      ['school-folder/nested/two.md', 'created'],
      ['school-folder/one.md', 'created'],
    ]);
    const bCourse = await courseByExternalId(schoolB.key, 'git-for-writers');
    const aCourse = await courseByExternalId(schoolA.key, 'git-for-writers');
    expect(bCourse?.id).toBeDefined();
    expect(bCourse?.id).not.toBe(aCourse?.id);
    expect(await courseByExternalId(schoolA.key, 'folder-one')).toBeUndefined();
    expect(await courseByExternalId(schoolB.key, 'folder-two')).toMatchObject({ title: 'Small folder-two' });

    const again = await cli(['import', path.join(dir, 'school-folder'), '--school', schoolB.id]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('3 files: 0 created, 0 updated, 3 unchanged, 0 failed.');

    const dry = await cli(['import', path.join(dir, 'school-folder/one.md'), '--school', schoolB.id, '--dry-run']);
    expect(dry.stdout).toContain('has no changes');

    const unknown = await cli(['import', EXAMPLE, '--school', 'sch_00000000000000000000000000']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('School not found');
  });
});

describe('syllabus export', { timeout: 240_000 }, () => {
  it('Markdown export of an imported course is the file itself, and imports with no changes', async () => {
    const out = path.join(dir, 'exported.md');
    const run = await cli(['export', 'git-for-writers', '--format', 'md', '--out', out, ...http()]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Wrote ${out}`);
    expect(await fs.readFile(out, 'utf8')).toBe(await fs.readFile(EXAMPLE, 'utf8'));
    const again = await cli(['import', out, ...http()]);
    expect(again.stdout).toContain('unchanged: no changes');

    // By id, on the database directly, to stdout.
    const course = await courseByExternalId(schoolB.key, 'git-for-writers');
    const byId = await cli(['export', course?.id as string, '--school', schoolB.id]);
    expect(byId.code).toBe(0);
    expect(byId.stdout).toBe(await fs.readFile(EXAMPLE, 'utf8'));
  });

  it('a course made through the API exports and imports back with no changes, in Markdown and in JSON', async () => {
    const created = await call(ctx.app, 'POST', '/api/v1/courses', {
      key: schoolA.key,
      body: {
        title: 'Made by API',
        externalId: 'api-made',
        description: '<p>Some <strong>HTML</strong> and  two  spaces</p>',
        price: 1500,
        sections: [
          {
            title: 'Week 1',
            lessons: [
              { title: 'Read', contentMarkdown: '# Heading\n\nText with a [link](https://example.com).' },
              { title: 'Watch', videoUrl: 'https://youtu.be/dQw4w9WgXcQ', status: 'draft' },
              {
                title: 'Test',
                type: 'quiz',
                content: {
                  passingScore: 70,
                  questions: [
                    {
                      text: 'Yes?',
                      options: [
                        { text: 'Yes', correct: true },
                        { text: 'No', correct: false },
                      ],
                    },
                  ],
                },
              },
            ],
          },
        ],
      },
    });
    expect(created.statusCode).toBe(201);

    const md = await cli(['export', 'api-made', ...http()]);
    expect(md.code).toBe(0);
    // Children without external ids are matched by title (externalId: null).
    expect(md.stdout).toContain('## Week 1\n\n<!-- syllabus\nexternalId: null\n-->');
    expect(md.stdout).toContain('price: 1500');
    expect(md.stdout).toContain('#### Heading\n\nText with a [link](https://example.com).');
    const mdFile = await write('api-made.md', md.stdout);
    const mdImport = await cli(['import', mdFile, ...http(), '--json']);
    expect(mdImport.code).toBe(0);
    expect(JSON.parse(mdImport.stdout).files[0].status).toBe('unchanged');

    const json = await cli(['export', 'api-made', '--format', 'json', ...http()]);
    const exported = await call(ctx.app, 'GET', `/api/v1/courses/${created.json().id}/export`, { key: schoolA.key });
    expect(JSON.parse(json.stdout)).toEqual(exported.json());
    const jsonFile = await write('api-made.json', json.stdout);
    const jsonImport = await cli(['import', jsonFile, ...http(), '--json']);
    expect(JSON.parse(jsonImport.stdout).files[0].status).toBe('unchanged');
  });

  it('another school cannot export the course; an unknown course is a clear error', async () => {
    const course = await courseByExternalId(schoolA.key, 'api-made');
    const other = await cli(['export', course?.id as string, '--url', base, '--key', schoolB.key]);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain(`No course with the id or externalId '${course?.id}'`);
    const json = await cli(['export', 'no-such-course', ...http(), '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({ error: 'failed', message: expect.stringContaining('No course') });
  });
});

describe('errors other than refusals are reported per file', { timeout: 240_000 }, () => {
  it('a YAML alias bomb is a problem of its file, with its line; the other files are still reported', async () => {
    const folder = path.join(dir, 'alias-bomb');
    const aliases = '  - *a\n'.repeat(150);
    await write(
      'alias-bomb/a-bomb.md',
      `---\ntitle: Bomb\nexternalId: bomb\nx: &a [1, 2]\nlist:\n${aliases}\n---\n\n## S\n`,
    );
    await write('alias-bomb/b-fine.md', small('ALIAS-FINE'));
    const { runImport } = await import('../src/cli/import.js');
    const out = await runImport(folder, {
      dryRun: true,
      json: true,
      open: async () => {
        throw new Error('not reached: a file has problems');
      },
    });
    expect(out.exitCode).toBe(1);
    const files = (out.json as { files: { file: string; status: string; error?: { message: string } }[] }).files;
    expect(files.map((f) => [path.basename(f.file), f.status])).toEqual([
      ['a-bomb.md', 'failed'],
      ['b-fine.md', 'skipped'],
    ]);
    expect(files[0]!.error!.message).toMatch(/a-bomb\.md:2: .*alias/i);
  });

  it('a network error midway through a folder fails that file only; the report goes on', async () => {
    const folder = path.join(dir, 'network');
    await write('network/one.md', small('NET-1'));
    await write('network/two.md', small('NET-2'));
    await write('network/three.md', small('NET-3'));
    const { runImport } = await import('../src/cli/import.js');
    const changes = () => {
      const set = () => ({ count: 0, externalIds: { course: [], sections: [], lessons: [], paymentPlans: [] } });
      return { created: set(), updated: set(), deleted: set(), unchanged: set() };
    };
    const synced: string[] = [];
    const out = await runImport(folder, {
      dryRun: false,
      json: false,
      open: async () => ({
        label: 'fake',
        async sync(externalId) {
          if (externalId === 'NET-2')
            throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:1') });
          synced.push(externalId);
          return { status: 'unchanged', courseId: null, changes: changes() };
        },
        findCourse: async () => undefined,
        exportCourse: async () => {
          throw new Error('unused');
        },
        close: async () => {},
      }),
    });
    expect(out.exitCode).toBe(1);
    expect(synced.sort()).toEqual(['NET-1', 'NET-3']);
    expect(out.text).toContain(`${path.join(folder, 'two.md')}: fetch failed (connect ECONNREFUSED 127.0.0.1:1)`);
    expect(out.text).toContain('3 files: 0 created, 0 updated, 2 unchanged, 1 failed.');
  });
});
