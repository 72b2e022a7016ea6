/**
 * Markdown courses (docs/markdown-courses.md): every construct the parser reads, every problem it
 * reports with its line, headings that are not structure, and render ⇄ parse round trips (the
 * renderer's fallbacks to data included, and rich text through the server's own conversion).
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseMarkdown } from '../src/lib/richtext.js';
import { richTextCodec, richTextToMarkdown } from '../src/lib/richtext-markdown.js';
import {
  describePath,
  idSlug,
  MarkdownCourseError,
  parseMarkdownCourse,
  readMarkdownCourse,
  renderMarkdownCourse,
} from '../src/modules/courses/markdown-course.js';
import { CourseDocumentSchema } from '../src/modules/courses/sync.schemas.js';

const EXAMPLE = path.resolve(import.meta.dirname, '../examples/courses/git-for-writers.md');
const example = fs.readFileSync(EXAMPLE, 'utf8');

/** A course file: front matter lines, then the body. */
const course = (body: string, front = 'title: T\nexternalId: t') => `---\n${front}\n---\n${body}`;

/** The problems a file has, as `line: message` strings. */
function problems(text: string, fileName = 'c.md'): string[] {
  try {
    parseMarkdownCourse(text, { fileName });
  } catch (e) {
    expect(e).toBeInstanceOf(MarkdownCourseError);
    const err = e as MarkdownCourseError;
    // The message names the file and line of each problem.
    for (const p of err.problems) expect(err.message).toContain(`${fileName}:${p.line}: ${p.message}`);
    return err.problems.map((p) => `${p.line}: ${p.message}`);
  }
  throw new Error('expected the file to be refused');
}

describe('the example course', () => {
  it('parses into the document sync takes', () => {
    const doc = parseMarkdownCourse(example, { fileName: EXAMPLE });
    expect(CourseDocumentSchema.safeParse(doc).success).toBe(true);
    expect(doc).toMatchObject({
      title: 'Git for Writers',
      externalId: 'git-for-writers',
      slug: 'git-for-writers',
      status: 'published',
      level: 'beginner',
      tags: ['git', 'writing'],
      authors: ['Ada Example'],
      paymentPlans: [{ name: 'Free', type: 'free', amount: 0 }],
      unsectionedLessons: [],
    });
    // Body headings #### are level 1 of the text.
    expect(doc.descriptionMarkdown).toContain('\n# What you need\n');
    expect(doc.descriptionMarkdown?.startsWith('Writers lose work')).toBe(true);
    const [first, second] = doc.sections ?? [];
    expect(first).toMatchObject({
      externalId: 'git-for-writers/getting-started',
      title: 'Getting started',
      descriptionMarkdown: 'Why version control helps writers, and your first repository.',
    });
    expect(first?.lessons?.map((l) => [l.externalId, l.type])).toEqual([
      ['git-for-writers/getting-started/why-git', 'video'],
      ['git-for-writers/getting-started/your-first-repository', undefined],
      ['git-for-writers/getting-started/check-your-understanding', 'quiz'],
    ]);
    expect(first?.lessons?.[0]).toMatchObject({
      videoUrl: 'https://www.youtube.com/watch?v=dQw4w9WgXcQ',
      duration: 300,
      isPreview: true,
      contentMarkdown: 'A five-minute tour: what a *commit* is, and why it beats copies of files.',
    });
    // The ## inside the fenced example stays in the lesson: it starts no section.
    expect(first?.lessons?.[1]?.contentMarkdown).toContain('```markdown\n## This is not a section');
    expect(first?.lessons?.[1]?.contentMarkdown).toContain('\n# What just happened\n');
    expect(first?.lessons?.[2]?.content).toEqual({
      passingScore: 50,
      questions: [
        {
          text: 'What does `git commit` do?',
          options: [
            { text: 'Saves a version of the files you added', correct: true },
            { text: 'Uploads the files to a website', correct: false },
            { text: 'Deletes old drafts', correct: false },
          ],
        },
        {
          text: 'Which commands save a new version of `notes.md`?',
          options: [
            { text: '`git add notes.md`, then `git commit`', correct: true },
            { text: '`git init notes.md`', correct: false },
          ],
        },
      ],
    });
    expect(second).toMatchObject({ externalId: 'git-for-writers/working-with-an-editor', status: 'draft' });
    expect(doc.sections).toHaveLength(2);
  });

  it('is in the form the renderer writes (render → parse → render is stable)', () => {
    const doc = parseMarkdownCourse(example);
    expect(renderMarkdownCourse(doc)).toBe(example);
  });

  it('renders from the exported form (rich-text documents) to the same file', () => {
    // The export holds the documents the server made from the Markdown.
    type Part = Record<string, unknown> & { sections?: Part[]; lessons?: Part[] };
    const doc = structuredClone(parseMarkdownCourse(example)) as Part;
    const asExported = (o: Part) => {
      for (const [md, field] of [
        ['contentMarkdown', 'content'],
        ['descriptionMarkdown', 'description'],
      ] as const) {
        const text = o[md];
        if (typeof text === 'string') {
          o[field] = parseMarkdown(text, md);
          delete o[md];
        }
      }
    };
    asExported(doc);
    for (const s of doc.sections ?? []) {
      asExported(s);
      s.lessons?.forEach(asExported);
    }
    expect(renderMarkdownCourse(doc as never, richTextCodec)).toBe(example);
  });
});

