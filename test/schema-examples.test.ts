/**
 * The examples the OpenAPI document shows are real answers: each response schema's example
 * parses with that schema (a field added to a schema must be added to its example too).
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { operations } from '../src/operations/index.js';

const examples = operations.flatMap((op) =>
  Object.entries(op.responses as Record<string, z.ZodType | null>).flatMap(([status, schema]) => {
    const example = schema ? z.globalRegistry.get(schema)?.example : undefined;
    return schema && example !== undefined ? [{ name: `${op.operationId} ${status}`, schema, example }] : [];
  }),
);

describe('response examples', () => {
  it('there are examples to check', () => {
    expect(examples.map((e) => e.name)).toEqual(expect.arrayContaining(['getCourse 200', 'getLesson 200']));
  });
  it.each(examples)('$name: the example matches its schema', ({ schema, example }) => {
    const result = schema.safeParse(example);
    expect(result.success ? [] : result.error.issues).toEqual([]);
  });
});
