/**
 * Markdown courses (docs/markdown-courses.md): one Markdown file ⇄ the course document of
 * declarative sync (sync.schemas.ts). Pure: text in, document out, and back.
 *
 * - YAML front matter: the course fields; the text before the first heading: its description.
 * - `## Title`: a section; `### Title`: a lesson (before the first `##`: an unsectioned lesson).
 * - `<!-- syllabus … -->` (YAML) right under a heading: the section's or lesson's other fields.
 * - The text under a heading: the section's description or the lesson's content, sent as Markdown
 *   (`descriptionMarkdown`, `contentMarkdown`) for the server to convert; inside it headings are
 *   written `####`–`######` and stand for levels 1–3. A quiz lesson's text is its questions.
 * - External ids are written or derived from the title path, so a re-import matches.
 *
 * Headings are found with markdown-it's tokens (the parser the server converts with), so a `##`
 * in a code block or a quote never starts a section. Every problem names its line.
 */
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import MarkdownIt, { type Token } from 'markdown-it';
import YAML, { isMap, isScalar, isSeq, LineCounter, type Node as YamlNode } from 'yaml';
import { QuizSchema } from './courses.schemas.js';
import { type CourseDocumentInput, CourseDocumentSchema, type ExportedCourse } from './sync.schemas.js';

/**
 * The slug part of a derived externalId: letters and digits of any script (so two Chinese or Russian
 * titles get different ids), lowercase, runs of anything else as one hyphen; accents on Latin letters
 * folded as in URL slugs ("Café" → "cafe"). A title with no letter or digit (only punctuation or emoji) gets a
 * short hash of itself, so different titles still differ.
 */
export function idSlug(title: string, maxLength = 90): string {
  const slug = Array.from(
    title
      .normalize('NFKD')
      // Accents off Latin letters only: in other scripts (й, έ) the mark is part of the letter.
      .replace(/([A-Za-z])[\u0300-\u036f]+/g, '$1')
      .normalize('NFC')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M}]+/gu, '-')
      .replace(/^-+|-+$/g, ''),
  )
    .slice(0, maxLength)
    .join('')
    .replace(/-+$/, '');
  return slug || `t-${createHash('sha256').update(title).digest('hex').slice(0, 8)}`;
}

export type MarkdownCourseProblem = { line: number; message: string };

/** Problems in a Markdown course file, each with its line; the message lists them as `file:line: …`. */
export class MarkdownCourseError extends Error {
  constructor(
    readonly fileName: string,
    readonly problems: MarkdownCourseProblem[],
  ) {
    super(problems.map((p) => `${fileName}:${p.line}: ${p.message}`).join('\n'));
    this.name = 'MarkdownCourseError';
  }
}

export type ParsedMarkdownCourse = {
  document: CourseDocumentInput;
  /**
   * The line a document path (`sections.1.lessons.0.videoUrl`, as in API error details) comes from;
   * 0 when nothing of it is in the file.
   */
  lineOf(path: string): number;
};

type Obj = Record<string, unknown>;

/** The opening line of a fields block. */
const FIELDS_OPEN = '<!-- syllabus';
const FIELDS_CLOSE = '-->';
/** Headings inside a body are written this many levels deeper than they are stored. */
const HEADING_SHIFT = 3;
/** The front matter's shortcuts for a single default plan (the names course create gives them). */
const FREE_PLAN = { name: 'Free', type: 'free', amount: 0 } as const;
const ONE_TIME_PLAN_NAME = 'One-time payment';

// Block structure only (no rendering): the same block rules as the server's Markdown conversion.
const md = new MarkdownIt('default', { html: true });

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

// ---------------------------------------------------------------------------------------------
// Parsing

class Problems {
  readonly list: MarkdownCourseProblem[] = [];
  add(line: number, message: string) {
    this.list.push({ line, message });
  }
}

/** A YAML mapping read from the file: its value, and the line of every path inside it. */
type YamlBlock = { value: Obj; lines: Map<string, number>; line: number };

