/**
 * Schema-driven fuzzing of every operation in the registry (issue 12): requests generated from the
 * operations' own schemas, then mutated (wrong types, missing and unknown fields, huge strings and
 * numbers, deep nesting, unicode edge cases, garbage ids and cursors). No answer may be a 5xx, fail
 * its schema (the contract check turns that into a 500) or take a second.
 * CI runs a fixed seed; locally a random one is printed (FUZZ_SEED=… replays it).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { operations } from '../src/operations/index.js';
import type { AnyOperation } from '../src/operations/operation.js';
import { call, createSchool, setupApp } from './helpers.js';

const seed = Number(process.env.FUZZ_SEED ?? (process.env.CI ? 20261201 : Date.now() % 2 ** 31));
const RUNS_PER_OPERATION = Number(process.env.FUZZ_RUNS ?? 8);
if (!process.env.CI) console.log(`fuzz seed ${seed} (FUZZ_SEED=${seed} replays it)`);

type Schema = Record<string, unknown>;
const jsonSchema = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as Schema;

/** Values that match a JSON Schema (the subset Zod emits), bounded in size and depth. */
function arbitraryOf(schema: Schema, defs: Record<string, Schema>, depth = 0): fc.Arbitrary<unknown> {
  if (depth > 6) return fc.constant(null);
  const ref = schema.$ref as string | undefined;
  if (ref) return arbitraryOf(defs[ref.replace('#/$defs/', '')] ?? {}, defs, depth + 1);
  if ('const' in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  const alternatives = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (alternatives) return fc.oneof(...alternatives.map((a) => arbitraryOf(a, defs, depth + 1)));
  const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string | undefined];
  return fc.oneof(...types.map((t) => arbitraryOfType(t, schema, defs, depth)));
}

function arbitraryOfType(type: string | undefined, schema: Schema, defs: Record<string, Schema>, depth: number) {
  switch (type) {
    case 'string': {
      const min = Number(schema.minLength ?? 0);
      const max = Math.min(Number(schema.maxLength ?? 40), min + 40);
      if (schema.format === 'uri' || /url/i.test(String(schema.description ?? '')))
        return fc.constantFrom('https://example.com/a.png', 'http://127.0.0.1/x', 'javascript:alert(1)');
      if (schema.format === 'email') return fc.emailAddress();
      if (schema.format === 'date-time') return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
      return fc.string({ minLength: min, maxLength: max });
    }
    case 'integer':
      return fc.integer({ min: Number(schema.minimum ?? -1000), max: Math.min(Number(schema.maximum ?? 1e6), 1e9) });
    case 'number':
      return fc.double({ min: Number(schema.minimum ?? -1e6), max: Number(schema.maximum ?? 1e6), noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(arbitraryOf((schema.items as Schema) ?? {}, defs, depth + 1), {
        maxLength: Math.min(Number(schema.maxItems ?? 3), 3),
        minLength: Math.min(Number(schema.minItems ?? 0), 3),
      });
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      const required = new Set((schema.required ?? []) as string[]);
      const entries = Object.fromEntries(
        Object.entries(properties).map(([k, v]) => [k, arbitraryOf(v, defs, depth + 1)]),
      );
      return fc.record(entries, { requiredKeys: [...required].filter((k) => k in entries) });
    }
    default:
      return fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.boolean(), fc.constant(null));
  }
}

/** Ways to break a well-formed value. */
const HOSTILE = [
  'x'.repeat(100_000),
  '\u0000',
  '\uD800',
  '‮evil',
  '𝕏'.repeat(300),
  ' ',
  '../../etc/passwd',
  "' OR 1=1 --",
  '<script>alert(1)</script>',
  2 ** 53 + 1,
  -1,
  1e308,
  -0,
  true,
  null,
  [],
  {},
];
const deep = (levels: number): unknown => {
  let v: unknown = 'bottom';
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
};

