import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/lib/errors.js';
import {
  parseMarkdown,
  parseRichText,
  RICH_TEXT_MAX_BYTES,
  RICH_TEXT_MAX_DEPTH,
  RICH_TEXT_MAX_NODES,
  renderRichText,
} from '../../src/lib/richtext.js';

/** Runs `fn`, expects a 400 validation_error and returns its first detail. */
function refusal(fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    const e = err as AppError;
    expect(e.code).toBe('validation_error');
    expect(e.status).toBe(400);
    return { ...e.details?.[0], message: e.message };
  }
  throw new Error('expected a validation error');
}

const doc = (...content: unknown[]) => ({ type: 'doc', content });
const p = (t?: string) => (t ? { type: 'paragraph', content: [{ type: 'text', text: t }] } : { type: 'paragraph' });
/** A chain of blockquotes whose innermost paragraph sits at `depth` (doc is 0). */
function nested(depth: number, innermost: unknown = p()): Record<string, unknown> {
  let node = innermost;
  for (let level = depth - 1; level >= 1; level--) node = { type: 'blockquote', content: [node] };
  return doc(node);
}

describe('rich-text size limit (bytes as sent)', () => {
  const ascii = (n: number) => 'a'.repeat(n);

  it('accepts exactly the limit and refuses one byte more, for HTML, JSON strings and Markdown', () => {
    expect(parseRichText(ascii(RICH_TEXT_MAX_BYTES), 'content').content).toHaveLength(1);
    expect(refusal(() => parseRichText(ascii(RICH_TEXT_MAX_BYTES + 1), 'sections.0.description'))).toMatchObject({
      path: 'sections.0.description',
      code: 'too_large',
      message: "Field 'sections.0.description': invalid rich text: the rich text is larger than 200,000 bytes.",
    });
    const json = JSON.stringify(doc(p('x')));
    const padded = `${json}${' '.repeat(RICH_TEXT_MAX_BYTES + 1 - json.length)}`;
    expect(refusal(() => parseRichText(padded, 'content'))).toMatchObject({ path: 'content', code: 'too_large' });
    expect(parseMarkdown(ascii(RICH_TEXT_MAX_BYTES), 'contentMarkdown').content).toHaveLength(1);
    expect(refusal(() => parseMarkdown(ascii(RICH_TEXT_MAX_BYTES + 1), 'contentMarkdown'))).toMatchObject({
      path: 'contentMarkdown',
      code: 'too_large',
    });
  });

  it('counts UTF-8 bytes, not characters', () => {
    const half = RICH_TEXT_MAX_BYTES / 2;
    expect(parseRichText('é'.repeat(half), 'content').content).toHaveLength(1);
    expect(refusal(() => parseRichText('é'.repeat(half + 1), 'content')).code).toBe('too_large');
    expect(refusal(() => parseMarkdown('😀'.repeat(RICH_TEXT_MAX_BYTES / 4 + 1), 'm')).code).toBe('too_large');
  });

  it('measures a document object by its text content (not its JSON), before validating it', () => {
    const within = doc(p('a'.repeat(RICH_TEXT_MAX_BYTES / 2)), p('é'.repeat(RICH_TEXT_MAX_BYTES / 4)));
    expect(parseRichText(within, 'content')).toEqual(within);
    // Its JSON is far over 200,000 bytes (the stored form of ~40 KB of Markdown is): still accepted.
    const marked = doc(
      ...Array.from({ length: 2_000 }, () => ({
        type: 'paragraph',
        content: [{ type: 'text', text: 'word word word word', marks: [{ type: 'bold' }, { type: 'italic' }] }],
      })),
    );
    expect(JSON.stringify(marked).length).toBeGreaterThan(RICH_TEXT_MAX_BYTES);
    expect(parseRichText(marked, 'content')).toEqual(marked);
    expect(refusal(() => parseRichText(doc(p('a'.repeat(RICH_TEXT_MAX_BYTES)), p('é')), 'c')).code).toBe('too_large');
    // Too large and invalid (an unknown mark): the size is what is reported.
    const over = doc({
      type: 'paragraph',
      content: [{ type: 'text', text: 'a'.repeat(RICH_TEXT_MAX_BYTES + 1), marks: [{ type: 'sparkle' }] }],
    });
    expect(refusal(() => parseRichText(over, 'description'))).toMatchObject({ path: 'description', code: 'too_large' });
  });
});

describe('rich-text node limit', () => {
  it('accepts a document of exactly 10,000 nodes and refuses 10,001', () => {
    // doc + paragraph + 9,998 line breaks = 10,000 nodes (as HTML: a document object that size
    // is over the byte limit).
    const exactly = parseRichText(`<p>${'<br>'.repeat(RICH_TEXT_MAX_NODES - 2)}</p>`, 'content');
    expect((exactly.content![0] as { content: unknown[] }).content).toHaveLength(RICH_TEXT_MAX_NODES - 2);
    const detail = refusal(() => parseRichText(`<p>${'<br>'.repeat(RICH_TEXT_MAX_NODES - 1)}</p>`, 'content'));
    expect(detail).toMatchObject({ path: 'content', code: 'too_large' });
    expect(detail.message).toContain('10,000 nodes');
  });

  it('counts the nodes of a document object before its size and before validating it', () => {
    const over = doc(...Array.from({ length: RICH_TEXT_MAX_NODES / 2 }, () => p('x')), { type: 'nonsense' });
    expect(refusal(() => parseRichText(over, 'content'))).toMatchObject({
      path: 'content',
      code: 'too_large',
      message: "Field 'content': invalid rich text: the rich text is larger than 10,000 nodes.",
    });
  });

  it('refuses HTML with more than 10,000 elements before parsing it into a document', () => {
    const detail = refusal(() => parseRichText('<br>'.repeat(RICH_TEXT_MAX_NODES + 1), 'content'));
    expect(detail).toMatchObject({ path: 'content', code: 'too_large' });
    expect(detail.message).toContain('10,000 elements');
  });

  it('refuses HTML and Markdown whose document has more than 10,000 nodes', () => {
    // 5,001 elements, 10,003 nodes (doc, and a paragraph and a text each).
    expect(refusal(() => parseRichText('<p>a</p>'.repeat(5_001), 'content'))).toMatchObject({ code: 'too_large' });
    expect(refusal(() => parseMarkdown('a\n\n'.repeat(5_001), 'contentMarkdown'))).toMatchObject({
      path: 'contentMarkdown',
      code: 'too_large',
    });
  });
});

