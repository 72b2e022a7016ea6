import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { nextSlugNumber } from '../../src/db/unique-slug.js';
import { apiKeyDisplayPrefix, generateApiKey, hashApiKey, isWellFormedApiKey } from '../../src/lib/api-keys.js';
import { AppError } from '../../src/lib/errors.js';
import { assertIfMatch, etagOf } from '../../src/lib/etag.js';
import { isId, newId } from '../../src/lib/ids.js';
import { decodeCursor, encodeCursor, PaginationQuerySchema, toListRequest } from '../../src/lib/pagination.js';
import { scopeGrants } from '../../src/lib/scopes.js';
import { applyFields, parseFields, parseInclude } from '../../src/lib/shape.js';
import { slugify } from '../../src/lib/slug.js';

describe('API keys', () => {
  it('have the syl_ + 32 + 6 checksum format and validate without I/O', () => {
    const key = generateApiKey();
    expect(key).toMatch(/^syl_[0-9A-Za-z]{38}$/);
    expect(isWellFormedApiKey(key)).toBe(true);
    expect(apiKeyDisplayPrefix(key)).toBe(key.slice(0, 12));
    expect(hashApiKey(key)).toHaveLength(64);
    expect(hashApiKey(key)).not.toContain(key.slice(4, 20));
  });

  it('reject a typo, a truncation and a bad checksum', () => {
    const key = generateApiKey();
    const typo = key.slice(0, 10) + (key[10] === 'a' ? 'b' : 'a') + key.slice(11);
    expect(isWellFormedApiKey(typo)).toBe(false);
    expect(isWellFormedApiKey(key.slice(0, -1))).toBe(false);
    expect(isWellFormedApiKey(`${key.slice(0, -6)}000000`)).toBe(false);
    expect(isWellFormedApiKey(`sk_${key.slice(4)}`)).toBe(false);
    expect(isWellFormedApiKey('')).toBe(false);
  });
});

describe('scopes', () => {
  it('* grants all, area:* grants both halves, write implies read', () => {
    expect(scopeGrants(['*'], 'courses:write')).toBe(true);
    expect(scopeGrants(['courses:*'], 'courses:write')).toBe(true);
    expect(scopeGrants(['courses:*'], 'students:read')).toBe(false);
    expect(scopeGrants(['courses:write'], 'courses:read')).toBe(true);
    expect(scopeGrants(['courses:read'], 'courses:write')).toBe(false);
    expect(scopeGrants(['students:write'], 'courses:read')).toBe(false);
    expect(scopeGrants([], 'courses:read')).toBe(false);
  });
});

describe('ids', () => {
  it('are prefixed and sort by creation time', () => {
    const a = newId('course', 1_700_000_000_000);
    const b = newId('course', 1_700_000_000_001);
    expect(a).toMatch(/^crs_[0-9A-Z]{26}$/);
    expect(a < b).toBe(true);
    expect(isId('course', a)).toBe(true);
    expect(isId('lesson', a)).toBe(false);
  });
});

describe('config', () => {
  it('has defaults', () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.bodyLimitBytes).toBe(5 * 1024 * 1024);
    expect(c.rateLimitPerMinute).toBe(100);
    expect(c.databaseUrl).toBeUndefined();
    expect(c.publicUrl).toBe('http://localhost:3000');
  });

  it('names every bad variable', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ LOG_LEVEL: 'loud', RATE_LIMIT_PER_MINUTE: '0' })).toThrow(
      /LOG_LEVEL[\s\S]*RATE_LIMIT_PER_MINUTE/,
    );
    expect(() => loadConfig({ REDIS_URL: 'http://x' })).toThrow(/REDIS_URL/);
  });
});

describe('pagination', () => {
  const q = (o: Record<string, unknown>) => PaginationQuerySchema.extend({}).parse(o);
  it('round-trips cursors and refuses one from another sort', () => {
    const c = encodeCursor('-createdAt', '2026-01-01T00:00:00.000Z', 'cat_1');
    expect(decodeCursor(c, '-createdAt')).toEqual({ value: '2026-01-01T00:00:00.000Z', id: 'cat_1' });
    expect(() => decodeCursor(c, 'name')).toThrow(AppError);
    expect(() => decodeCursor('garbage', 'name')).toThrow(/cursor/);
  });
  it('refuses page with cursor and unknown sorts', () => {
    expect(() => toListRequest({ ...q({ page: 2 }), cursor: 'x' }, ['name'], 'name')).toThrow(
      /either 'page' or 'cursor'/,
    );
    expect(() => toListRequest({ ...q({}), sort: 'bogus' }, ['name'], 'name')).toThrow(/Unknown sort/);
    expect(toListRequest({ ...q({ page: 3, limit: 10 }), sort: '-name' }, ['name'], 'name')).toEqual({
      limit: 10,
      offset: 20,
      sort: { key: 'name', desc: true },
    });
  });
});