describe('docs/markdown-courses.md', () => {
  it('its examples parse as it says', () => {
    const docs = fs.readFileSync(path.resolve(import.meta.dirname, '../docs/markdown-courses.md'), 'utf8');
    const blocks = [...docs.matchAll(/```(text|markdown)\n([\s\S]*?)```/g)].map((m) => m[2] as string);
    const [file, video, quiz, pinned] = blocks;
    expect(parseMarkdownCourse(file as string)).toMatchObject({
      title: 'Git for Writers',
      descriptionMarkdown: 'The course description.',
      sections: [{ title: 'A section', lessons: [{ title: 'A lesson', contentMarkdown: "The lesson's text." }] }],
    });
    const front = 'title: T\nexternalId: git-for-writers';
    const doc = parseMarkdownCourse(course(`## Getting started\n\n${video}\n${quiz}`, front));
    expect(doc.sections?.[0]?.lessons).toMatchObject([
      { externalId: 'git-for-writers/getting-started/why-git', type: 'video', duration: 300, isPreview: true },
      {
        type: 'quiz',
        content: { passingScore: 50, questions: [{ options: [{ correct: true }, { correct: false }] }, {}] },
      },
    ]);
    // The renamed lesson keeps the id it had.
    const renamed = parseMarkdownCourse(course(`## Getting started\n\n${pinned}`, front));
    expect(renamed.sections?.[0]?.lessons).toMatchObject([
      { title: 'Why use Git at all?', externalId: 'git-for-writers/getting-started/why-git' },
    ]);
  });
});

