/**
 * Sections and lessons. Positions are 1-based and dense within their container (sections within a
 * course; lessons within a section, or among the course's unsectioned lessons). Callers hold the
 * course row lock (courses.repo lockCourse), so these shifts never interleave. Every statement is
 * scoped by the school as well as by the course.
 */
import { and, asc, eq, getTableColumns, gt, gte, isNull, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { lessons, sections } from '../../db/schema/index.js';
import { lessonJson, raw, sectionJson } from './course-json.js';

export type SectionRow = typeof sections.$inferSelect;
export type LessonRow = typeof lessons.$inferSelect;
/** What PATCH of a section changes in place (its position moves through moveSection). */
export type SectionPatch = Partial<
  Pick<
    typeof sections.$inferInsert,
    | 'title'
    | 'description'
    | 'descriptionHtml'
    | 'posterImageUrl'
    | 'posterMediaId'
    | 'status'
    | 'drip'
    | 'prerequisites'
    | 'externalId'
  >
>;
/** What PATCH of a lesson changes in place (its section and position move through moveLesson). */
export type LessonPatch = Partial<
  Omit<
    typeof lessons.$inferInsert,
    'id' | 'schoolId' | 'courseId' | 'sectionId' | 'position' | 'createdAt' | 'updatedAt' | 'version'
  >
>;
export type NewSection = Omit<typeof sections.$inferInsert, 'schoolId'> & { position: number };
export type NewLesson = Omit<typeof lessons.$inferInsert, 'schoolId'>;

const sectionsOfCourse = (schoolId: string, courseId: string): SQL =>
  and(eq(sections.schoolId, schoolId), eq(sections.courseId, courseId))!;
const sectionById = (schoolId: string, sectionId: string): SQL =>
  and(eq(sections.schoolId, schoolId), eq(sections.id, sectionId))!;
const lessonById = (schoolId: string, lessonId: string): SQL =>
  and(eq(lessons.schoolId, schoolId), eq(lessons.id, lessonId))!;
const inContainer = (schoolId: string, courseId: string, sectionId: string | null): SQL =>
  and(
    eq(lessons.schoolId, schoolId),
    eq(lessons.courseId, courseId),
    sectionId ? eq(lessons.sectionId, sectionId) : isNull(lessons.sectionId),
  )!;

// ---------- sections ----------

export async function sectionsOf(db: DbOrTx, schoolId: string, courseId: string): Promise<SectionRow[]> {
  return db.select().from(sections).where(sectionsOfCourse(schoolId, courseId)).orderBy(asc(sections.position));
}

export async function findSection(
  db: DbOrTx,
  schoolId: string,
  courseId: string,
  sectionId: string,
): Promise<SectionRow | undefined> {
  const [row] = await db
    .select()
    .from(sections)
    .where(and(sectionsOfCourse(schoolId, courseId), eq(sections.id, sectionId)));
  return row;
}

/** Makes room at `position` (1..count+1) and inserts there. */
export async function insertSectionAt(db: DbOrTx, schoolId: string, row: NewSection): Promise<SectionRow> {
  await db
    .update(sections)
    .set({ position: sql`${sections.position} + 1`, version: sql`${sections.version} + 1` })
    .where(and(sectionsOfCourse(schoolId, row.courseId), gte(sections.position, row.position)));
  const [created] = await db
    .insert(sections)
    .values({ ...row, schoolId })
    .returning();
  return created!;
}

/** Fields left undefined in the patch keep their value (Drizzle leaves them out of SET). */
export async function updateSection(
  db: DbOrTx,
  schoolId: string,
  sectionId: string,
  patch: SectionPatch,
): Promise<SectionRow> {
  const [row] = await db
    .update(sections)
    .set({ ...patch, updatedAt: new Date(), version: sql`${sections.version} + 1` })
    .where(sectionById(schoolId, sectionId))
    .returning();
  return row!;
}

/** Deletes the section (its lessons cascade) and closes the gap. */
export async function deleteSection(db: DbOrTx, schoolId: string, section: SectionRow): Promise<void> {
  await db.delete(sections).where(sectionById(schoolId, section.id));
  await db
    .update(sections)
    .set({ position: sql`${sections.position} - 1`, version: sql`${sections.version} + 1` })
    .where(and(sectionsOfCourse(schoolId, section.courseId), gt(sections.position, section.position)));
  // Other sections may have named it as a prerequisite.
  await db
    .update(sections)
    .set({ prerequisites: sql`array_remove(${sections.prerequisites}, ${section.id})` })
    .where(and(sectionsOfCourse(schoolId, section.courseId), sql`${section.id} = ANY(${sections.prerequisites})`));
}

/** Moves a section from one position to another, shifting the ones between. */
export async function moveSection(db: DbOrTx, schoolId: string, section: SectionRow, to: number): Promise<void> {
  const from = section.position;
  if (to === from) return;
  const shift =
    to < from
      ? sql`CASE WHEN ${sections.position} >= ${to} AND ${sections.position} < ${from} THEN ${sections.position} + 1 ELSE ${sections.position} END`
      : sql`CASE WHEN ${sections.position} > ${from} AND ${sections.position} <= ${to} THEN ${sections.position} - 1 ELSE ${sections.position} END`;
  await db
    .update(sections)
    .set({ position: shift, version: sql`${sections.version} + 1` })
    .where(and(sectionsOfCourse(schoolId, section.courseId), sql`${sections.id} <> ${section.id}`));
  await db
    .update(sections)
    .set({ position: to, version: sql`${sections.version} + 1` })
    .where(sectionById(schoolId, section.id));
}

/** Sets every section's position from the given order (an exact permutation, checked by the caller). */
export async function reorderSections(
  db: DbOrTx,
  schoolId: string,
  courseId: string,
  orderedIds: string[],
): Promise<void> {
  await db.execute(sql`
    UPDATE sections s SET position = o.position, updated_at = now(), version = s.version + 1
      FROM jsonb_array_elements_text(${JSON.stringify(orderedIds)}::jsonb) WITH ORDINALITY AS o(id, position)
     WHERE s.id = o.id AND s.school_id = ${schoolId} AND s.course_id = ${courseId}`);
}

// ---------- lessons ----------

export async function findLesson(
  db: DbOrTx,
  schoolId: string,
  courseId: string,
  lessonId: string,
): Promise<LessonRow | undefined> {
  const [row] = await db
    .select()
    .from(lessons)
    .where(and(lessonById(schoolId, lessonId), eq(lessons.courseId, courseId)));
  return row;
}

export async function lessonsOf(db: DbOrTx, schoolId: string, courseId: string): Promise<LessonRow[]> {
  return db
    .select()
    .from(lessons)
    .where(and(eq(lessons.schoolId, schoolId), eq(lessons.courseId, courseId)))
    .orderBy(asc(lessons.position));
}

export async function countInContainer(
  db: DbOrTx,
  schoolId: string,
  courseId: string,
  sectionId: string | null,
): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(lessons)
    .where(inContainer(schoolId, courseId, sectionId));
  return row?.n ?? 0;
}