function mutate(value: unknown, rnd: () => number): unknown {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const choice = Math.floor(rnd() * 6);
  if (choice === 0) return pick(HOSTILE); // the whole value replaced (wrong type)
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const obj = { ...(value as Record<string, unknown>) };
    const keys = Object.keys(obj);
    if (choice === 1 && keys.length)
      delete obj[pick(keys)]; // a field missing
    else if (choice === 2)
      obj[pick(['schoolId', 'creatorId', 'zzz', '__proto__'])] = 'sch_intruder'; // unknown field
    else if (choice === 3 && keys.length)
      obj[pick(keys)] = pick(HOSTILE); // a hostile value
    else if (choice === 4)
      obj[keys.length ? pick(keys) : 'nested'] = deep(30 + Math.floor(rnd() * 60)); // deep nesting
    else return obj;
    return obj;
  }
  return choice === 5 ? value : pick(HOSTILE);
}

const ctx = await setupApp();
const A = await createSchool(ctx);
const login = await call(ctx.app, 'POST', '/api/v1/auth/login', {
  body: { email: A.ownerEmail, password: A.password },
});
const session = `${login.cookies[0]?.name}=${login.cookies[0]?.value}`;

// Real ids for path parameters, so requests reach the services and not only the 404 path.
const course = (
  await call(ctx.app, 'POST', '/api/v1/courses', {
    key: A.key,
    body: { title: 'Fuzz', isFree: true, status: 'published', sections: [{ title: 'S', lessons: [{ title: 'L' }] }] },
  })
).json();
const student = (
  await call(ctx.app, 'POST', '/api/v1/students', { key: A.key, body: { name: 'F', email: 'fuzz@example.com' } })
).json();
const category = (await call(ctx.app, 'POST', '/api/v1/categories', { key: A.key, body: { name: 'Fuzz' } })).json();
const realIds = [
  course.id,
  course.sections?.[0]?.id,
  course.sections?.[0]?.lessons?.[0]?.id,
  student.id,
  category.id,
].filter(Boolean) as string[];
const garbageIds = ['crs_0000000000000000000000000', 'x', '%00', 'a'.repeat(400), '..', 'usr_🙂', '1e309'];

function pathOf(op: AnyOperation, rnd: () => number): string {
  return `/api/v1${op.path.replace(/:([A-Za-z]+)/g, () => {
    const pool = rnd() < 0.7 ? realIds : garbageIds;
    return encodeURIComponent(pool[Math.floor(rnd() * pool.length)]!);
  })}`;
}

function queryOf(value: unknown, rnd: () => number): string {
  if (!value || typeof value !== 'object') return '';
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(value)) if (v !== undefined) search.set(k, String(v));
  if (rnd() < 0.2) search.set('cursor', ['garbage', 'eyJ4IjoxfQ', '%%%'][Math.floor(rnd() * 3)]!);
  if (rnd() < 0.1) search.set('limit', ['0', '101', '-5', '1e3', 'abc'][Math.floor(rnd() * 5)]!);
  const text = search.toString();
  return text ? `?${text}` : '';
}

describe('schema-driven fuzz over every operation', () => {
  it.each(operations.map((op) => [op.operationId, op] as const))('%s', async (_name, op) => {
    const body = op.body ? jsonSchema(op.body) : undefined;
    const query = op.query ? jsonSchema(op.query) : undefined;
    const arbitrary = fc.record({
      body: body ? arbitraryOf(body, (body.$defs ?? {}) as Record<string, Schema>) : fc.constant(undefined),
      query: query ? arbitraryOf(query, (query.$defs ?? {}) as Record<string, Schema>) : fc.constant(undefined),
      random: fc.infiniteStream(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })),
      mutateBody: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(arbitrary, async ({ body: b, query: q, random, mutateBody }) => {
        const it = random[Symbol.iterator]();
        const rnd = () => it.next().value as number;
        const url = pathOf(op, rnd) + queryOf(q, rnd);
        const payload = op.body ? (mutateBody ? mutate(b, rnd) : b) : undefined;
        const started = performance.now();
        const res = await call(ctx.app, op.method, url, {
          ...(op.auth === 'session' ? { headers: { cookie: session } } : { key: A.key }),
          ...(payload !== undefined ? { body: payload as object } : {}),
        });
        const elapsed = performance.now() - started;
        if (res.statusCode >= 500 || elapsed > 1000) {
          throw new Error(
            `${op.method} ${url} → ${res.statusCode} in ${Math.round(elapsed)} ms: ${res.body.slice(0, 500)}\nbody: ${JSON.stringify(payload)?.slice(0, 500)}`,
          );
        }
      }),
      { seed, numRuns: RUNS_PER_OPERATION, endOnFailure: true },
    );
    expect(true).toBe(true);
  });
});