function readYaml(
  text: string,
  firstLine: number,
  what: string,
  problems: Problems,
  forbidden: Record<string, string>,
): YamlBlock | undefined {
  const lineCounter = new LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const lineAt = (offset: number) => firstLine + lineCounter.linePos(offset).line - 1;
  if (doc.errors.length > 0) {
    // An error at the end of the text (an unclosed bracket) is on the last YAML line.
    for (const e of doc.errors)
      problems.add(lineAt(Math.min(e.pos[0], text.length - 1)), `${what}: ${e.message.split('\n')[0]}`);
    return undefined;
  }
  if (doc.contents === null) return { value: {}, lines: new Map(), line: firstLine };
  if (!isMap(doc.contents)) {
    problems.add(firstLine, `${what} must be YAML key: value lines.`);
    return undefined;
  }
  const lines = new Map<string, number>();
  const walk = (node: unknown, path: string) => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const keyNode = pair.key as YamlNode | null;
        const p = path ? `${path}.${key}` : key;
        if (keyNode?.range) lines.set(p, lineAt(keyNode.range[0]));
        walk(pair.value, p);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const p = `${path}.${i}`;
        const range = (item as YamlNode | null)?.range;
        if (range) lines.set(p, lineAt(range[0]));
        walk(item, p);
      });
    }
  };
  walk(doc.contents, '');
  let value: Obj;
  try {
    value = doc.toJS({ maxAliasCount: 100 }) as Obj;
  } catch (e) {
    // yaml throws (a ReferenceError) when aliases would expand past the limit: a problem of this block.
    problems.add(firstLine, `${what}: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
  for (const [key, why] of Object.entries(forbidden)) {
    if (key in value) problems.add(lines.get(key) ?? firstLine, `${what}: '${key}' ${why}`);
  }
  return { value, lines, line: firstLine };
}

/** A `##`/`###` heading and what stands under it, in 0-based token indexes and source lines. */
type Part = {
  level: 2 | 3;
  title: string;
  /** 1-based line of the heading. */
  line: number;
  fields?: YamlBlock;
  body: string;
  /** 1-based line where the body starts (for errors about it). */
  bodyLine: number;
  /** The body's tokens (for quizzes). */
  tokens: Token[];
};

const isStructural = (t: Token) => t.type === 'heading_open' && t.level === 0 && ['h1', 'h2', 'h3'].includes(t.tag);
const isFieldsBlock = (t: Token) => t.type === 'html_block' && t.content.trimStart().startsWith(FIELDS_OPEN);
const isSetext = (t: Token) => t.markup === '=' || t.markup === '-';

/**
 * The body between two headings as it is sent: its lines with leading and trailing blank lines
 * dropped, and `####`–`######` headings written back as `#`–`###`. Problems: headings that are not
 * body headings, and fields blocks out of place.
 */
function bodyText(lines: string[], from: number, to: number, tokens: Token[], problems: Problems): string {
  const shifted = new Map<number, string>();
  for (const t of tokens) {
    if (isFieldsBlock(t)) {
      problems.add((t.map?.[0] ?? 0) + 1, `A '${FIELDS_OPEN}' block belongs right under a ## or ### heading.`);
      continue;
    }
    if (t.type !== 'heading_open') continue;
    const at = t.map?.[0] ?? 0;
    const level = Number(t.tag.slice(1));
    if (level <= HEADING_SHIFT && t.level === 0) continue; // structure, or reported with it
    if (isSetext(t)) {
      problems.add(
        at + 1,
        'A heading underlined with === or --- is not used in a course: write #### to ###### inside a lesson (for a horizontal rule, put a blank line before ---).',
      );
    } else if (level <= HEADING_SHIFT) {
      problems.add(
        at + 1,
        `A level-${level} heading inside a quote or list: inside a section or lesson, headings are #### to ###### (levels 1 to 3 of its text).`,
      );
    } else {
      const line = lines[at] ?? '';
      const rewritten = line.replace(
        new RegExp(`^([^#]*?)#{${level}}(?=[ \\t]|$)`),
        `$1${'#'.repeat(level - HEADING_SHIFT)}`,
      );
      shifted.set(at, rewritten);
    }
  }
  let start = from;
  let end = to;
  while (start < end && (lines[start] ?? '').trim() === '') start++;
  while (end > start && (lines[end - 1] ?? '').trim() === '') end--;
  const out: string[] = [];
  for (let i = start; i < end; i++) out.push(shifted.get(i) ?? lines[i] ?? '');
  return out.join('\n');
}

/** The 1-based line of the first non-blank line from index `from`. */
function firstTextLine(lines: string[], from: number): number {
  let i = from;
  while (i < lines.length - 1 && (lines[i] ?? '').trim() === '') i++;
  return i + 1;
}

const QUIZ_FORMAT =
  'A quiz lesson holds only its questions: a numbered list of questions, each with its options as a task list under it (- [x] for a correct option, - [ ] for a wrong one).';

/** The questions of a quiz lesson's body; `paths` gets the line of each question and option. */
function parseQuiz(tokens: Token[], problems: Problems, lines: Map<string, number>, prefix: string) {
  const questions: { text: string; options: { text: string; correct: boolean }[] }[] = [];
  const lineOf = (t: Token | undefined) => (t?.map?.[0] ?? 0) + 1;
  let i = 0;
  const closeOf = (open: number) => {
    // The matching close token of tokens[open] (same level, nesting -1).
    const { level } = tokens[open] as Token;
    let j = open + 1;
    while (j < tokens.length && !((tokens[j] as Token).level === level && (tokens[j] as Token).nesting === -1)) j++;
    return j;
  };
  while (i < tokens.length) {
    const list = tokens[i] as Token;
    if (list.type !== 'ordered_list_open' && list.type !== 'bullet_list_open') {
      problems.add(lineOf(list), QUIZ_FORMAT);
      return questions;
    }
    const listEnd = closeOf(i);
    let j = i + 1;
    while (j < listEnd) {
      const item = tokens[j] as Token; // list_item_open
      const itemEnd = closeOf(j);
      const para = tokens[j + 1];
      const inline = tokens[j + 2];
      const qPath = `${prefix}.questions.${questions.length}`;
      lines.set(qPath, lineOf(item));
      if (para?.type !== 'paragraph_open' || inline?.type !== 'inline') {
        problems.add(lineOf(item), `A question starts with its text. ${QUIZ_FORMAT}`);
        return questions;
      }
      const options: { text: string; correct: boolean }[] = [];
      let k = j + 4; // after paragraph_close
      while (k < itemEnd) {
        const sub = tokens[k] as Token;
        if (sub.type !== 'bullet_list_open') {
          problems.add(lineOf(sub), `Under a question: its options only. ${QUIZ_FORMAT}`);
          return questions;
        }
        const subEnd = closeOf(k);
        let m = k + 1;
        while (m < subEnd) {
          const optItem = tokens[m] as Token;
          const optEnd = closeOf(m);
          const optInline = tokens[m + 2];
          const match = optInline?.type === 'inline' ? /^\[([ xX])\][ \t]+(\S[\s\S]*)$/.exec(optInline.content) : null;
          if (!match || tokens[m + 1]?.type !== 'paragraph_open' || optEnd !== m + 4) {
            problems.add(
              lineOf(optItem),
              `An option is one line '- [x] text' (correct) or '- [ ] text'. ${QUIZ_FORMAT}`,
            );
            return questions;
          }
          lines.set(`${qPath}.options.${options.length}`, lineOf(optItem));
          options.push({ text: match[2] as string, correct: match[1] !== ' ' });
          m = optEnd + 1;
        }
        k = subEnd + 1;
      }
      questions.push({ text: inline.content, options });
      j = itemEnd + 1;
    }
    i = listEnd + 1;
  }
  return questions;
}

/** Splits off the front matter; its lines are blanked so token lines stay the file's lines. */
function frontMatter(lines: string[], problems: Problems): { text: string; end: number } | undefined {
  if (lines[0]?.trim() !== '---') {
    problems.add(
      1,
      'A Markdown course starts with its front matter: a line ---, the course fields in YAML (title, externalId, …), and a line ---.',
    );
    return undefined;
  }
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]?.trimEnd();
    // Each YAML line keeps its line end (a `|+` block scalar keeps its last one).
    if (line === '---' || line === '...')
      return {
        text: lines
          .slice(1, i)
          .map((l) => `${l}\n`)
          .join(''),
        end: i + 1,
      };
  }
  problems.add(1, 'The front matter has no closing --- line.');
  return undefined;
}