/**
 * Inserts a lesson at `wanted` (default and at most: after the last) of its container, in one
 * statement: checks that the section is the course's and bumps its version (its document holds its
 * lessons), makes room, inserts, and returns the lesson's API document. Nothing is written and
 * undefined is returned when the section is not the course's. The caller holds the course lock and
 * runs this in a later statement, so the positions it reads include every committed change.
 */
export async function insertLessonInContainer(
  db: DbOrTx,
  schoolId: string,
  row: Omit<NewLesson, 'position'>,
  wanted: number | undefined,
): Promise<{ json: string; id: string; version: number } | undefined> {
  const container = row.sectionId ? sql`l.section_id = ${row.sectionId}` : sql`l.section_id IS NULL`;
  const inContainer = sql`l.school_id = ${schoolId} AND l.course_id = ${row.courseId} AND ${container}`;
  const section = row.sectionId
    ? sql`UPDATE sections SET updated_at = ${new Date()}, version = version + 1
           WHERE school_id = ${schoolId} AND course_id = ${row.courseId} AND id = ${row.sectionId} RETURNING id`
    : sql`SELECT NULL AS id`;
  // Column names and driver values (jsonb, enums) from the table definition, for the fields given.
  const columns = getTableColumns(lessons);
  const fields = Object.entries({ ...row, schoolId }).filter(([, value]) => value !== undefined) as [
    keyof typeof columns,
    unknown,
  ][];
  const { rows } = await db.execute<{ json: string; id: string; version: number }>(sql`
    WITH section AS (${section}),
    place AS (
      -- Positions are dense, so the last one is the count (read from the index, not by counting).
      SELECT least(coalesce(${wanted ?? null}::int, last + 1), last + 1) AS position
        FROM (SELECT coalesce(max(l.position), 0) AS last FROM lessons l WHERE ${inContainer}) n
       WHERE EXISTS (SELECT 1 FROM section)
    ),
    shifted AS (
      UPDATE lessons l SET position = l.position + 1, version = l.version + 1
       WHERE ${inContainer} AND l.position >= (SELECT position FROM place)
    )
    INSERT INTO lessons AS l (${sql.join(
      fields.map(([key]) => sql.identifier(columns[key].name)),
      sql`, `,
    )}, position)
    SELECT ${sql.join(
      fields.map(([key, value]) => sql.param(value, columns[key])),
      sql`, `,
    )}, place.position FROM place
    RETURNING ${raw(lessonJson('l', true))}::text AS json, l.id, l.version`);
  return rows[0];
}