describe('rich-text depth limit', () => {
  it(`accepts nodes ${RICH_TEXT_MAX_DEPTH} levels deep and refuses one level more (code too_deep)`, () => {
    const deepest = nested(RICH_TEXT_MAX_DEPTH);
    expect(parseRichText(deepest, 'content')).toEqual(deepest);
    const detail = refusal(() => parseRichText(nested(RICH_TEXT_MAX_DEPTH, p('x')), 'content'));
    expect(detail.code).toBe('too_deep');
    expect(detail.path).toBe(`content${'.content.0'.repeat(RICH_TEXT_MAX_DEPTH)}.content`);
  });

  it('refuses a 10,000-deep document object, and a JSON string as deep as 200 KB allows, without overflowing', () => {
    const deep = nested(10_000, p('x'));
    expect(refusal(() => parseRichText(deep, 'content')).code).toBe('too_deep');
    const levels = 5_000;
    const json = `{"type":"doc","content":[${'{"type":"blockquote","content":['.repeat(levels)}{"type":"paragraph"}${']}'.repeat(levels + 1)}`;
    expect(json.length).toBeLessThan(RICH_TEXT_MAX_BYTES);
    expect(refusal(() => parseRichText(json, 'content')).code).toBe('too_deep');
  });

  it('answers deep HTML and Markdown without overflowing the stack', () => {
    // The sanitiser flattens HTML past its nesting limit; what is left must still fit the schema.
    const html = `${'<blockquote>'.repeat(10_000)}x${'</blockquote>'.repeat(10_000)}`;
    try {
      renderRichText(parseRichText(html, 'content'));
    } catch (err) {
      expect(err).toBeInstanceOf(AppError);
    }
    expect(refusal(() => parseMarkdown('> '.repeat(10_000), 'contentMarkdown'))).toMatchObject({
      path: 'contentMarkdown',
      code: 'too_deep',
    });
    // A list level is two nodes (list, item): 40 indented levels are 80 deep.
    const lists = Array.from({ length: 40 }, (_, i) => `${'  '.repeat(i)}- a`).join('\n');
    expect(refusal(() => parseMarkdown(lists, 'contentMarkdown')).code).toBe('too_deep');
    expect(parseMarkdown(lists.split('\n').slice(0, 20).join('\n'), 'contentMarkdown').content).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------------------------
// Markdown in time linear in its size. The old parser (marked) took 2.7 s on 10 KB of `_**a`
// and 27 s on 40 KB: quadratic. Each input is converted (or refused) at 50 KB and at the 200 KB
// limit; the time must grow linearly. Times are CPU time, best of three, so that other work on
// the machine does not count.

function cpuMs(fn: () => void): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    const start = process.cpuUsage();
    fn();
    const used = process.cpuUsage(start);
    best = Math.min(best, (used.user + used.system) / 1000);
  }
  return best;
}

const fill = (unit: string, bytes: number) => unit.repeat(Math.floor(bytes / unit.length));
const PATHOLOGICAL: [string, string][] = [
  ['emphasis runs _**a', '_**a'],
  ['emphasis runs *_a', '*_a'],
  ['emphasis runs **_', '**_'],
  ['emphasis pairs', '*a* '],
  ['open brackets', '['],
  ['image brackets', '!['],
  ['unclosed links', '[a]('],
  ['link references', '[a]'],
  ['backtick runs', '`'],
  ['mixed backticks', 'a`` `'],
  ['deep lists', '- '],
  ['deep block quotes', '> '],
  ['quoted lists', '> - '],
  ['HTML-ish runs', '<a '],
  ['HTML tags', '<b>x'],
  ['HTML comments', '<!--'],
  ['autolinks', '<http://a'],
  ['bare URLs', 'http://a.b/ '],
  ['entities', '&amp;'],
  ['escapes', '\\*'],
  ['short lines', 'a\n'],
  ['setext headings', 'a\n=\n'],
  ['fences', '```\n'],
];

describe('Markdown converts in linear time', () => {
  it.each(PATHOLOGICAL)('%s', (_name, unit) => {
    const convert = (bytes: number) => () => {
      try {
        renderRichText(parseMarkdown(fill(unit, bytes), 'contentMarkdown'));
      } catch (err) {
        expect(err).toBeInstanceOf(AppError); // refused within the limits is fine
      }
    };
    const small = cpuMs(convert(RICH_TEXT_MAX_BYTES / 4));
    const full = cpuMs(convert(RICH_TEXT_MAX_BYTES));
    // Four times the input may take about four times as long (plus slack for timer resolution
    // and garbage collection); quadratic would be sixteen.
    expect(full).toBeLessThan(6 * small + 25);
    // API.md §1: no input within the limits takes more than 100 ms (CPU time, best of three).
    expect(full).toBeLessThan(100);
  });
});
