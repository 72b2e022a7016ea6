/**
 * Every event type end to end (issue 13): one school, a local receiver subscribed to `*`, real API
 * calls that cause each type of API.md §2 "Webhooks and events", real workers (fan-out, delivery,
 * image copies). Each delivery verifies with standardwebhooks' own Webhook#verify, each event id
 * arrives exactly once, each body is GET /events/{id}, and the actor is the key that made the call
 * — or the system for what the image-copy job records (docs/decisions.md "Events from every
 * service", 158 and the actor rule). webhook.disabled is covered by test/webhooks-disable.test.ts
 * (it needs an endpoint failing until the disable threshold).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { TASKS } from '../src/jobs/queue.js';
import { countJobs } from '../src/jobs/queue.repo.js';
import { EVENT_TYPES } from '../src/modules/events/events.schemas.js';
import { call, createKey, createSchool, PNG } from './helpers.js';
import { eventsOf, type ListedEvent, waitForEvent } from './jobs-helpers.js';
import { setupWebhookApp, startReceiver, verify, waitFor } from './webhooks-helpers.js';

// A local image server (allowed by OUTBOUND_ALLOW_HOSTS=127.0.0.1): /ok.png is an image, the rest 404.
const imageServer = http.createServer((req, res) => {
  if (req.url === '/ok.png') res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
  else res.writeHead(404).end();
});
await new Promise<void>((r) => imageServer.listen(0, '127.0.0.1', r));
afterAll(() => new Promise<void>((r) => imageServer.close(() => r())));
const images = `http://127.0.0.1:${(imageServer.address() as AddressInfo).port}`;

const ctx = await setupWebhookApp();
const A = await createSchool(ctx);
const B = await createSchool(ctx);
/** Every write goes through this key: every event a request causes names it as actor. */
const writer = await createKey(ctx, A.id, ['*']);
const keyActor = { type: 'key', id: writer.id };
const systemActor = { type: 'system', id: null };

const api = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown, expected?: number) => {
  const res = await call(ctx.app, method, `/api/v1${url}`, { key: writer.key, body });
  if (expected !== undefined) expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(expected);
  return res;
};