export type PlacedLesson = { json: string; id: string; version: number };

/**
 * Creates lessons one after another, as if each were inserted alone (each sees the ones before
 * it), for writes that share a transaction under the course lock (group commit). Consecutive
 * appends with the same fields go in one statement; a lesson at a chosen position goes alone, as
 * it shifts the others. A result is undefined when its section is not in the course.
 */
export async function placeLessons(
  db: DbOrTx,
  schoolId: string,
  items: { row: Omit<NewLesson, 'position'>; wanted: number | undefined }[],
): Promise<(PlacedLesson | undefined)[]> {
  const results: (PlacedLesson | undefined)[] = [];
  let i = 0;
  while (i < items.length) {
    const { row, wanted } = items[i]!;
    if (wanted !== undefined) {
      results.push(await insertLessonInContainer(db, schoolId, row, wanted));
      i++;
      continue;
    }
    const shape = fieldsOf(row).join();
    let end = i + 1;
    while (end < items.length && items[end]!.wanted === undefined && fieldsOf(items[end]!.row).join() === shape) end++;
    const rows = items.slice(i, end).map((item) => item.row);
    const placed = new Map((await appendLessons(db, schoolId, rows)).map((p) => [p.id, p]));
    for (const r of rows) results.push(placed.get(r.id!));
    i = end;
  }
  return results;
}

/** The fields a new lesson row sets (the others take the column's default). */
const fieldsOf = (row: Omit<NewLesson, 'position'>) =>
  (Object.keys(row) as (keyof typeof row)[]).filter((key) => row[key] !== undefined);

/**
 * Appends lessons (same fields, one course) at the ends of their containers in one statement:
 * each container's positions continue from its last, in the rows' order; each section's version
 * goes up once per lesson. Rows whose section is not in the course are not inserted.
 */
async function appendLessons(
  db: DbOrTx,
  schoolId: string,
  rows: Omit<NewLesson, 'position'>[],
): Promise<PlacedLesson[]> {
  const columns = getTableColumns(lessons);
  const fields = fieldsOf(rows[0]!);
  const courseId = rows[0]!.courseId;
  // VALUES has no target column to type its parameters by, so each is cast to its column's type.
  const values = rows.map(
    (row, ord) =>
      sql`(${ord}::int, ${sql.join(
        fields.map((key) => sql`${sql.param(row[key], columns[key])}::${sql.raw(columns[key].getSQLType())}`),
        sql`, `,
      )})`,
  );
  const names = fields.map((key) => sql.identifier(columns[key].name));
  const lastIn = (container: SQL) =>
    sql`(SELECT coalesce(max(l.position), 0) FROM lessons l
          WHERE l.school_id = ${schoolId} AND l.course_id = ${courseId} AND ${container})`;
  const { rows: placed } = await db.execute<PlacedLesson>(sql`
    WITH v (ord, ${sql.join(names, sql`, `)}) AS (VALUES ${sql.join(values, sql`, `)}),
    section AS (
      UPDATE sections s SET updated_at = ${new Date()}, version = s.version + n.count
        FROM (SELECT section_id, count(*)::int AS count FROM v WHERE section_id IS NOT NULL GROUP BY section_id) n
       WHERE s.school_id = ${schoolId} AND s.course_id = ${courseId} AND s.id = n.section_id
      RETURNING s.id
    ),
    placed AS (
      -- Positions are dense, so a container's last is its count (read from the index, not by counting).
      SELECT v.*, row_number() OVER (PARTITION BY v.section_id ORDER BY v.ord)::int
               + CASE WHEN v.section_id IS NULL THEN ${lastIn(sql`l.section_id IS NULL`)}
                      ELSE ${lastIn(sql`l.section_id = v.section_id`)} END AS position
        FROM v
       WHERE v.section_id IS NULL OR v.section_id IN (SELECT id FROM section)
    )
    INSERT INTO lessons AS l (school_id, ${sql.join(names, sql`, `)}, position)
    SELECT ${schoolId}, ${sql.join(names, sql`, `)}, position FROM placed ORDER BY ord
    RETURNING ${raw(lessonJson('l', true))}::text AS json, l.id, l.version`);
  return placed;
}