describe('parsing', () => {
  it('reads front matter fields, pricing shortcuts and plans', () => {
    const free = parseMarkdownCourse(course('', 'title: T\nexternalId: t\nisFree: true\nprivacy: unlisted'));
    expect(free).toEqual({
      title: 'T',
      externalId: 't',
      privacy: 'unlisted',
      paymentPlans: [{ name: 'Free', type: 'free', amount: 0 }],
      sections: [],
      unsectionedLessons: [],
    });
    const paid = parseMarkdownCourse(course('', 'title: T\nexternalId: t\nprice: 4999\ncurrency: EUR'));
    expect(paid.paymentPlans).toEqual([{ name: 'One-time payment', type: 'one_time', amount: 4999, currency: 'EUR' }]);
    const plans = parseMarkdownCourse(
      course(
        '',
        'title: T\nexternalId: t\npaymentPlans:\n  - name: Monthly\n    type: subscription\n    amount: 900\n    interval: month',
      ),
    );
    expect(plans.paymentPlans).toEqual([{ name: 'Monthly', type: 'subscription', amount: 900, interval: 'month' }]);
    // No pricing at all: no plans (the course has the plans its file gives).
    expect(parseMarkdownCourse(course('')).paymentPlans).toBeUndefined();
  });

  it('reads unsectioned lessons, sections, fields blocks and explicit or derived external ids', () => {
    const doc = parseMarkdownCourse(
      course(`Intro text.

### Welcome

Hello.

## Part One

<!-- syllabus
externalId: p1
drip:
  type: days
  days: 7
-->

Part one's description.

### First steps

<!-- syllabus
externalId: null
summary: The basics
status: draft
-->

### Second steps

<!-- syllabus
title: "Second steps: the sequel"
-->

Body of the second.
`),
    );
    expect(doc).toEqual({
      title: 'T',
      externalId: 't',
      descriptionMarkdown: 'Intro text.',
      unsectionedLessons: [{ externalId: 't/welcome', title: 'Welcome', contentMarkdown: 'Hello.' }],
      sections: [
        {
          externalId: 'p1',
          title: 'Part One',
          drip: { type: 'days', days: 7 },
          descriptionMarkdown: "Part one's description.",
          lessons: [
            // externalId: null: matched by title.
            { externalId: null, title: 'First steps', summary: 'The basics', status: 'draft' },
            // Derived from the section's own external id; the block's title wins over the heading.
            {
              externalId: 'p1/second-steps-the-sequel',
              title: 'Second steps: the sequel',
              contentMarkdown: 'Body of the second.',
            },
          ],
        },
      ],
    });
  });

  it('does not take headings in code blocks, quotes or lists as structure, and shifts body headings', () => {
    const doc = parseMarkdownCourse(
      course(`## S

### L

~~~
## not a section
### not a lesson
~~~

    ## indented code

> #### Quoted heading

- #### Listed heading

##### Two
###### Three
`),
    );
    const lesson = doc.sections?.[0]?.lessons?.[0];
    expect(doc.sections).toHaveLength(1);
    expect(doc.sections?.[0]?.lessons).toHaveLength(1);
    expect(lesson?.contentMarkdown).toBe(
      '~~~\n## not a section\n### not a lesson\n~~~\n\n    ## indented code\n\n> # Quoted heading\n\n- # Listed heading\n\n## Two\n### Three',
    );
  });

  it('reads video lessons and quizzes with several lists and multi-line texts', () => {
    const doc = parseMarkdownCourse(
      course(`### Watch

<!-- syllabus
videoUrl: https://vimeo.com/76979871
-->

### Quiz

<!-- syllabus
type: quiz
passingScore: 100
-->

- Pick the even
  number
  - [ ] 1
  - [X] 2
`),
    );
    expect(doc.unsectionedLessons?.[0]).toEqual({
      externalId: 't/watch',
      title: 'Watch',
      videoUrl: 'https://vimeo.com/76979871',
    });
    expect(doc.unsectionedLessons?.[1]?.content).toEqual({
      passingScore: 100,
      questions: [
        {
          text: 'Pick the even\nnumber',
          options: [
            { text: '1', correct: false },
            { text: '2', correct: true },
          ],
        },
      ],
    });
  });

  it('accepts CRLF line ends and a byte order mark', () => {
    const doc = parseMarkdownCourse(`\uFEFF${course('## S\r\n\r\n### L\r\n\r\nText\r\n').replace(/\n/g, '\r\n')}`);
    expect(doc.sections?.[0]?.lessons?.[0]?.contentMarkdown).toBe('Text');
  });
});

