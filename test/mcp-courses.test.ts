/**
 * A course built and published end to end by an agent through the MCP tools (SDK client over
 * Streamable HTTP): course documents built by PostgreSQL come back as structured content, and a
 * refused publish is an error result carrying the REST error with its details.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, describe, expect, it } from 'vitest';
import { call, createKey, createSchool, listen, setupApp } from './helpers.js';

const ctx = await setupApp();
const A = await createSchool(ctx);
const base = await listen(ctx.app);
const clients: Client[] = [];
afterAll(async () => {
  for (const c of clients) await c.close();
});

async function connect(key: string) {
  const client = new Client({ name: 'syllabus-course-agent', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${key}` } },
    }),
  );
  clients.push(client);
  return client;
}

type TextContent = { type: 'text'; text: string }[];
type Lesson = { id: string; title: string; sectionId: string | null };
type Course = {
  object: string;
  id: string;
  status: string;
  publishedAt: string | null;
  sections: { title: string; lessons: Lesson[] }[];
  unsectionedLessons: Lesson[];
};

describe('courses through MCP tools', () => {
  it('creates a course with a lesson, is refused publishing without a plan, then publishes', async () => {
    const agent = await connect((await createKey(ctx, A.id, ['courses:write'])).key);
    const names = (await agent.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(
      expect.arrayContaining(['create_course', 'create_lesson', 'publish_course', 'get_course', 'create_payment_plan']),
    );

    const created = await agent.callTool({
      name: 'create_course',
      arguments: { title: 'Agents 101', sections: [{ title: 'Start' }] },
    });
    expect(created.isError).toBeFalsy();
    const course = created.structuredContent as Course;
    expect(course).toMatchObject({ object: 'course', title: 'Agents 101', status: 'draft', publishedAt: null });
    expect(course.sections.map((s) => s.title)).toEqual(['Start']);

    const lesson = await agent.callTool({
      name: 'create_lesson',
      arguments: { id: course.id, title: 'First steps', type: 'text', contentMarkdown: '# Hello' },
    });
    expect(lesson.isError).toBeFalsy();
    expect(lesson.structuredContent).toMatchObject({ object: 'lesson', courseId: course.id, title: 'First steps' });

    // A course needs a payment plan: the refusal is an error result with every unmet requirement.
    const blocked = await agent.callTool({ name: 'publish_course', arguments: { id: course.id } });
    expect(blocked.isError).toBe(true);
    expect(blocked.structuredContent).toBeUndefined();
    const error = JSON.parse((blocked.content as TextContent)[0]!.text);
    expect(error.error).toBe('publish_blocked');
    expect(error.details).toEqual([expect.objectContaining({ path: 'paymentPlans', code: 'missing_payment_plan' })]);
    expect((await call(ctx.app, 'GET', `/api/v1/courses/${course.id}`, { key: A.key })).json().status).toBe('draft');

    const plan = await agent.callTool({
      name: 'create_payment_plan',
      arguments: { id: course.id, name: 'Free', type: 'free' },
    });
    expect(plan.isError).toBeFalsy();
    const published = await agent.callTool({ name: 'publish_course', arguments: { id: course.id } });
    expect(published.isError).toBeFalsy();
    expect(published.structuredContent).toMatchObject({ id: course.id, status: 'published', isFree: true });

    const got = await agent.callTool({ name: 'get_course', arguments: { id: course.id } });
    const doc = got.structuredContent as Course;
    expect(doc.status).toBe('published');
    expect(doc.publishedAt).toEqual(expect.any(String));
    expect([...doc.sections.flatMap((s) => s.lessons), ...doc.unsectionedLessons].map((l) => l.title)).toEqual([
      'First steps',
    ]);
    // The state is REST's: the same course over HTTP.
    const rest = (await call(ctx.app, 'GET', `/api/v1/courses/${course.id}`, { key: A.key })).json();
    expect(rest).toEqual(doc);
  });

  it('a publish with nothing in the course lists both missing lessons and plan', async () => {
    const agent = await connect(A.key);
    const course = (await agent.callTool({ name: 'create_course', arguments: { title: 'Empty' } }))
      .structuredContent as Course;
    const blocked = await agent.callTool({ name: 'publish_course', arguments: { id: course.id } });
    expect(blocked.isError).toBe(true);
    const error = JSON.parse((blocked.content as TextContent)[0]!.text);
    expect(error.details.map((d: { code: string }) => d.code).sort()).toEqual([
      'missing_lesson',
      'missing_payment_plan',
    ]);
  });

  it('a courses:read key gets get_course but no write tools', async () => {
    const reader = await connect((await createKey(ctx, A.id, ['courses:read'])).key);
    const names = (await reader.listTools()).tools.map((t) => t.name);
    expect(names).toContain('get_course');
    expect(names).not.toContain('publish_course');
    const refused = await reader.callTool({ name: 'create_course', arguments: { title: 'No' } });
    expect(refused.isError).toBe(true);
    expect(JSON.parse((refused.content as TextContent)[0]!.text).error).toBe('forbidden');
  });
});