const COURSE_FORBIDDEN = {
  sections: 'comes from the ## headings.',
  unsectionedLessons: 'comes from the ### headings before the first ##.',
};
const SECTION_FORBIDDEN = { lessons: 'come from the ### headings under the section.' };

/** Parses a Markdown course into the sync document, with the line of every document path. */
export function readMarkdownCourse(text: string, options: { fileName?: string } = {}): ParsedMarkdownCourse {
  const fileName = options.fileName ?? 'course.md';
  const problems = new Problems();
  const lines = text
    .replace(/^\uFEFF/, '')
    .replace(/\r\n?/g, '\n')
    .split('\n');
  const paths = new Map<string, number>([['', 1]]);
  const fail = () => new MarkdownCourseError(fileName, problems.list);

  const fm = frontMatter(lines, problems);
  if (!fm) throw fail();
  const course = readYaml(fm.text, 2, 'Front matter', problems, {
    ...COURSE_FORBIDDEN,
  });
  for (const [p, l] of course?.lines ?? []) paths.set(p, l);
  const blanked = [...Array(fm.end).fill(''), ...lines.slice(fm.end)].join('\n');
  const tokens = md.parse(blanked, {});

  // Structural headings split the file into parts.
  const heads: number[] = [];
  tokens.forEach((t, i) => {
    if (!isStructural(t)) return;
    if (t.tag === 'h1') {
      problems.add(
        (t.map?.[0] ?? 0) + 1,
        'Level-1 headings are not used: the course title is `title:` in the front matter, ## starts a section, ### a lesson, and headings inside a lesson are #### to ######.',
      );
    } else if (isSetext(t)) {
      problems.add(
        (t.map?.[0] ?? 0) + 1,
        'A heading underlined with --- is not used in a course: write ## for a section (for a horizontal rule, put a blank line before ---).',
      );
    } else heads.push(i);
  });
  const lineCount = lines.length;
  const startOf = (k: number) => (k < heads.length ? (tokens[heads[k] as number]?.map?.[0] ?? lineCount) : lineCount);

  // The course description: from the front matter to the first heading.
  const firstHead = heads[0] ?? tokens.length;
  const courseTokens = tokens.slice(0, firstHead);
  const courseBody = bodyText(lines, fm.end, startOf(0), courseTokens, problems);

  const parts: Part[] = heads.map((h, k) => {
    const open = tokens[h] as Token;
    const line = (open.map?.[0] ?? 0) + 1;
    const end = k + 1 < heads.length ? (heads[k + 1] as number) : tokens.length;
    let first = h + 3; // after heading_open, inline, heading_close
    let bodyFrom = open.map?.[1] ?? line;
    let fields: YamlBlock | undefined;
    const next = tokens[first];
    if (first < end && next && next.level === 0 && isFieldsBlock(next)) {
      const block = next.content.replace(/\n$/, '').split('\n');
      const at = (next.map?.[0] ?? 0) + 1;
      if (block[0]?.trim() !== FIELDS_OPEN || block[block.length - 1]?.trim() !== FIELDS_CLOSE || block.length < 2) {
        problems.add(at, `A fields block is a line '${FIELDS_OPEN}', YAML lines, and a line '${FIELDS_CLOSE}'.`);
      } else {
        const what = open.tag === 'h2' ? 'Section fields' : 'Lesson fields';
        fields = readYaml(
          block
            .slice(1, -1)
            .map((l) => `${l}\n`)
            .join(''),
          at + 1,
          what,
          problems,
          open.tag === 'h2' ? SECTION_FORBIDDEN : {},
        );
      }
      first++;
      bodyFrom = next.map?.[1] ?? bodyFrom;
    }
    const bodyTokens = tokens.slice(first, end);
    const body = bodyText(lines, bodyFrom, startOf(k + 1), bodyTokens, problems);
    const title = (tokens[h + 1] as Token).content.trim();
    return {
      level: open.tag === 'h2' ? 2 : 3,
      title,
      line,
      ...(fields ? { fields } : {}),
      body,
      bodyLine: firstTextLine(lines, bodyFrom),
      tokens: bodyTokens,
    };
  });

  // ---- the course
  const cv: Obj = { ...(course?.value ?? {}) };
  const courseExternalId = typeof cv.externalId === 'string' && cv.externalId.trim() !== '' ? cv.externalId.trim() : '';
  if (course && !courseExternalId)
    problems.add(
      paths.get('externalId') ?? 2,
      'The front matter needs `externalId:` (a string): the course is synced by it, and the ids of its sections and lessons are derived from it.',
    );
  const { isFree, price, currency, ...courseFields } = cv;
  const document: Obj = { ...courseFields };
  if (isFree !== undefined || price !== undefined || currency !== undefined) {
    const at = (k: string) => paths.get(k) ?? 2;
    if (cv.paymentPlans !== undefined)
      problems.add(at('paymentPlans'), 'Write isFree / price or paymentPlans, not both.');
    if (isFree !== undefined && typeof isFree !== 'boolean') problems.add(at('isFree'), 'isFree is true or false.');
    if (price !== undefined && !(Number.isInteger(price) && (price as number) > 0))
      problems.add(at('price'), 'price is a whole number of cents above 0 (a free course: isFree: true).');
    if (isFree === true && price !== undefined) problems.add(at('price'), 'A free course has no price.');
    if (currency !== undefined && price === undefined) problems.add(at('currency'), 'currency goes with price.');
    if (isFree === true) document.paymentPlans = [{ ...FREE_PLAN }];
    else if (price !== undefined)
      document.paymentPlans = [
        { name: ONE_TIME_PLAN_NAME, type: 'one_time', amount: price, ...(currency !== undefined ? { currency } : {}) },
      ];
    // isFree: false alone says nothing: the course has the plans it is given (none).
  }
  if (courseBody) {
    if (cv.description !== undefined || cv.descriptionMarkdown !== undefined)
      problems.add(
        paths.get(cv.description !== undefined ? 'description' : 'descriptionMarkdown') ?? 2,
        'The description is the text under the front matter; it cannot also be in the front matter.',
      );
    document.descriptionMarkdown = courseBody;
    paths.set('descriptionMarkdown', firstTextLine(lines, fm.end));
  }

  const sections: Obj[] = [];
  const unsectioned: Obj[] = [];
  const sectionIds = new Map<string, number>();
  const lessonIds = new Map<string, number>();
  let parentId = courseExternalId;
  let sectionPath = '';
  let currentLessons: Obj[] = unsectioned;

  const fieldValues = (part: Part, path: string): Obj => {
    for (const [p, l] of part.fields?.lines ?? []) paths.set(`${path}.${p}`, l);
    return { ...(part.fields?.value ?? {}) };
  };
  const checkUnique = (ids: Map<string, number>, id: unknown, line: number, what: string) => {
    if (typeof id !== 'string') return;
    const before = ids.get(id);
    if (before !== undefined)
      problems.add(
        line,
        `This ${what} has the external id '${id}', like the one on line ${before}: give one of them its own \`externalId:\` in its fields block.`,
      );
    else ids.set(id, line);
  };
  const bodyInto = (part: Part, v: Obj, path: string, field: 'contentMarkdown' | 'descriptionMarkdown') => {
    const rich = field === 'contentMarkdown' ? 'content' : 'description';
    if (v[rich] !== undefined || v[field] !== undefined) {
      problems.add(
        paths.get(`${path}.${v[rich] !== undefined ? rich : field}`) ?? part.line,
        `The ${rich} is the text under the heading; it cannot also be in the fields block.`,
      );
    }
    v[field] = part.body;
    paths.set(`${path}.${field}`, part.bodyLine);
  };

  for (const part of parts) {
    if (part.level === 2) {
      const path = `sections.${sections.length}`;
      paths.set(path, part.line);
      const v = fieldValues(part, path);
      const title = typeof v.title === 'string' ? v.title : part.title;
      if (!('title' in v)) paths.set(`${path}.title`, part.line);
      if (!title) problems.add(part.line, 'A section heading needs a title.');
      const derived = `${courseExternalId}/${idSlug(title)}`;
      const externalId = 'externalId' in v ? v.externalId : derived;
      if (!('externalId' in v)) paths.set(`${path}.externalId`, part.line);
      checkUnique(sectionIds, externalId, part.line, 'section');
      const section: Obj = { externalId, title, ...v };
      section.externalId = externalId;
      section.title = title;
      if (part.body) bodyInto(part, section, path, 'descriptionMarkdown');
      section.lessons = [];
      sections.push(section);
      currentLessons = section.lessons as Obj[];
      parentId = typeof externalId === 'string' ? externalId : derived;
      sectionPath = path;
      continue;
    }
    const path = `${sectionPath ? `${sectionPath}.lessons` : 'unsectionedLessons'}.${currentLessons.length}`;
    paths.set(path, part.line);
    const v = fieldValues(part, path);
    const title = typeof v.title === 'string' ? v.title : part.title;
    if (!('title' in v)) paths.set(`${path}.title`, part.line);
    if (!title) problems.add(part.line, 'A lesson heading needs a title.');
    const externalId = 'externalId' in v ? v.externalId : `${parentId}/${idSlug(title)}`;
    if (!('externalId' in v)) paths.set(`${path}.externalId`, part.line);
    checkUnique(lessonIds, externalId, part.line, 'lesson');
    const { passingScore, ...rest } = v;
    const before = problems.list.length;
    const lesson: Obj = { externalId, title, ...rest };
    lesson.externalId = externalId;
    lesson.title = title;
    if (v.type === 'quiz' && part.body) {
      if (v.content !== undefined)
        problems.add(
          paths.get(`${path}.content`) ?? part.line,
          'The quiz is the list under the heading; it cannot also be in the fields block.',
        );
      const quizLines = new Map<string, number>();
      const questions = parseQuiz(
        part.tokens.filter((t) => !isFieldsBlock(t)),
        problems,
        quizLines,
        `${path}.content`,
      );
      for (const [p, l] of quizLines) paths.set(p, l);
      paths.set(`${path}.content`, part.bodyLine);
      if (passingScore === undefined)
        problems.add(part.line, 'A quiz lesson needs `passingScore:` (0–100) in its fields block.');
      else paths.set(`${path}.content.passingScore`, paths.get(`${path}.passingScore`) ?? part.line);
      lesson.content = { questions, passingScore };
    } else {
      if (passingScore !== undefined)
        problems.add(paths.get(`${path}.passingScore`) ?? part.line, 'passingScore is for quiz lessons (type: quiz).');
      if (part.body) bodyInto(part, lesson, path, 'contentMarkdown');
    }
    if (v.type === 'quiz' && lesson.content !== undefined && problems.list.length === before) {
      const quiz = QuizSchema.safeParse(lesson.content);
      if (!quiz.success)
        for (const issue of quiz.error.issues) {
          const p = [`${path}.content`, ...issue.path.map(String)].join('.');
          problems.add(lineFor(paths, p), `${describePath(p)}: ${issue.message}`);
        }
    }
    currentLessons.push(lesson);
  }
  if (sections.length) document.sections = sections;
  if (unsectioned.length) document.unsectionedLessons = unsectioned;
  document.sections ??= [];
  document.unsectionedLessons ??= [];
  if (courseExternalId) document.externalId = courseExternalId;

  if (problems.list.length === 0) {
    const checked = CourseDocumentSchema.safeParse(document);
    if (!checked.success) {
      for (const issue of checked.error.issues) {
        const p = issue.path.map(String).join('.');
        if (issue.code === 'unrecognized_keys') {
          const where = (k: string) => (p ? `${p}.${k}` : k);
          for (const k of issue.keys)
            problems.add(lineFor(paths, where(k)), `${describePath(where(k))}: unknown field.`);
        } else problems.add(lineFor(paths, p), `${describePath(p)}: ${issue.message}`);
      }
    }
  }
  if (problems.list.length > 0) {
    problems.list.sort((a, b) => a.line - b.line);
    throw fail();
  }
  return { document: document as CourseDocumentInput, lineOf: (p) => lineIn(paths, p) };
}