describe('problems name their line', () => {
  it('front matter', () => {
    expect(problems('# Hello\n')).toEqual([
      expect.stringMatching(/^1: A Markdown course starts with its front matter/),
    ]);
    expect(problems('---\ntitle: T\n')).toEqual(['1: The front matter has no closing --- line.']);
    expect(problems('---\ntitle: T\nexternalId: t\ntags: [a\n---\n')[0]).toMatch(/^4: Front matter: /);
    expect(problems('---\ntitle: T\n---\n')).toEqual([
      expect.stringMatching(/^2: The front matter needs `externalId:`/),
    ]);
    expect(problems('---\n- a\n---\n')).toEqual(['2: Front matter must be YAML key: value lines.']);
    expect(problems(course('', 'title: T\nexternalId: t\nlevel: expert'))).toEqual([
      expect.stringMatching(/^4: level: /),
    ]);
    expect(problems(course('', 'title: T\nexternalId: t\nprice: 10\nisFree: true'))).toEqual([
      '4: A free course has no price.',
    ]);
    expect(problems(course('', 'title: T\nexternalId: t\nprice: 0'))).toEqual([
      expect.stringMatching(/^4: price is a whole number of cents above 0/),
    ]);
    expect(problems(course('', 'title: T\nexternalId: t\nsections: []'))).toEqual([
      "4: Front matter: 'sections' comes from the ## headings.",
    ]);
    expect(problems(course('', 'title: T\nexternalId: t\nwat: 1'))).toEqual(['4: wat: unknown field.']);
  });

  it('headings that are not used, and bodies given twice', () => {
    const text = course(`# Title

## S

Text
---

### L

> ## quoted section
`);
    expect(problems(text)).toEqual([
      expect.stringMatching(/^5: Level-1 headings are not used/),
      expect.stringMatching(/^9: A heading underlined with --- is not used/),
      expect.stringMatching(/^14: A level-2 heading inside a quote or list/),
    ]);
    expect(problems(course('### L\n\n<!-- syllabus\ncontentMarkdown: x\n-->\n\nBody\n'))).toEqual([
      '8: The content is the text under the heading; it cannot also be in the fields block.',
    ]);
    expect(problems(course('Intro', 'title: T\nexternalId: t\ndescription: x'))).toEqual([
      '4: The description is the text under the front matter; it cannot also be in the front matter.',
    ]);
    expect(problems(course('###\n'))).toEqual(['5: A lesson heading needs a title.']);
  });

  it('fields blocks', () => {
    expect(problems(course('## S\n\nText\n\n<!-- syllabus\nstatus: draft\n-->\n'))).toEqual([
      "9: A '<!-- syllabus' block belongs right under a ## or ### heading.",
    ]);
    expect(problems(course('### L\n\n<!-- syllabus\nstatus: maybe\n-->\n'))).toEqual([
      expect.stringMatching(/^8: lesson 1 \(before the first section\): status: /),
    ]);
    expect(problems(course('### L\n\n<!-- syllabus\nvideoUrl: [\n-->\n'))[0]).toMatch(/^8: Lesson fields: /);
    expect(problems(course('### L\n\n<!-- syllabus\nsurprise: 1\n-->\n'))).toEqual([
      '8: lesson 1 (before the first section): surprise: unknown field.',
    ]);
    expect(problems(course('## S\n\n<!-- syllabus\nlessons: []\n-->\n'))).toEqual([
      "8: Section fields: 'lessons' come from the ### headings under the section.",
    ]);
    expect(problems(course('## S\n\n<!-- syllabus status: draft -->\n'))).toEqual([
      "7: A fields block is a line '<!-- syllabus', YAML lines, and a line '-->'.",
    ]);
  });

  it('titles in any script derive distinct ids (letters and digits kept, lowercased)', () => {
    const doc = parseMarkdownCourse(
      course(
        '## Введение\n\n### Первый урок\n\n### Второй урок\n\n## 第一章 基础\n\n### 你好\n\n## Ωμέγα 2\n\n## Café Ünïcode\n',
      ),
      { fileName: 'c.md' },
    ) as { sections: { externalId: string; lessons: { externalId: string }[] }[] };
    expect(doc.sections.map((s) => s.externalId)).toEqual([
      't/введение',
      't/第一章-基础',
      't/ωμέγα-2',
      't/cafe-unicode',
    ]);
    expect(doc.sections[0]!.lessons.map((l) => l.externalId)).toEqual([
      't/введение/первый-урок',
      't/введение/второй-урок',
    ]);
    expect(doc.sections[1]!.lessons.map((l) => l.externalId)).toEqual(['t/第一章-基础/你好']);
    // No letter or digit at all: a short hash of the title, different for different titles.
    expect(idSlug('!!!')).toMatch(/^t-[0-9a-f]{8}$/);
    expect(idSlug('???')).not.toBe(idSlug('!!!'));
    expect(idSlug('Intro to Rust!')).toBe('intro-to-rust');
    // Rendering omits ids that are the derived ones, so the file round-trips.
    const text = renderMarkdownCourse(doc as never);
    expect(text).not.toContain('externalId: t/');
    const again = parseMarkdownCourse(text, { fileName: 'c.md' }) as typeof doc;
    expect(again.sections.map((s) => [s.externalId, s.lessons.map((l) => l.externalId)])).toEqual(
      doc.sections.map((s) => [s.externalId, s.lessons.map((l) => l.externalId)]),
    );
  });

  it('external ids that collide', () => {
    expect(problems(course('## S\n\n### Intro\n\n### Intro!\n'))).toEqual([
      "9: This lesson has the external id 't/s/intro', like the one on line 7: give one of them its own `externalId:` in its fields block.",
    ]);
    expect(problems(course('## A b\n\n## A-B\n'))[0]).toMatch(
      /^7: This section has the external id 't\/a-b', like the one on line 5/,
    );
  });

  it('quizzes', () => {
    const quiz = (list: string, fields = 'type: quiz\npassingScore: 50') =>
      course(`### Q\n\n<!-- syllabus\n${fields}\n-->\n\n${list}`);
    expect(problems(quiz('Some text\n'))).toEqual([
      expect.stringMatching(/^12: A quiz lesson holds only its questions/),
    ]);
    expect(problems(quiz('1. Q?\n   - [x] a\n   - b\n'))).toEqual([
      expect.stringMatching(/^14: An option is one line '- \[x\] text'/),
    ]);
    expect(problems(quiz('1. Q?\n   - [x] only one\n'))).toEqual([
      '12: lesson 1 (before the first section), question 1: options: A question needs at least 2 options.',
    ]);
    expect(problems(quiz('1. Q?\n   - [ ] a\n   - [ ] b\n'))).toEqual([
      '12: lesson 1 (before the first section), question 1: options: A question needs at least one correct option.',
    ]);
    expect(problems(quiz('1. Q?\n   - [x] a\n   - [ ] b\n', 'type: quiz'))).toEqual([
      '5: A quiz lesson needs `passingScore:` (0–100) in its fields block.',
    ]);
    expect(problems(quiz('Text\n', 'passingScore: 50'))).toEqual(['8: passingScore is for quiz lessons (type: quiz).']);
    expect(problems(quiz('1. Q?\n   - [x] a\n   - [ ] b\n', 'type: quiz\npassingScore: 500'))).toEqual([
      expect.stringMatching(/^9: lesson 1 \(before the first section\): content\.passingScore: /),
    ]);
  });

  it('describes document paths as an author counts', () => {
    expect(describePath('sections.1.lessons.0.videoUrl')).toBe('section 2, lesson 1: videoUrl');
    expect(describePath('paymentPlans.0.amount')).toBe('payment plan 1: amount');
    expect(describePath('')).toBe('course');
  });

  it('maps server error paths back to lines', () => {
    const parsed = readMarkdownCourse(
      course(
        '## S\n\n### L\n\n<!-- syllabus\nvideoUrl: https://example.com/x\n-->\n',
        'title: T\nexternalId: t\nprice: 100',
      ),
    );
    expect(parsed.lineOf('sections.0.lessons.0.videoUrl')).toBe(11);
    expect(parsed.lineOf('sections.0.lessons.0.contentMarkdown')).toBe(8);
    expect(parsed.lineOf('sections.0')).toBe(6);
    expect(parsed.lineOf('price')).toBe(4);
    expect(parsed.lineOf('')).toBe(1);
    // A body's problems point at its first line of text.
    const body = readMarkdownCourse(course('Intro\n\n### L\n\n\nText\n'));
    expect(body.lineOf('descriptionMarkdown')).toBe(5);
    expect(body.lineOf('unsectionedLessons.0.contentMarkdown')).toBe(10);
    // Not in the file (a field left out, or not a document path): no line.
    expect(parsed.lineOf('slug')).toBe(0);
    expect(parsed.lineOf('scope')).toBe(0);
  });
});