/**
 * Rows per bulk INSERT: far below PostgreSQL's 65,535 bind parameters, and few enough that Drizzle
 * builds one statement (27 parameters a lesson, ~0.2 ms a row) in about 10 ms of the event loop,
 * which is free again while each chunk runs.
 */
const INSERT_CHUNK = 50;

/** Inserts many sections with their positions already decided (nested creation, duplication). */
export async function insertSections(db: DbOrTx, schoolId: string, rows: NewSection[]): Promise<void> {
  for (let i = 0; i < rows.length; i += INSERT_CHUNK)
    await db.insert(sections).values(rows.slice(i, i + INSERT_CHUNK).map((row) => ({ ...row, schoolId })));
}

/** Inserts many lessons with their positions already decided (nested creation, duplication). */
export async function insertLessons(db: DbOrTx, schoolId: string, rows: NewLesson[]): Promise<void> {
  for (let i = 0; i < rows.length; i += INSERT_CHUNK)
    await db.insert(lessons).values(rows.slice(i, i + INSERT_CHUNK).map((row) => ({ ...row, schoolId })));
}

/** Fields left undefined in the patch keep their value (Drizzle leaves them out of SET). */
export async function updateLesson(
  db: DbOrTx,
  schoolId: string,
  lessonId: string,
  patch: LessonPatch,
): Promise<LessonRow> {
  const [row] = await db
    .update(lessons)
    .set({ ...patch, updatedAt: new Date(), version: sql`${lessons.version} + 1` })
    .where(lessonById(schoolId, lessonId))
    .returning();
  return row!;
}

/** Takes a lesson out of its container (closing the gap) without deleting it. */
async function closeGap(db: DbOrTx, schoolId: string, lesson: LessonRow): Promise<void> {
  await db
    .update(lessons)
    .set({ position: sql`${lessons.position} - 1`, version: sql`${lessons.version} + 1` })
    .where(and(inContainer(schoolId, lesson.courseId, lesson.sectionId), gt(lessons.position, lesson.position)));
}

export async function deleteLesson(db: DbOrTx, schoolId: string, lesson: LessonRow): Promise<void> {
  await db.delete(lessons).where(lessonById(schoolId, lesson.id));
  await closeGap(db, schoolId, lesson);
}

/** Moves a lesson to `position` of container `sectionId` (its own or another). */
export async function moveLesson(
  db: DbOrTx,
  schoolId: string,
  lesson: LessonRow,
  sectionId: string | null,
  position: number,
): Promise<void> {
  // Park it outside every container's range, close its old gap, open the new one, drop it in.
  await db.update(lessons).set({ position: 0 }).where(lessonById(schoolId, lesson.id));
  await closeGap(db, schoolId, lesson);
  await db
    .update(lessons)
    .set({ position: sql`${lessons.position} + 1`, version: sql`${lessons.version} + 1` })
    .where(
      and(
        inContainer(schoolId, lesson.courseId, sectionId),
        gte(lessons.position, position),
        sql`${lessons.id} <> ${lesson.id}`,
      ),
    );
  await db
    .update(lessons)
    .set({ sectionId, position, updatedAt: new Date(), version: sql`${lessons.version} + 1` })
    .where(lessonById(schoolId, lesson.id));
}