/** Parses a Markdown course into the sync document; throws MarkdownCourseError naming file and lines. */
export function parseMarkdownCourse(text: string, options: { fileName?: string } = {}): CourseDocumentInput {
  return readMarkdownCourse(text, options).document;
}

/** The line of the deepest known prefix of a document path. */
function lineFor(paths: Map<string, number>, path: string): number {
  return lineIn(paths, path) || 1;
}

/** The same, or 0 when nothing of the path is in the file (a field left out, or not a document path). */
function lineIn(paths: Map<string, number>, path: string): number {
  const parts = path.split('.').filter((p) => p !== '');
  if (parts.length === 0) return 1;
  for (let n = parts.length; n >= 1; n--) {
    const line = paths.get(parts.slice(0, n).join('.'));
    if (line !== undefined) return line;
  }
  return 0;
}

/** `sections.1.lessons.0.videoUrl` → `section 2, lesson 1: videoUrl`, as an author counts. */
export function describePath(path: string): string {
  const out: string[] = [];
  const parts = path.split('.').filter((p) => p !== '');
  const names: Record<string, (n: number) => string> = {
    sections: (n) => `section ${n}`,
    lessons: (n) => `lesson ${n}`,
    unsectionedLessons: (n) => `lesson ${n} (before the first section)`,
    questions: (n) => `question ${n}`,
    options: (n) => `option ${n}`,
    paymentPlans: (n) => `payment plan ${n}`,
  };
  const fields: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    if (parts[i] === 'content' && parts[i + 1] === 'questions') continue; // a quiz's questions
    const name = names[parts[i] as string];
    const index = Number(parts[i + 1]);
    if (name && Number.isInteger(index)) {
      out.push(name(index + 1));
      i++;
    } else fields.push(parts[i] as string);
  }
  const field = fields.join('.');
  if (out.length === 0) return field || 'course';
  return field ? `${out.join(', ')}: ${field}` : out.join(', ');
}