describe('rendering', () => {
  const base = { title: 'T', externalId: 't', status: 'draft', sections: [], unsectionedLessons: [] };
  const roundTrip = (doc: Record<string, unknown>) => {
    const text = renderMarkdownCourse(doc as never);
    return { text, back: parseMarkdownCourse(text) as Record<string, unknown> };
  };

  it('keeps what Markdown cannot say as data, so parse(render(doc)) is the document', () => {
    const lessons = [
      { externalId: 't/s/x', title: 'Ends with #', contentMarkdown: 'Setext\n======' },
      { externalId: 'own-id', title: 'Two\nlines', contentMarkdown: '```\nunclosed fence' },
      {
        externalId: 't/s/q',
        title: 'Q',
        type: 'quiz',
        content: {
          passingScore: 1,
          questions: [
            {
              text: '- looks like a list',
              options: [
                { text: 'a', correct: true },
                { text: '[x] b', correct: false },
              ],
            },
          ],
        },
      },
      {
        externalId: 't/s/y',
        title: 'Y',
        summary: 'ends a comment -->',
        contentMarkdown: '<!-- syllabus\nnot a block\n-->',
      },
      { externalId: null, title: '  spaced  ' },
    ];
    const doc = { ...base, sections: [{ externalId: 't/s', title: 'S', lessons }] };
    const { text, back } = roundTrip(doc);
    expect(back).toEqual(doc);
    expect(text).toContain('### Two lines\n\n<!-- syllabus\ntitle: |-\n  Two\n  lines\n');
    expect(text).toContain('--\\x3e');
    expect(renderMarkdownCourse(back as never)).toBe(text);
  });

  it('omits defaults and writes pricing shortcuts when the plans are what they make', () => {
    const text = renderMarkdownCourse({
      ...base,
      type: 'course',
      privacy: 'public',
      tags: [],
      description: null,
      paymentPlans: [
        {
          name: 'One-time payment',
          type: 'one_time',
          amount: 500,
          currency: 'USD',
          interval: null,
          installments: null,
          description: null,
          isDefault: true,
        },
      ],
      sections: [
        {
          externalId: 't/s',
          title: 'S',
          status: 'published',
          drip: { type: 'none' },
          prerequisites: [],
          description: null,
          lessons: [
            {
              externalId: 't/s/l',
              title: 'L',
              type: 'text',
              status: 'published',
              unlock: { type: 'immediate' },
              completion: { type: 'button' },
              isPreview: false,
              downloadable: false,
              content: null,
              media: null,
            },
          ],
        },
      ],
    } as never);
    expect(text).toBe('---\ntitle: T\nexternalId: t\nstatus: draft\nprice: 500\ncurrency: USD\n---\n\n## S\n\n### L\n');
  });

  it('writes several plans as paymentPlans, marking the default only when it is not the first', () => {
    const plan = (name: string, type: string, amount: number, isDefault: boolean, extra = {}) => ({
      name,
      type,
      amount,
      currency: 'EUR',
      interval: null,
      installments: null,
      description: null,
      isDefault,
      ...extra,
    });
    const text = renderMarkdownCourse({
      ...base,
      paymentPlans: [
        plan('Monthly', 'subscription', 900, false, { interval: 'month' }),
        plan('Once', 'one_time', 5000, true),
      ],
    } as never);
    expect(text).toContain(
      'paymentPlans:\n  - name: Monthly\n    type: subscription\n    amount: 900\n    currency: EUR\n    interval: month\n  - name: Once\n    type: one_time\n    amount: 5000\n    currency: EUR\n    isDefault: true\n',
    );
    expect(parseMarkdownCourse(text).paymentPlans).toEqual([
      { name: 'Monthly', type: 'subscription', amount: 900, currency: 'EUR', interval: 'month' },
      { name: 'Once', type: 'one_time', amount: 5000, currency: 'EUR', isDefault: true },
    ]);
    // A free plan named as course create names it is the isFree shortcut.
    expect(renderMarkdownCourse({ ...base, paymentPlans: [plan('Free', 'free', 0, true)] } as never)).toContain(
      'isFree: true\n',
    );
  });

  it('property: any titles, texts and quizzes survive render → parse', () => {
    const chars = fc.constantFrom(...'ab #*_-[]x`\n>|<!-:=~1.\r\té\\'.split(''));
    const text = fc.string({ unit: chars, minLength: 1, maxLength: 20 }).filter((t) => t.trim() !== '');
    const body = fc.string({ unit: chars, minLength: 1, maxLength: 40 }).filter((b) => b.trim() !== '');
    const lesson = fc.record({
      externalId: fc.oneof(fc.constant(null), text),
      title: text,
      summary: fc.option(text, { nil: undefined }),
      contentMarkdown: fc.option(body, { nil: undefined }),
    });
    const quiz = fc.record({
      externalId: text,
      title: text,
      type: fc.constant('quiz'),
      content: fc.record({
        passingScore: fc.integer({ min: 0, max: 100 }),
        questions: fc.array(
          fc.record({
            text: text.filter((t) => t.trim() === t && t !== ''),
            options: fc
              .array(fc.record({ text: text.filter((t) => t.trim() === t && t !== ''), correct: fc.boolean() }), {
                minLength: 2,
                maxLength: 3,
              })
              .map((o) => [{ ...o[0]!, correct: true }, ...o.slice(1)]),
          }),
          { minLength: 1, maxLength: 3 },
        ),
      }),
    });
    const docs = fc.record({
      title: text,
      externalId: fc.constant('c'),
      status: fc.constant('draft'),
      shortDescription: fc.option(text, { nil: undefined }),
      unsectionedLessons: fc.array(fc.oneof(lesson, quiz), { maxLength: 2 }),
      sections: fc.uniqueArray(
        fc.record({ externalId: text, title: text, lessons: fc.array(fc.oneof(lesson, quiz), { maxLength: 2 }) }),
        { maxLength: 2, selector: (s) => s.externalId },
      ),
    });
    fc.assert(
      fc.property(docs, (doc) => {
        const clean = JSON.parse(JSON.stringify(doc)); // undefined fields out
        const ids = [...clean.unsectionedLessons, ...clean.sections.flatMap((s: { lessons: unknown[] }) => s.lessons)]
          .map((l: { externalId: unknown }) => l.externalId)
          .filter((x: unknown) => x !== null);
        fc.pre(new Set(ids).size === ids.length);
        const { text: out, back } = roundTrip(clean);
        // A body is read with its line ends as \n and without leading or trailing blank lines (the
        // same Markdown); a text kept as data comes back exactly.
        const normal = (doc: unknown) =>
          JSON.parse(JSON.stringify(doc), (k, v) =>
            k === 'contentMarkdown' && typeof v === 'string'
              ? v.replace(/\r\n?/g, '\n').replace(/^(\s*\n)+|(\n\s*)+$/g, '')
              : v,
          );
        expect(normal(back)).toEqual(normal(clean));
        expect(renderMarkdownCourse(back as never)).toBe(out);
      }),
      { numRuns: 150 },
    );
  });
});

