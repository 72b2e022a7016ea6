/**
 * `GET /llms.txt`: how a language model uses this API and its MCP server, in Markdown (the
 * llms.txt convention). It links the OpenAPI document for everything it leaves out.
 */
import type { FastifyInstance } from 'fastify';

export function llmsTxt(publicUrl: string): string {
  return `# Syllabus API

> Syllabus is a self-hostable, API-first course platform: schools create courses (sections,
> lessons, quizzes, payment plans), enrol students, track progress and issue certificates. Every
> operation is a REST call under ${publicUrl}/api/v1 and a tool of the MCP server at ${publicUrl}/mcp.

- OpenAPI 3.1 document (every operation, schema, status and error code): ${publicUrl}/api/v1/openapi.json
- Interactive reference: ${publicUrl}/docs

## Authentication
- Send an API key: \`Authorization: Bearer syl_…\` (or \`x-api-key: syl_…\`). Never in the URL.
- A key belongs to one school and holds scopes: \`*\`, \`courses:read|write\`, \`students:read|write\`,
  \`enrollments:read|write\`, \`communities:read|write\`, \`media:read|write\`, \`webhooks:read|write\`
  (\`:write\` implies \`:read\`). A missing scope is \`403 forbidden\` naming it.
- Other schools' ids answer \`404 not_found\`, exactly like ids that do not exist.
- Keys are created by the school owner (dashboard or \`POST /api/v1/api-keys\` with a session).

## MCP
- \`POST ${publicUrl}/mcp\`, Streamable HTTP, stateless, same \`Authorization\` header. One tool per
  operation your key's scopes allow, named from the operationId in snake_case (\`create_course\`,
  \`get_course\`, \`publish_course\`, \`list_students\` …). Arguments are the path, query and body fields
  merged; \`idempotencyKey\` on creating tools, \`ifMatch\` on updates and deletes.
- A failed call is \`isError: true\` with the REST error object as JSON text.
- Desktop agents: \`npx syllabus mcp\` with \`SYLLABUS_API_KEY\` (stdio).

## Conventions
- JSON in and out. Ids are prefixed and sortable: \`crs_\` course, \`sec_\` section, \`les_\` lesson,
  \`pln_\` payment plan, \`usr_\` user or student, \`enr_\` enrollment, \`crt_\` certificate, \`med_\` media,
  \`cat_\` category, \`com_\` community. Times are ISO 8601 UTC; money is integer minor units + \`currency\`.
- Every object has \`object\`, \`id\`, \`createdAt\`, \`updatedAt\`. A single resource is returned bare;
  lists are \`{ "data": [...], "pagination": { page, limit, total, totalPages, hasMore, nextCursor } }\`.
- Pagination: \`?limit=1..100\`; walk long lists with \`?cursor=<nextCursor>\` (constant time at any depth).
- Bodies are strict: an unknown field is a \`400 validation_error\` naming it, and nothing is written.
- Errors always look like \`{ "error": "validation_error", "message": "…", "details": [{ "path":
  "sections.1.lessons.0.title", "message": "…", "code": "…" }], "requestId": "req_…" }\`. Fix the
  field named by \`details[].path\` and send again. \`429 rate_limited\` carries \`Retry-After\` (seconds).

## Safe retries
- Send \`Idempotency-Key: <unique string>\` on every POST. A retry with the same key and body replays
  the first answer (\`Idempotent-Replayed: true\`) instead of creating a second resource; the same key
  with another body is \`422 idempotency_key_reused\`.
- Responses carry an \`ETag\`; send it back as \`If-Match\` on PATCH/PUT/DELETE to avoid overwriting a
  concurrent change (\`412 precondition_failed\` if it changed).

## The course model
- A course (\`POST /api/v1/courses\`) has \`title\`, \`type\`, \`status\` (\`draft\` | \`published\` | \`archived\`),
  \`description\` (rich text), \`tags\`, \`externalId\` (your id, unique per school) and a curriculum:
  ordered \`sections[]\`, each with ordered \`lessons[]\`, plus \`unsectionedLessons[]\`. It can be created
  whole in one call by nesting \`sections[].lessons[]\` (at most 200 sections and 1,000 lessons).
- Lessons: \`type\` \`text\` | \`video\` | \`audio\` | \`pdf\` | \`file\` | \`embed\` | \`quiz\`. Text content is a
  Tiptap/ProseMirror document, an HTML string, or Markdown sent as \`contentMarkdown\`. Video lessons
  take \`videoUrl\` (YouTube, Vimeo, direct file). A quiz's \`content\` is
  \`{ questions: [{ text, options: [{ text, correct }] }], passingScore }\`.
- Publishing (\`POST /api/v1/courses/{id}/publish\`) needs at least one lesson and an active payment plan
  (\`isFree: true\` on create makes a free one); otherwise \`409 publish_blocked\` lists what is missing.
- Students: \`POST /api/v1/students\`; enrol with \`POST /api/v1/enrollments {studentId, courseId}\`;
  record progress with \`PATCH /api/v1/enrollments/{id} {lessonId, completed}\`. At 100 % the student
  gets a certificate, verifiable by anyone at \`GET /api/v1/verify/{code}\`.

## Keeping content in sync
- Declarative sync: \`PUT /api/v1/courses/by-external-id/{externalId}\` takes the whole course document
  (course fields, \`sections[]\` with their \`lessons[]\`, \`unsectionedLessons[]\`, \`paymentPlans[]\`;
  children matched by their own \`externalId\`) and makes the stored course equal to it in one
  transaction, answering \`changes: {created, updated, deleted, unchanged}\`; the same document twice
  changes nothing; \`?dryRun=true\` only reports. \`GET /api/v1/courses/{id}/export\` returns that
  document; \`POST /api/v1/courses/bulk {courses: [...]}\` creates up to 100 courses with a result each.
- Prefer one call over many: create a whole course with its sections and lessons nested (one
  transaction), and find courses by your own id with \`GET /api/v1/courses?externalId=…\`.
- Send an \`Idempotency-Key\` with every create so a retried sync step never creates twice, and
  \`If-Match\` with updates so a concurrent edit is never overwritten silently.
- Webhooks (\`POST /api/v1/webhooks\`) and \`GET /api/v1/events?after=<cursor>\` tell an integration what
  changed.

## Acting for one learner
- A learner token (\`slt_…\`, minted by \`POST /api/v1/students/{id}/tokens\` with a school key) acts as one
  student on the \`/api/v1/me…\` routes only: the student's profile, enrolments, course outline with
  locks, lessons (quizzes without their answers) and \`POST …/lessons/{lessonId}/progress\`. Called with a
  learner token, the MCP server lists only those tools — the right credential for a tutoring agent.
`;
}

export function mountLlmsTxt(app: FastifyInstance, publicUrl: string) {
  const text = llmsTxt(publicUrl);
  for (const url of ['/llms.txt', '/api/v1/llms.txt']) {
    app.get(url, { schema: { hide: true }, config: { auth: 'none' } }, async (_req, reply) =>
      reply.type('text/markdown; charset=utf-8').send(text),
    );
  }
}