// ---------------------------------------------------------------------------------------------
// Rendering

/** Converts a rich-text document to Markdown (injected: the renderer stays free of the rich-text stack). */
export type RichTextCodec = {
  /** Markdown for the document with headings `shift` levels deeper, or null if it has none. */
  toMarkdown(doc: Obj, shift: number): string | null;
  /** What the server stores for this Markdown (null when it cannot convert it). */
  fromMarkdown(markdown: string): unknown;
};

/**
 * A course document (as exported, or as parsed) as a Markdown course. Every value is written in its
 * Markdown form only when reading that form back gives the same value (checked here); otherwise it
 * goes into the front matter or fields block as data, so `parse(render(doc))` is the document.
 */
export function renderMarkdownCourse(doc: CourseDocumentInput | ExportedCourse, codec?: RichTextCodec): string {
  const d = doc as Obj;
  const courseExternalId = typeof d.externalId === 'string' ? d.externalId : '';
  const blocks: string[] = [];

  // ---- front matter
  const front: Obj = {};
  front.title = d.title;
  if (d.externalId !== undefined && d.externalId !== null) front.externalId = d.externalId;
  if (d.slug !== undefined) front.slug = d.slug;
  const skip = new Set(['title', 'externalId', 'slug', 'sections', 'unsectionedLessons', 'paymentPlans']);
  for (const key of ['type', 'status', 'level', 'privacy', 'shortDescription', 'tags', 'authors']) {
    if (d[key] !== undefined) front[key] = d[key];
  }
  front.status ??= 'draft';
  for (const [key, value] of Object.entries(d)) if (!skip.has(key) && !(key in front)) front[key] = value;
  if (front.type === 'course') delete front.type;
  if (front.privacy === 'public') delete front.privacy;
  delete front.description;
  delete front.descriptionMarkdown;
  for (const [key, value] of Object.entries(front)) if (isDefault(value)) delete front[key];
  Object.assign(front, pricing(d.paymentPlans));

  const description = bodyFor(d, 'description', codec);
  if (description.data) Object.assign(front, description.data);
  blocks.push(`---\n${yamlText(front)}---`);
  if (description.body) blocks.push(description.body);

  const lessonBlocks = (lessons: unknown, parent: string) => {
    for (const lesson of Array.isArray(lessons) ? (lessons as Obj[]) : [])
      blocks.push(...renderLesson(lesson, parent, codec));
  };
  lessonBlocks(d.unsectionedLessons, courseExternalId);
  for (const section of Array.isArray(d.sections) ? (d.sections as Obj[]) : []) {
    const title = String(section.title ?? '');
    const derived = `${courseExternalId}/${idSlug(title)}`;
    const heading = headingFor(2, title);
    const fields: Obj = {};
    if (!heading.exact) fields.title = title;
    const externalId = section.externalId === undefined ? null : section.externalId;
    if (externalId !== derived) fields.externalId = externalId;
    for (const [key, value] of Object.entries(section)) {
      if (['title', 'externalId', 'lessons', 'description', 'descriptionMarkdown'].includes(key)) continue;
      if (
        isDefault(value) ||
        (key === 'status' && value === 'published') ||
        (key === 'drip' && isDeepStrictEqual(value, { type: 'none' }))
      )
        continue;
      fields[key] = value;
    }
    const body = bodyFor(section, 'description', codec);
    if (body.data) Object.assign(fields, body.data);
    blocks.push(heading.text);
    if (Object.keys(fields).length) blocks.push(fieldsBlock(fields));
    if (body.body) blocks.push(body.body);
    lessonBlocks(section.lessons, typeof externalId === 'string' ? externalId : derived);
  }
  return `${blocks.join('\n\n')}\n`;
}

