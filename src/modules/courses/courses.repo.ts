import { and, eq, exists, like, or, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { courses, courseTags, lessons, paymentPlans, tags } from '../../db/schema/index.js';
import { newId } from '../../lib/ids.js';
import type { ListRequest } from '../../lib/pagination.js';
import {
  COURSE_FROM,
  type CourseJsonOptions,
  courseJson,
  lessonJson,
  planJson,
  raw,
  sectionJson,
} from './course-json.js';

export type CourseRow = typeof courses.$inferSelect;
/** What an update may change: anything but the identity, the school and the bookkeeping columns. */
export type CoursePatch = Partial<
  Omit<typeof courses.$inferInsert, 'id' | 'schoolId' | 'createdAt' | 'updatedAt' | 'version'>
>;
export const COURSE_SLUG_CONSTRAINT = 'courses_school_slug_uq';

/** For rows of course_tags (no school_id): their course is the school's. */
const ofSchoolCourse = (db: DbOrTx, schoolId: string): SQL =>
  exists(
    db
      .select({ one: sql`1` })
      .from(courses)
      .where(and(eq(courses.id, courseTags.courseId), eq(courses.schoolId, schoolId))),
  );

export async function insertCourse(
  db: DbOrTx,
  schoolId: string,
  row: Omit<typeof courses.$inferInsert, 'schoolId'>,
): Promise<CourseRow> {
  const [created] = await db
    .insert(courses)
    .values({ ...row, schoolId })
    .returning();
  return created!;
}

/**
 * Locks the course row for the rest of the transaction. Every change to a course's curriculum or
 * plans takes this lock first, so positions and default plans are changed by one writer at a time.
 */
export async function lockCourse(db: DbOrTx, schoolId: string, courseId: string): Promise<CourseRow | undefined> {
  const [row] = await db
    .select()
    .from(courses)
    .where(and(eq(courses.schoolId, schoolId), eq(courses.id, courseId)))
    .for('update');
  return row;
}

/**
 * A new updatedAt and version for the course; the update takes the row lock for the rest of the
 * transaction (it conflicts with lockCourse's), so this is lockCourse and a touch in one statement.
 */
export async function touchCourse(
  db: DbOrTx,
  schoolId: string,
  courseId: string,
): Promise<{ id: string; version: number } | undefined> {
  const [row] = await db
    .update(courses)
    .set({ updatedAt: new Date(), version: sql`${courses.version} + 1` })
    .where(and(eq(courses.schoolId, schoolId), eq(courses.id, courseId)))
    .returning({ id: courses.id, version: courses.version });
  return row;
}

/** Fields left undefined in the patch keep their value (Drizzle leaves them out of SET). */
export async function updateCourse(
  db: DbOrTx,
  schoolId: string,
  courseId: string,
  patch: CoursePatch,
): Promise<CourseRow> {
  const [row] = await db
    .update(courses)
    .set({ ...patch, updatedAt: new Date(), version: sql`${courses.version} + 1` })
    .where(and(eq(courses.schoolId, schoolId), eq(courses.id, courseId)))
    .returning();
  return row!;
}

export async function deleteCourse(db: DbOrTx, schoolId: string, courseId: string): Promise<void> {
  await db.delete(courses).where(and(eq(courses.schoolId, schoolId), eq(courses.id, courseId)));
}

export async function courseSlugsLike(db: DbOrTx, schoolId: string, base: string): Promise<string[]> {
  const rows = await db
    .select({ slug: courses.slug })
    .from(courses)
    .where(and(eq(courses.schoolId, schoolId), or(eq(courses.slug, base), like(courses.slug, `${base}-%`))));
  return rows.map((r) => r.slug);
}

/**
 * Creates missing tags (case-insensitively unique per school) and sets the course's tags in the
 * order given. Case is compared by PostgreSQL alone, and new tags are inserted in sorted order so
 * two transactions adding the same tags cannot deadlock on the unique index.
 */
export async function setCourseTags(db: DbOrTx, schoolId: string, courseId: string, names: string[]): Promise<void> {
  // course_tags has no school_id: its rows are reached through the school's course.
  await db.delete(courseTags).where(and(eq(courseTags.courseId, courseId), ofSchoolCourse(db, schoolId)));
  if (names.length === 0) return;
  const sorted = [...names].sort();
  const values = sorted.map((name) => sql`(${newId('tag')}, ${schoolId}, ${name})`);
  await db.execute(
    sql`INSERT INTO tags (id, school_id, name) VALUES ${sql.join(values, sql`, `)} ON CONFLICT (school_id, lower(name)) DO NOTHING`,
  );
  await db.execute(sql`
    INSERT INTO course_tags (course_id, tag_id, position)
    SELECT ${courseId}, t.id, min(n.ord) - 1
      FROM jsonb_array_elements_text(${JSON.stringify(names)}::jsonb) WITH ORDINALITY AS n(name, ord)
      JOIN tags t ON t.school_id = ${schoolId} AND lower(t.name) = lower(n.name)
     WHERE EXISTS (SELECT 1 FROM courses c WHERE c.id = ${courseId} AND c.school_id = ${schoolId})
     GROUP BY t.id
    ON CONFLICT DO NOTHING`);
}

export async function courseTagNames(db: DbOrTx, schoolId: string, courseId: string): Promise<string[]> {
  const rows = await db
    .select({ name: tags.name })
    .from(courseTags)
    .innerJoin(tags, and(eq(tags.id, courseTags.tagId), eq(tags.schoolId, schoolId)))
    .where(eq(courseTags.courseId, courseId))
    .orderBy(courseTags.position);
  return rows.map((r) => r.name);
}

/** What publishing needs, counted in one query. */
export async function publishFacts(
  db: DbOrTx,
  schoolId: string,
  courseId: string,
): Promise<{ lessons: number; activePlans: number }> {
  const [row] = await db
    .select({
      lessons: sql<number>`(SELECT count(*)::int FROM ${lessons} WHERE ${lessons.schoolId} = ${schoolId} AND ${lessons.courseId} = ${courseId})`,
      activePlans: sql<number>`(SELECT count(*)::int FROM ${paymentPlans} WHERE ${paymentPlans.schoolId} = ${schoolId} AND ${paymentPlans.courseId} = ${courseId} AND ${paymentPlans.status} = 'active')`,
    })
    .from(sql`(SELECT 1) AS one`);
  return row!;
}

/** The course as the API shows it (with its curriculum when asked): one query, JSON text. */
export async function courseDocument(
  db: DbOrTx,
  schoolId: string,
  courseId: string,
  curriculum: boolean,
  opts: CourseJsonOptions = {},
): Promise<{ json: string; id: string; version: number } | undefined> {
  const { rows } = await db.execute<{ json: string; id: string; version: number }>(
    sql`SELECT ${raw(courseJson(curriculum, opts))}::text AS json, c.id, c.version
          FROM ${COURSE_FROM} WHERE c.school_id = ${schoolId} AND c.id = ${courseId}`,
  );
  return rows[0];
}

/**
 * Every part of a course as its own GET shows it, in one statement: plans (oldest first), sections
 * (in order), lessons with content (section order, then position; unsectioned last) — the objects
 * of a nested create's events.
 */
export async function partDocuments(
  db: DbOrTx,
  schoolId: string,
  courseId: string,
): Promise<{ kind: 'payment_plan' | 'section' | 'lesson'; json: string }[]> {
  const { rows } = await db.execute<{ kind: 'payment_plan' | 'section' | 'lesson'; json: string }>(sql`
    SELECT kind, json FROM (
      SELECT 1 AS k, 'payment_plan' AS kind, p.created_at AS t, 0 AS a, 0 AS b, p.id AS tie,
             ${raw(planJson('p', 'c.default_payment_plan_id'))}::text AS json
        FROM payment_plans p JOIN courses c ON c.id = p.course_id AND c.school_id = p.school_id
       WHERE p.school_id = ${schoolId} AND p.course_id = ${courseId}
      UNION ALL
      SELECT 2, 'section', NULL, s.position, 0, s.id, ${raw(sectionJson('s', { withContent: false }))}::text
        FROM sections s WHERE s.school_id = ${schoolId} AND s.course_id = ${courseId}
      UNION ALL
      SELECT 3, 'lesson', NULL, coalesce(s.position, 2147483647), l.position, l.id, ${raw(lessonJson('l', true))}::text
        FROM lessons l LEFT JOIN sections s ON s.id = l.section_id AND s.school_id = l.school_id
       WHERE l.school_id = ${schoolId} AND l.course_id = ${courseId}
    ) parts ORDER BY k, t NULLS FIRST, a, b, tie`);
  return rows;
}

/** The course's own attributes as GET shows them (no curriculum): what an event's previousAttributes compare. */
export async function courseAttributes(db: DbOrTx, schoolId: string, courseId: string): Promise<string | undefined> {
  return (await courseDocument(db, schoolId, courseId, false))?.json;
}

/**
 * Sets the course image to a finished copy of `url`, only while `url` is still the course's
 * thumbnailUrl and no other image was set meanwhile; false when the copy came too late.
 */
export async function attachCourseImage(
  db: DbOrTx,
  schoolId: string,
  courseId: string,
  url: string,
  mediaId: string,
): Promise<boolean> {
  const rows = await db
    .update(courses)
    .set({ featuredMediaId: mediaId, updatedAt: new Date(), version: sql`${courses.version} + 1` })
    .where(
      and(
        eq(courses.schoolId, schoolId),
        eq(courses.id, courseId),
        eq(courses.thumbnailUrl, url),
        sql`${courses.featuredMediaId} IS NULL`,
      ),
    )
    .returning({ id: courses.id });
  return rows.length > 0;
}

export type CourseFilters = {
  search?: string | undefined;
  status?: 'published' | 'draft' | 'archived' | undefined;
  type?: string | undefined;
  tag?: string | undefined;
  categoryId?: string | undefined;
  externalId?: string | undefined;
};

const SORT_COLUMNS: Record<string, { col: string; kind: 'date' | 'string' }> = {
  createdAt: { col: 'c.created_at', kind: 'date' },
  updatedAt: { col: 'c.updated_at', kind: 'date' },
  title: { col: 'c.title', kind: 'string' },
};

/**
 * A page of courses as JSON texts, plus each row's sort value for the cursor. Keyset on
 * (sort column, id) with the school's (school_id, column, id) index: constant time at any depth.
 */
export async function listCourses(
  db: DbOrTx,
  schoolId: string,
  filters: CourseFilters,
  req: ListRequest,
  after?: { value: Date | string; id: string },
) {
  const sort = SORT_COLUMNS[req.sort.key]!;
  const dir = req.sort.desc ? 'DESC' : 'ASC';
  const where: SQL[] = [sql`c.school_id = ${schoolId}`];
  if (filters.search) where.push(sql`c.title ILIKE ${`%${filters.search.replace(/[\\%_]/g, (m) => `\\${m}`)}%`}`);
  if (filters.status) where.push(sql`c.status = ${filters.status}`);
  if (filters.type) where.push(sql`c.type = ${filters.type}`);
  if (filters.categoryId) where.push(sql`c.category_id = ${filters.categoryId}`);
  if (filters.externalId) where.push(sql`c.external_id = ${filters.externalId}`);
  if (filters.tag) {
    where.push(
      sql`EXISTS (SELECT 1 FROM course_tags ct JOIN tags t ON t.id = ct.tag_id AND t.school_id = c.school_id WHERE ct.course_id = c.id AND lower(t.name) = lower(${filters.tag.trim()}))`,
    );
  }
  const filtered = sql.join(where, sql` AND `);
  const keyset = after
    ? sql` AND (${raw(sort.col)}, c.id) ${raw(req.sort.desc ? '<' : '>')} (${after.value}, ${after.id})`
    : sql``;
  const total = req.after ? sql`NULL::int` : sql`count(*) OVER ()::int`;
  const { rows } = await db.execute<{ json: string; id: string; sort_value: string | Date; total: number | null }>(sql`
    SELECT ${raw(courseJson(false))}::text AS json, c.id, ${raw(sort.col)} AS sort_value, ${total} AS total
      FROM ${COURSE_FROM}
     WHERE ${filtered}${keyset}
     ORDER BY ${raw(sort.col)} ${raw(dir)}, c.id ${raw(dir)}
     LIMIT ${req.limit + 1} OFFSET ${req.offset ?? 0}`);
  let count: number | undefined = rows[0]?.total ?? undefined;
  if (!req.after && rows.length === 0) {
    count = req.offset
      ? ((await db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM ${COURSE_FROM} WHERE ${filtered}`)).rows[0]
          ?.n ?? 0)
      : 0;
  }
  return { rows, total: count, sortKind: sort.kind };
}

export async function findCourse(db: DbOrTx, schoolId: string, courseId: string): Promise<CourseRow | undefined> {
  const [row] = await db
    .select()
    .from(courses)
    .where(and(eq(courses.schoolId, schoolId), eq(courses.id, courseId)));
  return row;
}

/** Whether learners are enrolled (read here so the course can refuse to be deleted under them). */
export async function hasEnrollments(db: DbOrTx, schoolId: string, courseId: string): Promise<boolean> {
  const { rows } = await db.execute(
    sql`SELECT 1 FROM enrollments WHERE school_id = ${schoolId} AND course_id = ${courseId} LIMIT 1`,
  );
  return rows.length > 0;
}
