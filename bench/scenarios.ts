import { newId } from '../src/lib/ids.js';
import { encodeCursor } from '../src/lib/pagination.js';
import { COURSE_FROM_SQL, courseJson, lessonJson } from '../src/modules/courses/course-json.js';
import type { Scenario } from './run.js';

const COURSE_DOC_SQL = `SELECT ${courseJson(true)}::text AS json FROM ${COURSE_FROM_SQL} WHERE c.school_id = $1 AND c.id = $2`;

/** The benchmark scenarios, in the order they run. */
export const scenarios: Scenario[] = [
  {
    name: 'GET /categories (authenticated list)',
    // Auth, rate limit, validation and logging hooks against a bare route: a small query shows them most.
    target: 0.4,
    async seed({ services }) {
      const school = await services.schools.create({
        name: 'Bench school',
        ownerEmail: 'bench@example.com',
        ownerPassword: 'bench password',
      });
      for (let i = 0; i < 30; i++) await services.categories.create(school.school.id, { name: `Category ${i}` });
      return { path: '/api/v1/categories?limit=20', key: school.apiKey, schoolId: school.school.id };
    },
    baseline(app, pool, { schoolId }) {
      app.get('/api/v1/categories', async () => {
        const { rows } = await pool.query(
          `SELECT id, name, slug, icon, "order", created_at AS "createdAt", updated_at AS "updatedAt"
             FROM categories WHERE school_id = $1 ORDER BY "order", id LIMIT 21`,
          [schoolId],
        );
        return { categories: rows.slice(0, 20).map((r) => ({ object: 'category', ...r })) };
      });
    },
  },
  {
    name: 'GET /courses/{id} (10 sections x 10 lessons)',
    // Issue 3: at least 70 % of the same single query on a bare Fastify route.
    target: 0.7,
    async seed({ services }) {
      const school = await services.schools.create({
        name: 'Bench courses',
        ownerEmail: 'bench-c@example.com',
        ownerPassword: 'bench password',
      });
      const body =
        '<h2>Lesson</h2><p>Some <strong>rich</strong> text with a <a href="https://example.com">link</a>.</p><ul><li>one</li><li>two</li></ul>';
      const course = await services.courses.create(school.school.id, {
        title: 'Ten by ten',
        isFree: true,
        sections: Array.from({ length: 10 }, (_, i) => ({
          title: `Section ${i + 1}`,
          lessons: Array.from({ length: 10 }, (_, j) => ({
            title: `Lesson ${i + 1}.${j + 1}`,
            content: body,
            duration: 300,
          })),
        })),
      });
      return {
        path: `/api/v1/courses/${course.id}`,
        key: school.apiKey,
        schoolId: school.school.id,
        courseId: course.id,
      };
    },
    baseline(app, pool, { schoolId, courseId }) {
      app.get('/api/v1/courses/:id', async (_req, reply) => {
        const { rows } = await pool.query<{ json: string }>(COURSE_DOC_SQL, [schoolId, courseId]);
        return reply.type('application/json').send(rows[0]!.json);
      });
    },
  },
  {
    name: 'GET /courses?cursor= (depth 9,000 of 10,000)',
    target: 0.5,
    async seed({ services, pool }) {
      const school = await services.schools.create({
        name: 'Bench list',
        ownerEmail: 'bench-l@example.com',
        ownerPassword: 'bench password',
      });
      const schoolId = school.school.id;
      await pool.query(
        `INSERT INTO courses (id, school_id, title, slug, created_at, updated_at)
         SELECT 'crs_' || lpad(i::text, 26, '0'), $1, 'Course ' || i, 'course-' || i,
                timestamp '2026-01-01' + i * interval '1 second', now()
           FROM generate_series(1, 10000) AS i`,
        [schoolId],
      );
      await pool.query('ANALYZE courses');
      const { rows } = await pool.query<{ id: string; created_at: Date }>(
        'SELECT id, created_at FROM courses WHERE school_id = $1 ORDER BY created_at DESC, id DESC OFFSET 8999 LIMIT 1',
        [schoolId],
      );
      const at = rows[0]!;
      const cursor = encodeCursor('-createdAt', at.created_at.toISOString(), at.id);
      return { path: `/api/v1/courses?limit=20&cursor=${cursor}`, key: school.apiKey, schoolId, after: at };
    },
    baseline(app, pool, { schoolId, after }) {
      const sql = `SELECT ${courseJson(false)}::text AS json FROM ${COURSE_FROM_SQL}
        WHERE c.school_id = $1 AND (c.created_at, c.id) < ($2, $3) ORDER BY c.created_at DESC, c.id DESC LIMIT 21`;
      app.get('/api/v1/courses', async (_req, reply) => {
        const { rows } = await pool.query<{ json: string }>(sql, [schoolId, after!.created_at, after!.id]);
        return reply.type('application/json').send(
          `{"data":[${rows
            .slice(0, 20)
            .map((r) => r.json)
            .join(',')}]}`,
        );
      });
    },
  },
  {
    name: 'PATCH /enrollments/{id} (progress write)',
    // Issue 10: at least 30 % of one autocommitted UPSERT. The real write keeps every rule: one
    // read (enrollment, curriculum, progress, attempts), then one write statement that applies only
    // at the version read; a new completion (side effects) or a lost race runs under the row lock.
    target: 0.3,
    async seed({ services }) {
      const school = await services.schools.create({
        name: 'Bench learners',
        ownerEmail: 'bench-p@example.com',
        ownerPassword: 'bench password',
      });
      const schoolId = school.school.id;
      const course = await services.courses.create(schoolId, {
        title: 'Progress bench',
        isFree: true,
        status: 'published',
        sections: Array.from({ length: 5 }, (_, i) => ({
          title: `S${i}`,
          lessons: Array.from({ length: 10 }, (_, j) => ({ title: `L${i}.${j}` })),
        })),
      });
      // 50 learners: the per-enrollment lock serialises writes to one enrollment, as it must.
      const paths: string[] = [];
      let enrollmentId = '';
      for (let i = 0; i < 50; i++) {
        const { data: student } = await services.users.createVia(
          schoolId,
          { name: `Learner ${i}`, email: `learner${i}@example.com`, role: 'student' },
          'student',
        );
        const { data: enrollment } = await services.enrollments.create(schoolId, {
          studentId: student.id,
          courseId: course.id,
        });
        paths.push(`/api/v1/enrollments/${enrollment.id}`);
        enrollmentId = enrollment.id;
      }
      const doc = JSON.parse(course.json.text) as { sections: { lessons: { id: string }[] }[] };
      const lessonId = doc.sections[0]!.lessons[0]!.id;
      return {
        path: paths[0]!,
        paths,
        key: school.apiKey,
        schoolId,
        method: 'PATCH',
        body: JSON.stringify({ lessonId, completed: true, watchedSeconds: 30 }),
        courseId: enrollmentId,
        lessonId,
      };
    },
    baseline(app, pool, { schoolId, courseId: enrollmentId, lessonId }) {
      app.patch('/api/v1/enrollments/:id', async () => {
        await pool.query(
          `INSERT INTO lesson_progress (school_id, enrollment_id, lesson_id, completed_at, watched_seconds)
           VALUES ($1, $2, $3, now(), 30)
           ON CONFLICT (enrollment_id, lesson_id) DO UPDATE SET watched_seconds = greatest(lesson_progress.watched_seconds, 30), updated_at = now()`,
          [schoolId, enrollmentId, lessonId],
        );
        return { ok: true };
      });
    },
  },
  {
    name: 'POST /courses/{id}/lessons (title only)',
    // Issue 10: at least 35 % of one autocommitted INSERT. The real write keeps every rule: the
    // course row lock, dense positions, the section's and course's versions (ETags), the limits.
    target: 0.35,
    async seed({ services }) {
      const school = await services.schools.create({
        name: 'Bench writes',
        ownerEmail: 'bench-w@example.com',
        ownerPassword: 'bench password',
      });
      const schoolId = school.school.id;
      const course = await services.courses.create(schoolId, {
        title: 'Lesson writes',
        sections: [{ title: 'Section one' }],
      });
      const doc = JSON.parse(course.json.text) as { sections: { id: string }[] };
      const sectionId = doc.sections[0]!.id;
      return {
        path: `/api/v1/courses/${course.id}/lessons`,
        key: school.apiKey,
        schoolId,
        method: 'POST',
        body: JSON.stringify({ title: 'A new lesson', sectionId }),
        courseId: course.id,
      };
    },
    baseline(app, pool, { schoolId, courseId }) {
      // Unsectioned lessons of the same course, numbered here: the app's requests fill the section.
      let position = 0;
      app.post('/api/v1/courses/:id/lessons', async (_req, reply) => {
        const { rows } = await pool.query<{ json: string }>(
          `INSERT INTO lessons AS l (id, school_id, course_id, title, position) VALUES ($1, $2, $3, 'A new lesson', $4)
           RETURNING ${lessonJson('l', true)}::text AS json`,
          [newId('lesson'), schoolId, courseId, ++position],
        );
        return reply.code(201).type('application/json').send(rows[0]!.json);
      });
    },
  },
];