function renderLesson(lesson: Obj, parent: string, codec?: RichTextCodec): string[] {
  const title = String(lesson.title ?? '');
  const heading = headingFor(3, title);
  const derived = `${parent}/${idSlug(title)}`;
  const fields: Obj = {};
  if (!heading.exact) fields.title = title;
  const externalId = lesson.externalId === undefined ? null : lesson.externalId;
  if (externalId !== derived) fields.externalId = externalId;
  const hasVideoUrl = typeof lesson.videoUrl === 'string';
  const type = lesson.type ?? (hasVideoUrl ? 'video' : 'text');
  if (type !== 'text') fields.type = type;
  const defaults: Obj = {
    status: 'published',
    unlock: { type: 'immediate' },
    completion: { type: type === 'quiz' ? 'quiz' : 'button' },
    downloadable: false,
    isPreview: false,
  };
  for (const [key, value] of Object.entries(lesson)) {
    if (['title', 'externalId', 'type', 'content', 'contentMarkdown'].includes(key)) continue;
    if (isDefault(value) || (key in defaults && isDeepStrictEqual(value, defaults[key]))) continue;
    fields[key] = value;
  }
  let body = '';
  if (type === 'quiz' && lesson.content !== undefined && lesson.content !== null) {
    const list = quizList(lesson.content);
    if (list !== null) {
      fields.passingScore = (lesson.content as Obj).passingScore;
      body = list;
    } else fields.content = lesson.content;
  } else if (type !== 'quiz') {
    const content = bodyFor(lesson, 'content', codec);
    if (content.data) Object.assign(fields, content.data);
    body = content.body;
  } else if (lesson.content === null) fields.content = null;
  const out = [heading.text];
  if (Object.keys(fields).length) out.push(fieldsBlock(fields));
  if (body) out.push(body);
  return out;
}

