/**
 * The typed client in a few lines: create a course, add a lesson, publish, read it back.
 *   SYLLABUS_URL=http://localhost:3000 SYLLABUS_API_KEY=syl_… node --import tsx examples/sdk-quickstart.ts
 */
import { createSyllabusClient } from '../sdk/client.js';

export async function quickstart(baseUrl: string, apiKey: string) {
  const api = createSyllabusClient({ baseUrl, apiKey });
  const { data: course, error } = await api.POST('/api/v1/courses', {
    body: { title: 'Rust in a weekend', isFree: true },
  });
  if (error) throw new Error(`${error.error}: ${error.message}`);
  await api.POST('/api/v1/courses/{id}/lessons', {
    params: { path: { id: course.id } },
    body: { title: 'Ownership', contentMarkdown: '# Ownership\n\nEvery value has **one** owner.' },
  });
  await api.POST('/api/v1/courses/{id}/publish', { params: { path: { id: course.id } } });
  const { data } = await api.GET('/api/v1/courses/{id}', { params: { path: { id: course.id } } });
  return data;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const course = await quickstart(
    process.env.SYLLABUS_URL ?? 'http://localhost:3000',
    process.env.SYLLABUS_API_KEY ?? '',
  );
  console.log(`${course?.title}: ${course?.status}, ${course?.unsectionedLessons?.length ?? 0} lesson(s)`);
}
