import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { exceedsJsonDepth, MAX_JSON_DEPTH } from '../../src/lib/json-depth.js';
import { RICH_TEXT_MAX_BYTES } from '../../src/lib/richtext.js';
import { overRichTextLimit } from '../../src/lib/richtext-input.js';
import { limitedArray, zodIssuesToDetails } from '../../src/lib/validation.js';

/** The depth of a parsed value, the way the limit counts it (for comparison with the scanner). */
function depthOf(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + Math.max(0, ...children.map(depthOf));
}

describe('exceedsJsonDepth', () => {
  it('counts a top-level object or array as 1 and a scalar as 0', () => {
    expect(exceedsJsonDepth('1', 0)).toBe(false);
    expect(exceedsJsonDepth('"[[["', 0)).toBe(false);
    expect(exceedsJsonDepth('{}', 0)).toBe(true);
    expect(exceedsJsonDepth('{}', 1)).toBe(false);
    expect(exceedsJsonDepth('[[], {"a": [1]}]', 2)).toBe(true);
    expect(exceedsJsonDepth('[[], {"a": [1]}]', 3)).toBe(false);
  });

  it('allows 64 levels and refuses 65 by default', () => {
    expect(MAX_JSON_DEPTH).toBe(64);
    expect(exceedsJsonDepth(`${'['.repeat(64)}${']'.repeat(64)}`)).toBe(false);
    expect(exceedsJsonDepth(`${'['.repeat(65)}${']'.repeat(65)}`)).toBe(true);
    // Siblings do not add up: 100 arrays side by side at level 2 are depth 2.
    expect(exceedsJsonDepth(`[${'[],'.repeat(100)}[]]`, 2)).toBe(false);
  });

  it('ignores brackets inside strings, including after escaped quotes and backslashes', () => {
    expect(exceedsJsonDepth('["[[[[", "{{{{"]', 1)).toBe(false);
    expect(exceedsJsonDepth('["\\"[[[", "x"]', 1)).toBe(false);
    expect(exceedsJsonDepth('["\\\\", [1]]', 1)).toBe(true); // the string ends after the escaped backslash
    expect(exceedsJsonDepth('{"k\\"{": {"v": "}}}"}}', 2)).toBe(false);
    expect(exceedsJsonDepth('{"k\\"{": {"v": "}}}"}}', 1)).toBe(true);
  });

  it('agrees with the parsed value on random documents', () => {
    const pick = (n: number) => Math.floor(Math.random() * n);
    const build = (level: number): unknown => {
      if (level > 8 || pick(3) === 0) return ['x', '"]{', 1, null, '\\'][pick(5)];
      if (pick(2) === 0) return Array.from({ length: pick(4) }, () => build(level + 1));
      return Object.fromEntries(Array.from({ length: pick(4) }, (_, i) => [`k${i}[{"`, build(level + 1)]));
    };
    for (let i = 0; i < 300; i++) {
      const value = build(0);
      const text = JSON.stringify(value);
      const depth = depthOf(value);
      expect(exceedsJsonDepth(text, depth)).toBe(false);
      if (depth > 0) expect(exceedsJsonDepth(text, depth - 1)).toBe(true);
    }
  });

  it('stops early on a very deep body and leaves invalid JSON to the parser', () => {
    const deep = '['.repeat(5_000_000);
    const started = performance.now();
    expect(exceedsJsonDepth(deep)).toBe(true);
    expect(performance.now() - started).toBeLessThan(50);
    expect(exceedsJsonDepth('{"unterminated: [[[[')).toBe(false);
    expect(exceedsJsonDepth(']]]]')).toBe(false);
  });
});

describe('limit codes in validation details', () => {
  it('limitedArray reports too_many_items before validating any item', () => {
    const schema = limitedArray(z.array(z.string()), 3, 'names');
    expect(schema.safeParse(['a', 'b', 'c']).success).toBe(true);
    const over = schema.safeParse([1, 2, 3, 4]);
    expect(over.success).toBe(false);
    expect(zodIssuesToDetails(over.error!.issues, ['names'])).toEqual([
      { path: 'names', code: 'too_many_items', message: 'At most 3 names per request; this one has 4.' },
    ]);
    // Within the limit, items are validated as usual.
    const bad = schema.safeParse([1]);
    expect(zodIssuesToDetails(bad.error!.issues)).toEqual([
      expect.objectContaining({ path: '0', code: 'invalid_type' }),
    ]);
  });

  it('a custom issue without a named code stays custom', () => {
    const schema = z.string().refine((s) => s !== 'x', 'Not x.');
    expect(zodIssuesToDetails(schema.safeParse('x').error!.issues)).toEqual([
      { path: '', code: 'custom', message: 'Not x.' },
    ]);
  });

  it('overRichTextLimit measures UTF-8 bytes', () => {
    expect(overRichTextLimit('a'.repeat(RICH_TEXT_MAX_BYTES))).toBe(false);
    expect(overRichTextLimit('a'.repeat(RICH_TEXT_MAX_BYTES + 1))).toBe(true);
    expect(overRichTextLimit('é'.repeat(RICH_TEXT_MAX_BYTES / 2))).toBe(false);
    expect(overRichTextLimit('é'.repeat(RICH_TEXT_MAX_BYTES / 2 + 1))).toBe(true);
    expect(overRichTextLimit('😀'.repeat(RICH_TEXT_MAX_BYTES / 4 + 1))).toBe(true);
  });
});