/** Empty values a left-out field takes anyway. */
const isDefault = (v: unknown) =>
  v === undefined || v === null || (Array.isArray(v) && v.length === 0) || (isObj(v) && Object.keys(v).length === 0);

/** The front matter's pricing: a shortcut when the plans are exactly what it makes, else the plans. */
function pricing(plans: unknown): Obj {
  if (!Array.isArray(plans) || plans.length === 0) return {};
  const cleaned = (plans as Obj[]).map((plan, i) => {
    const p: Obj = {};
    for (const [k, v] of Object.entries(plan)) if (v !== null && v !== undefined) p[k] = v;
    // Only the default plan says so, and not when it is the first (the first is the default then).
    if (p.isDefault === false || (p.isDefault === true && i === 0)) delete p.isDefault;
    return p;
  });
  if (cleaned.length === 1) {
    const [p] = cleaned as [Obj];
    const { currency, ...rest } = p;
    const amount0 = rest.amount === undefined ? { ...rest, amount: 0 } : rest;
    if (isDeepStrictEqual(amount0, FREE_PLAN)) return { isFree: true };
    if (rest.name === ONE_TIME_PLAN_NAME && rest.type === 'one_time' && Object.keys(rest).length === 3)
      return { price: rest.amount, ...(currency !== undefined ? { currency } : {}) };
  }
  return { paymentPlans: cleaned };
}

/**
 * A description or content as body text, or as data when Markdown cannot carry it exactly:
 * `field` is `content` or `description`; the object may hold it as a document or as `<field>Markdown`.
 */
function bodyFor(obj: Obj, field: 'content' | 'description', codec?: RichTextCodec): { body: string; data?: Obj } {
  const mdField = `${field}Markdown`;
  const markdown = obj[mdField];
  if (typeof markdown === 'string') {
    const body = shiftHeadings(markdown);
    if (body !== null && body !== '' && bodyText2(body) === normaliseBody(markdown)) return { body };
    return { body: '', data: { [mdField]: markdown } };
  }
  const value = obj[field];
  if (value === undefined || value === null) return { body: '' };
  if (codec && isObj(value)) {
    const body = codec.toMarkdown(value, HEADING_SHIFT);
    if (body) {
      const text = bodyText2(body);
      if (text !== null && text !== '' && sameJson(codec.fromMarkdown(text), value)) return { body };
    }
  }
  return { body: '', data: { [field]: value } };
}