// ---------- API representation (same fragments as the course document) ----------

export async function sectionDocuments(
  db: DbOrTx,
  schoolId: string,
  courseId: string,
  sectionId?: string,
): Promise<string[]> {
  const { rows } = await db.execute<{ json: string }>(sql`
    SELECT ${raw(sectionJson('s', { withContent: false }))}::text AS json FROM sections s
     WHERE s.school_id = ${schoolId} AND s.course_id = ${courseId} ${sectionId ? sql`AND s.id = ${sectionId}` : sql``}
     ORDER BY s.position`);
  return rows.map((r) => r.json);
}

export async function lessonDocuments(
  db: DbOrTx,
  schoolId: string,
  courseId: string,
  filter: { lessonId?: string; sectionId?: string | null },
  withContent: boolean,
): Promise<string[]> {
  const conditions: SQL[] = [sql`l.school_id = ${schoolId}`, sql`l.course_id = ${courseId}`];
  if (filter.lessonId) conditions.push(sql`l.id = ${filter.lessonId}`);
  if (filter.sectionId !== undefined)
    conditions.push(filter.sectionId ? sql`l.section_id = ${filter.sectionId}` : sql`l.section_id IS NULL`);
  const { rows } = await db.execute<{ json: string }>(sql`
    SELECT ${raw(lessonJson('l', withContent))}::text AS json FROM lessons l
      LEFT JOIN sections s ON s.id = l.section_id AND s.school_id = l.school_id
     WHERE ${sql.join(conditions, sql` AND `)}
     ORDER BY s.position NULLS LAST, l.position`);
  return rows.map((r) => r.json);
}

/** Where a section's poster image stands (the image-copy job's look-up); undefined when gone. */
export async function sectionImage(db: DbOrTx, schoolId: string, sectionId: string) {
  const [row] = await db
    .select({ courseId: sections.courseId, url: sections.posterImageUrl, mediaId: sections.posterMediaId })
    .from(sections)
    .where(sectionById(schoolId, sectionId));
  return row;
}

/** Where a lesson's thumbnail stands (the image-copy job's look-up); undefined when gone. */
export async function lessonImage(db: DbOrTx, schoolId: string, lessonId: string) {
  const [row] = await db
    .select({
      courseId: lessons.courseId,
      sectionId: lessons.sectionId,
      url: lessons.thumbnailUrl,
      mediaId: lessons.thumbnailMediaId,
    })
    .from(lessons)
    .where(lessonById(schoolId, lessonId));
  return row;
}

/** Sets the poster to a finished copy of `url` only while `url` is still the section's poster URL. */
export async function attachSectionPoster(
  db: DbOrTx,
  schoolId: string,
  sectionId: string,
  url: string,
  mediaId: string,
): Promise<boolean> {
  const rows = await db
    .update(sections)
    .set({ posterMediaId: mediaId, updatedAt: new Date(), version: sql`${sections.version} + 1` })
    .where(
      and(sectionById(schoolId, sectionId), eq(sections.posterImageUrl, url), sql`${sections.posterMediaId} IS NULL`),
    )
    .returning({ id: sections.id });
  return rows.length > 0;
}

/** Sets the thumbnail to a finished copy of `url` only while `url` is still the lesson's thumbnail URL. */
export async function attachLessonThumbnail(
  db: DbOrTx,
  schoolId: string,
  lessonId: string,
  url: string,
  mediaId: string,
): Promise<boolean> {
  const rows = await db
    .update(lessons)
    .set({ thumbnailMediaId: mediaId, updatedAt: new Date(), version: sql`${lessons.version} + 1` })
    .where(and(lessonById(schoolId, lessonId), eq(lessons.thumbnailUrl, url), sql`${lessons.thumbnailMediaId} IS NULL`))
    .returning({ id: lessons.id });
  return rows.length > 0;
}

/** A section's document holds its lessons: a change to them is a change to it (new ETag). */
export async function touchSection(db: DbOrTx, schoolId: string, sectionId: string | null): Promise<void> {
  if (sectionId)
    await db
      .update(sections)
      .set({ updatedAt: new Date(), version: sql`${sections.version} + 1` })
      .where(sectionById(schoolId, sectionId));
}