async function subscribe(key: string, url: string) {
  const res = await call(ctx.app, 'POST', '/api/v1/webhooks', { key, body: { url, events: ['*'] } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; secret: string };
}

const quiz = {
  questions: [
    {
      text: '2+2',
      options: [
        { text: '4', correct: true },
        { text: '5', correct: false },
      ],
    },
  ],
  passingScore: 100,
};

/** The API calls: each type of EVENT_TYPES but webhook.disabled, at least once. */
async function causeEveryEvent(hookId: string) {
  // Courses, sections, lessons, payment plans.
  const course = (await api('POST', '/courses', { title: 'Every event', isFree: true }, 201)).json();
  await api('PATCH', `/courses/${course.id}`, { title: 'Every event, renamed' }, 200);
  const section = (await api('POST', `/courses/${course.id}/sections`, { title: 'S1' }, 201)).json();
  await api('PATCH', `/courses/${course.id}/sections/${section.id}`, { title: 'Section one' }, 200);
  const lesson = (
    await api('POST', `/courses/${course.id}/lessons`, { title: 'L1', sectionId: section.id }, 201)
  ).json();
  await api('PATCH', `/courses/${course.id}/lessons/${lesson.id}`, { title: 'Lesson one' }, 200);
  const doomedLesson = (
    await api('POST', `/courses/${course.id}/lessons`, { title: 'Gone', sectionId: section.id }, 201)
  ).json();
  await api('DELETE', `/courses/${course.id}/lessons/${doomedLesson.id}`, undefined, 204);
  const doomedSection = (await api('POST', `/courses/${course.id}/sections`, { title: 'Gone' }, 201)).json();
  await api('DELETE', `/courses/${course.id}/sections/${doomedSection.id}`, undefined, 204);
  const plan = (
    await api('POST', `/courses/${course.id}/payment-plans`, { name: 'Paid', type: 'one_time', amount: 10 }, 201)
  ).json();
  await api('PATCH', `/courses/${course.id}/payment-plans/${plan.id}`, { amount: 20 }, 200);
  await api('DELETE', `/courses/${course.id}/payment-plans/${plan.id}`, undefined, 200);
  await api('POST', `/courses/${course.id}/publish`, undefined, 200);
  await api('DELETE', `/courses/${course.id}/publish`, undefined, 200);
  const doomedCourse = (await api('POST', '/courses', { title: 'Doomed' }, 201)).json();
  await api('DELETE', `/courses/${doomedCourse.id}`, undefined, 204);
  // Image URLs: copied by the job after the write (media.ready + lesson.updated), or refused (media.failed).
  await api(
    'POST',
    `/courses/${course.id}/lessons`,
    { title: 'Picture', sectionId: section.id, thumbnailUrl: `${images}/ok.png` },
    201,
  );
  await api(
    'POST',
    `/courses/${course.id}/lessons`,
    { title: 'Broken picture', sectionId: section.id, thumbnailUrl: `${images}/gone.png` },
    201,
  );

  // Students, enrollments, learning, certificates, achievements.
  const learning = (
    await api(
      'POST',
      '/courses',
      {
        title: 'Learning',
        isFree: true,
        status: 'published',
        sections: [{ title: 'S', lessons: [{ title: 'Quiz', type: 'quiz', content: quiz }, { title: 'Read' }] }],
      },
      201,
    )
  ).json();
  const [quizId, readId] = learning.sections[0].lessons.map((l: { id: string }) => l.id);
  const student = (await api('POST', '/students', { name: 'Ada', email: 'ada@example.com' }, 201)).json();
  await api('PATCH', `/students/${student.id}`, { name: 'Ada Lovelace' }, 200);
  const enrollment = (await api('POST', '/enrollments', { studentId: student.id, courseId: learning.id }, 201)).json();
  await api('PATCH', `/enrollments/${enrollment.id}`, { lessonId: quizId, completed: true, answers: [[0]] }, 200);
  const done = await api('PATCH', `/enrollments/${enrollment.id}`, { lessonId: readId, completed: true }, 200);
  expect(done.json().progress.percent).toBe(100);
  const certificates = (await api('GET', `/certificates?studentId=${student.id}`, undefined, 200)).json().data;
  expect(certificates).toHaveLength(1);
  await api('POST', `/certificates/${certificates[0].id}/revoke`, { reason: 'Issued by mistake' }, 200);
  const leaver = (await api('POST', '/students', { name: 'Leaver', email: 'leaver@example.com' }, 201)).json();
  const brief = (await api('POST', '/enrollments', { studentId: leaver.id, courseId: learning.id }, 201)).json();
  await api('DELETE', `/enrollments/${brief.id}`, undefined, 204);
  await api('DELETE', `/students/${leaver.id}`, undefined, 204);

  // Communities.
  const community = (await api('POST', '/communities', { name: 'Talk', slug: 'talk' }, 201)).json();
  await api('POST', `/communities/${community.id}/members`, { userId: student.id }, 201);
  const thread = (
    await api(
      'POST',
      `/communities/${community.id}/threads`,
      { title: 'Hi', content: 'Hello', userId: student.id },
      201,
    )
  ).json();
  await api(
    'POST',
    `/communities/${community.id}/threads/${thread.id}/comments`,
    { content: 'First', userId: student.id },
    201,
  );

  // The endpoint's own test event.
  await api('POST', `/webhooks/${hookId}/test`, undefined, 202);
}

describe('every event type, delivered', () => {
  it('arrives once per event, signed, equal to GET /events/{id}, with the right actor', async () => {
    const receiver = await startReceiver();
    const hook = await subscribe(A.key, receiver.url);
    // Another school's `*` endpoint gets none of A's events.
    const other = await startReceiver();
    await subscribe(B.key, other.url);
    const before = new Set((await eventsOf(ctx, writer.key)).map((e) => e.id));

    await causeEveryEvent(hook.id);
    // Nothing is delivered inside a request: the workers have not started yet.
    expect(receiver.received).toEqual([]);

    await ctx.startWorkers();
    await waitForEvent(ctx, writer.key, 'media.ready');
    await waitForEvent(ctx, writer.key, 'media.failed');
    const jobsLeft = async () =>
      (await countJobs(ctx.database.db, TASKS.copyImage)) +
      (await countJobs(ctx.database.db, TASKS.fanOut)) +
      (await countJobs(ctx.database.db, TASKS.deliver));
    await waitFor(async () => (await jobsLeft()) === 0, 20_000, 'the queue to drain');
    const caused: ListedEvent[] = (await eventsOf(ctx, writer.key)).filter((e) => !before.has(e.id));
    const ids = new Set(caused.map((e) => e.id));
    await waitFor(
      () => [...ids].every((id) => receiver.received.some((r) => r.headers['webhook-id'] === id)),
      20_000,
      'every event at the receiver',
    );

    // Every type but webhook.disabled was caused, and each was delivered.
    const expectedTypes = EVENT_TYPES.filter((t) => t !== 'webhook.disabled');
    expect([...new Set(caused.map((e) => e.type))].sort()).toEqual([...expectedTypes].sort());

    // Each event exactly once (the queue is drained: no retry is pending), nothing else.
    const deliveredIds = receiver.received.map((r) => String(r.headers['webhook-id']));
    expect(deliveredIds.length).toBe(new Set(deliveredIds).size);
    expect(new Set(deliveredIds)).toEqual(ids);

    const systemEvents: string[] = [];
    for (const r of receiver.received) {
      const payload = verify(hook.secret, r);
      expect(payload.id).toBe(r.headers['webhook-id']);
      const listed = await api('GET', `/events/${payload.id}`, undefined, 200);
      expect(payload, String(payload.type)).toEqual(listed.json());
      const event = payload as unknown as ListedEvent;
      if (event.actor.type === 'system') systemEvents.push(event.type);
      else expect(event.actor, event.type).toEqual(keyActor);
      // A tampered body does not verify.
      expect(() => verify(hook.secret, { ...r, body: r.body.replace('"event"', '"Event"') })).toThrow();
    }
    // The system acts only in the image-copy job: its media.* and the lesson it set the copy on.
    expect(systemEvents.sort()).toEqual(['lesson.updated', 'media.failed', 'media.ready']);
    const copied = caused.find((e) => e.type === 'lesson.updated' && e.actor.type === 'system');
    expect(copied?.data.previousAttributes).toEqual({ thumbnailMediaId: null });
    const ready = caused.find((e) => e.type === 'media.ready');
    expect(ready?.actor).toEqual(systemActor);
    expect(copied?.data.object.thumbnailMediaId).toBe(ready?.data.object.id);
    expect(caused.find((e) => e.type === 'media.failed')?.data.object).toMatchObject({
      url: `${images}/gone.png`,
      code: 'fetch_failed',
    });

    expect(other.received).toEqual([]);
  });
});