/** Equal as JSON values (key order and prototypes aside: converted documents may be null-prototype objects). */
const sameJson = (a: unknown, b: unknown) =>
  isDeepStrictEqual(JSON.parse(JSON.stringify(a) ?? 'null'), JSON.parse(JSON.stringify(b) ?? 'null'));

/** Leading and trailing blank lines dropped, as a body is read. */
function normaliseBody(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  let start = 0;
  let end = lines.length;
  while (start < end && (lines[start] ?? '').trim() === '') start++;
  while (end > start && (lines[end - 1] ?? '').trim() === '') end--;
  return lines.slice(start, end).join('\n');
}

/**
 * The tokens of `text` written as a body, when it stays one: followed by a heading, as in the file,
 * that heading must still start where it is written (an unclosed fence or HTML block would run on).
 */
function asBody(text: string): Token[] | null {
  const lines = text.split('\n');
  const tokens = md.parse(`${text}\n\n## end`, {});
  const last = tokens.length - 3;
  const probe = tokens[last];
  if (!probe || !isStructural(probe) || probe.map?.[0] !== lines.length + 1) return null;
  const body = tokens.slice(0, last);
  if (body.some((t) => isStructural(t)) || (body[0] && isFieldsBlock(body[0]))) return null;
  return body;
}

/** What the parser reads from `text` written as a body, or null if it would not be read as one. */
function bodyText2(text: string): string | null {
  const tokens = asBody(text);
  if (!tokens) return null;
  const lines = text.split('\n');
  const problems = new Problems();
  const out = bodyText(lines, 0, lines.length, tokens, problems);
  return problems.list.length ? null : out;
}

/** Markdown with its headings written three levels deeper (null if some heading cannot be). */
function shiftHeadings(markdown: string): string | null {
  const lines = normaliseBody(markdown).split('\n');
  for (const t of md.parse(lines.join('\n'), {})) {
    if (t.type !== 'heading_open') continue;
    const level = Number(t.tag.slice(1));
    if (isSetext(t) || level > 6 - HEADING_SHIFT) return null;
    const at = t.map?.[0] ?? 0;
    const line = lines[at] ?? '';
    const rewritten = line.replace(
      new RegExp(`^([^#]*?)#{${level}}(?=[ \\t]|$)`),
      `$1${'#'.repeat(level + HEADING_SHIFT)}`,
    );
    if (rewritten === line) return null;
    lines[at] = rewritten;
  }
  return lines.join('\n');
}

/** `## Title` when the heading reads back as exactly this title; otherwise a readable stand-in. */
function headingFor(level: 2 | 3, title: string): { text: string; exact: boolean } {
  const marks = '#'.repeat(level);
  const readsBack = (t: string) => {
    const tokens = md.parse(`${marks} ${t}`, {});
    return (
      tokens.length === 3 &&
      isStructural(tokens[0] as Token) &&
      tokens[0]?.tag === `h${level}` &&
      tokens[1]?.content === title
    );
  };
  if (title !== '' && !title.includes('\n') && readsBack(title)) return { text: `${marks} ${title}`, exact: true };
  const standIn =
    title
      .replace(/\s+/g, ' ')
      .replace(/[\s#]+$/, '')
      .trim() || 'Untitled';
  return { text: `${marks} ${standIn}`, exact: false };
}

/** A quiz as a numbered list with task-list options, or null when that list would not read back the same. */
function quizList(content: unknown): string | null {
  const quiz = QuizSchema.safeParse(content);
  if (!quiz.success || !isObj(content)) return null;
  const questions = quiz.data.questions;
  const out: string[] = [];
  questions.forEach((q, i) => {
    const marker = `${i + 1}. `;
    const indent = ' '.repeat(marker.length);
    out.push(`${marker}${q.text.split('\n').join(`\n${indent}`)}`);
    for (const o of q.options)
      out.push(`${indent}- [${o.correct ? 'x' : ' '}] ${o.text.split('\n').join(`\n${indent}  `)}`);
  });
  const text = out.join('\n');
  const problems = new Problems();
  const tokens = asBody(text);
  if (!tokens) return null;
  const parsed = parseQuiz(tokens, problems, new Map(), '');
  const original = (content.questions as unknown[]) ?? [];
  return problems.list.length === 0 && isDeepStrictEqual(parsed, original) ? text : null;
}

/** A fields block; YAML that would hold `-->` is written with escaped double-quoted strings. */
function fieldsBlock(fields: Obj): string {
  let text = yamlText(fields);
  if (text.includes(FIELDS_CLOSE)) {
    text = YAML.stringify(fields, { lineWidth: 0, defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN' }).replace(
      /-->/g,
      '--\\x3e',
    );
  }
  return `${FIELDS_OPEN}\n${text}${FIELDS_CLOSE}`;
}

const yamlText = (value: Obj) => YAML.stringify(value, { lineWidth: 0 });