describe('rich text as Markdown', () => {
  it('writes every node and mark so the server reads back the same document', () => {
    const source = `Hello **bold** *it* ~~s~~ \`code\` [link](https://x.y "t") <u>under</u> <mark>hi</mark>\\
next line with a \\< b \\& c, 5 \\* 3, snake_case_name and \`\` a\`b \`\`

# H1

## H2 with *em*

1. one
2. two
   - nested
3. three

- a

  second paragraph
- b

> quote
>
> > nested

\`\`\`js
let x = 1;
\`\`\`

![alt](https://example.com/a.png "title")

| a | b | c |
| :-- | --: | :-: |
| 1 \\| x | 2 | \`c\` |

---
`;
    const doc = parseMarkdown(source, 'content');
    const markdown = richTextToMarkdown(doc);
    expect(parseMarkdown(markdown, 'content')).toEqual(doc);
    // Headings go three levels deeper in a course file.
    expect(richTextToMarkdown(doc, 3)).toContain('\n#### H1\n\n##### H2 with *em*\n');
  });

  it('a document Markdown cannot carry stays a document in the fields block', () => {
    const doc = {
      type: 'doc',
      content: [{ type: 'paragraph', content: [{ type: 'text', text: 'two  spaces' }] }],
    };
    const text = renderMarkdownCourse(
      {
        title: 'T',
        externalId: 't',
        status: 'draft',
        unsectionedLessons: [{ externalId: 't/l', title: 'L', content: doc }],
      } as never,
      richTextCodec,
    );
    expect(text).toContain('<!-- syllabus\ncontent:\n  type: doc\n');
    expect(parseMarkdownCourse(text).unsectionedLessons?.[0]?.content).toEqual(doc);
  });
});