describe('slugs', () => {
  it('slugify', () => {
    expect(slugify('  Intro to Rust!  ')).toBe('intro-to-rust');
    expect(slugify('Crème brûlée 101')).toBe('creme-brulee-101');
    expect(slugify('!!!')).toBe('item');
  });
  it('next number', () => {
    expect(nextSlugNumber('rust', [])).toBe(1);
    expect(nextSlugNumber('rust', ['rust'])).toBe(2);
    expect(nextSlugNumber('rust', ['rust', 'rust-2', 'rust-7', 'rust-lang'])).toBe(3);
    expect(nextSlugNumber('top', ['top-10'])).toBe(1);
  });
});

describe('etag / If-Match', () => {
  const row = { id: 'cat_1', version: 3 };
  it('matches the current tag, * and lists', () => {
    expect(() => assertIfMatch(undefined, row)).not.toThrow();
    expect(() => assertIfMatch(etagOf(row), row)).not.toThrow();
    expect(() => assertIfMatch('*', row)).not.toThrow();
    expect(() => assertIfMatch(`"x", ${etagOf(row)}`, row)).not.toThrow();
    expect(() => assertIfMatch(etagOf({ id: 'cat_1', version: 2 }), row)).toThrow(/If-Match/);
  });
});

describe('include and fields', () => {
  it('parses and applies', () => {
    expect([...parseInclude('a, b.c', ['a', 'b.c'])]).toEqual(['a', 'b.c']);
    expect(() => parseInclude('x', ['a'])).toThrow(/Unknown include 'x'/);
    const fields = parseFields({ 'fields[courses]': 'title,slug', limit: '3' }, ['courses']);
    expect(applyFields({ id: '1', object: 'course', title: 't', slug: 's', price: 1 }, fields, 'courses')).toEqual({
      id: '1',
      object: 'course',
      title: 't',
      slug: 's',
    });
    expect(() => parseFields({ 'fields[nope]': 'a' }, ['courses'])).toThrow(/Unknown type 'nope'/);
  });
});

describe('PostgreSQL error mapping', async () => {
  const { toAppError } = await import('../../src/plugins/errors.js');
  const pgError = (code: string, constraint?: string) =>
    Object.assign(new Error('db'), { code, constraint, severity: 'ERROR' });
  const wrapped = (e: Error) => Object.assign(new Error('Failed query: insert …'), { cause: e });

  it('maps unique violations by constraint suffix, through Drizzle’s wrapper', () => {
    expect(toAppError(wrapped(pgError('23505', 'categories_school_slug_uq')))).toMatchObject({
      code: 'duplicate_slug',
      status: 409,
    });
    expect(toAppError(pgError('23505', 'users_school_email_uq'))).toMatchObject({ code: 'duplicate_email' });
    expect(toAppError(pgError('23505', 'courses_school_external_id_uq'))).toMatchObject({
      code: 'duplicate_external_id',
    });
    expect(toAppError(pgError('23505', 'sections_course_title_uq'))).toMatchObject({ code: 'duplicate_title' });
    expect(toAppError(pgError('23505', 'something_else'))).toMatchObject({ code: 'conflict', status: 409 });
  });

  it('maps foreign keys, serialization failures and bad values; leaves the rest to 500', () => {
    expect(toAppError(pgError('23503'))).toMatchObject({ code: 'not_found', status: 404 });
    expect(toAppError(pgError('23001'))).toMatchObject({ code: 'conflict', status: 409 });
    expect(toAppError(pgError('40001'))).toMatchObject({ code: 'conflict' });
    expect(toAppError(pgError('22021'))).toMatchObject({ code: 'validation_error' });
    expect(toAppError(pgError('XX000'))).toBeUndefined();
    expect(toAppError(new Error('boom'))).toBeUndefined();
  });
});
