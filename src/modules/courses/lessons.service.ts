import type { Db, Tx } from '../../db/client.js';
import { createGroupCommit } from '../../db/group-commit.js';
import { AppError, notFound } from '../../lib/errors.js';
import { assertIfMatch, etagOf } from '../../lib/etag.js';
import { type RawJson, rawJson } from '../../lib/raw-json.js';
import { type Actor, currentActor } from '../../lib/request-context.js';
import type { EventService } from '../events/events.service.js';
import { changeEvents, isEmpty, objectOf } from './course-events.js';
import { findCourse } from './courses.repo.js';
import type { CreateLesson, Lesson, LessonList, UpdateLesson } from './courses.schemas.js';
import type { CourseService } from './courses.service.js';
import { lessonRow } from './courses.service.js';
import * as curriculum from './curriculum.repo.js';
import { wholeList } from './json-list.js';
import { Problems, prepareLesson } from './lesson-input.js';

type LessonCreate = {
  schoolId: string;
  courseId: string;
  row: Omit<curriculum.NewLesson, 'position'>;
  wanted: number | undefined;
  actor: Actor;
};

/**
 * Lessons, on the flat routes (`/courses/{id}/lessons`) and the nested ones
 * (`/courses/{id}/sections/{sectionId}/lessons`, where `inSection` is the route's section).
 */
export function createLessonService({ db, courses, events }: { db: Db; courses: CourseService; events: EventService }) {
  /**
   * Lesson creates of one course, in one transaction: a statement that locks and touches the
   * course, one that places every lesson (bumping their sections) and returns their documents
   * (one more to queue thumbnail copies), one for the events; then COMMIT.
   */
  const courseWrites = createGroupCommit(db, {
    lock: (tx, { schoolId, courseId }: LessonCreate) => courses.lockAndTouch(tx, schoolId, courseId),
    write: async (tx, creates: LessonCreate[]) => {
      const { schoolId } = creates[0]!;
      const placed = await curriculum.placeLessons(tx, schoolId, creates);
      const copies = creates.flatMap(({ row }, i) =>
        placed[i] && row.thumbnailUrl
          ? [{ target: { type: 'lesson' as const, id: placed[i].id }, url: row.thumbnailUrl }]
          : [],
      );
      if (copies.length) await courses.queueImageCopies(tx, schoolId, copies);
      // The shared transaction runs in the first request's context: each event names its own actor.
      await events.recordMany(
        tx,
        creates.flatMap(({ actor }, i) => {
          const lesson = placed[i];
          return lesson ? [{ schoolId, type: 'lesson.created' as const, object: objectOf(lesson.json), actor }] : [];
        }),
      );
      return placed;
    },
  });

  async function doc(tx: Db | Tx, schoolId: string, courseId: string, lessonId: string) {
    const row = await curriculum.findLesson(tx, schoolId, courseId, lessonId);
    const [json] = await curriculum.lessonDocuments(tx, schoolId, courseId, { lessonId }, true);
    if (!row || !json) throw notFound('Lesson');
    return { json: rawJson<Lesson>(json), etag: etagOf(row) };
  }

  /** The lesson as GET returns it (an event's object, or its state before a change). */
  async function lessonJsonOf(tx: Db | Tx, schoolId: string, courseId: string, lessonId: string) {
    const [json] = await curriculum.lessonDocuments(tx, schoolId, courseId, { lessonId }, true);
    if (!json) throw notFound('Lesson');
    return json;
  }

  /** The lesson, checked to be in the route's section when the nested route is used. */
  async function lessonIn(tx: Db | Tx, schoolId: string, courseId: string, lessonId: string, inSection?: string) {
    const lesson = await curriculum.findLesson(tx, schoolId, courseId, lessonId);
    if (!lesson || (inSection !== undefined && lesson.sectionId !== inSection)) throw notFound('Lesson');
    return lesson;
  }

  async function assertSection(
    tx: Db | Tx,
    schoolId: string,
    courseId: string,
    sectionId: string | null,
    path: string | null,
  ) {
    if (sectionId === null || (await curriculum.findSection(tx, schoolId, courseId, sectionId))) return;
    throw noSuchSection(path);
  }

  /** 404 for the section of the URL (`path` null), 400 at `path` for one named in the body. */
  function noSuchSection(path: string | null) {
    if (path === null) return notFound('Section');
    return new AppError('validation_error', 'No such section in this course.', [
      { path, message: 'Not a section of this course.' },
    ]);
  }

  return {
    async list(schoolId: string, courseId: string, inSection?: string): Promise<RawJson<LessonList>> {
      if (!(await findCourse(db, schoolId, courseId))) throw notFound('Course');
      if (inSection !== undefined) await assertSection(db, schoolId, courseId, inSection, null);
      const docs = await curriculum.lessonDocuments(
        db,
        schoolId,
        courseId,
        inSection === undefined ? {} : { sectionId: inSection },
        false,
      );
      return wholeList<LessonList>(docs);
    },

    async get(schoolId: string, courseId: string, lessonId: string, inSection?: string) {
      if (!(await findCourse(db, schoolId, courseId))) throw notFound('Course');
      await lessonIn(db, schoolId, courseId, lessonId, inSection);
      return doc(db, schoolId, courseId, lessonId);
    },

    async create(schoolId: string, courseId: string, input: CreateLesson, inSection?: string) {
      const problems = new Problems();
      const values = prepareLesson(input, '', problems);
      // A missing course is reported before anything else. When nothing is left to check or fetch
      // before the lock, the lock finds out (one round trip less on the hot path).
      const otherSection = inSection !== undefined && input.sectionId !== undefined && input.sectionId !== inSection;
      if (problems.list.length || values.instructorId || values.mediaId || otherSection) {
        if (!(await findCourse(db, schoolId, courseId))) throw notFound('Course');
      }
      if (values.instructorId)
        await courses.checkInstructors(schoolId, [{ id: values.instructorId, path: 'instructorId' }], problems);
      if (values.mediaId)
        await courses.checkMedia(
          schoolId,
          [{ id: values.mediaId, lessonType: values.type ?? 'text', path: 'media.mediaId' }],
          problems,
        );
      problems.throwIfAny();
      if (otherSection) {
        await assertSection(db, schoolId, courseId, inSection, null);
        throw new AppError('validation_error', 'sectionId differs from the section in the URL.', [
          { path: 'sectionId', message: 'Must match the URL.' },
        ]);
      }
      const sectionId = inSection ?? input.sectionId ?? null;
      const { position: _decidedBelow, ...row } = lessonRow(courseId, sectionId, 0, values);
      // Concurrent creates in one course share a transaction (group commit, below); each keeps its actor.
      const created = await courseWrites(`${schoolId}/${courseId}`, {
        schoolId,
        courseId,
        row,
        wanted: input.position ?? input.order,
        actor: currentActor(),
      });
      if (!created) throw noSuchSection(inSection === undefined ? 'sectionId' : null);
      return { json: rawJson<Lesson>(created.json), etag: etagOf(created) };
    },

    async update(
      schoolId: string,
      courseId: string,
      lessonId: string,
      patch: UpdateLesson,
      ifMatch?: string,
      inSection?: string,
    ) {
      if (!(await findCourse(db, schoolId, courseId))) throw notFound('Course');
      const before = await lessonIn(db, schoolId, courseId, lessonId, inSection);
      const problems = new Problems();
      const { sectionId: _ignored, ...values } = prepareLesson(patch, '', problems, before);
      if (values.instructorId)
        await courses.checkInstructors(schoolId, [{ id: values.instructorId, path: 'instructorId' }], problems);
      // The media must fit the lesson whenever either changes.
      const mediaId = values.mediaId !== undefined ? values.mediaId : before.mediaId;
      if (mediaId && (values.mediaId || values.type)) {
        await courses.checkMedia(
          schoolId,
          [{ id: mediaId, lessonType: values.type ?? before.type, path: values.mediaId ? 'media.mediaId' : 'type' }],
          problems,
        );
      }
      problems.throwIfAny();
      let replacedCopy: string | null = null;
      const result = await db.transaction(async (tx) => {
        await courses.lock(tx, schoolId, courseId);
        const lesson = await lessonIn(tx, schoolId, courseId, lessonId, inSection);
        assertIfMatch(ifMatch, lesson);
        const beforeJson = await lessonJsonOf(tx, schoolId, courseId, lessonId);
        // A new thumbnail URL drops the old copy; the new one is copied in the background.
        if (values.thumbnailUrl !== undefined && values.thumbnailUrl !== lesson.thumbnailUrl) {
          values.thumbnailMediaId = null;
          replacedCopy = lesson.thumbnailMediaId;
          if (values.thumbnailUrl)
            await courses.queueImageCopies(tx, schoolId, [
              { target: { type: 'lesson', id: lessonId }, url: values.thumbnailUrl },
            ]);
        }
        await curriculum.updateLesson(tx, schoolId, lessonId, values);
        // Moving by PATCH: another section (to its end unless a position is given) or another position.
        const target = patch.sectionId !== undefined ? patch.sectionId : lesson.sectionId;
        const wanted = patch.position ?? patch.order;
        if (target !== lesson.sectionId || wanted !== undefined) {
          await assertSection(tx, schoolId, courseId, target, 'sectionId');
          await move(tx, schoolId, { ...lesson }, target, wanted);
          await curriculum.touchSection(tx, schoolId, target);
        }
        await curriculum.touchSection(tx, schoolId, lesson.sectionId);
        await courses.touch(tx, schoolId, courseId);
        const updated = await doc(tx, schoolId, courseId, lessonId);
        await events.recordMany(tx, changeEvents(schoolId, 'lesson.updated', beforeJson, updated.json));
        return updated;
      });
      // A replaced thumbnail copy is no longer used by anything.
      if (replacedCopy) await courses.discardCopy(schoolId, replacedCopy);
      return result;
    },

    async delete(schoolId: string, courseId: string, lessonId: string, ifMatch?: string, inSection?: string) {
      await db.transaction(async (tx) => {
        await courses.lock(tx, schoolId, courseId);
        const lesson = await lessonIn(tx, schoolId, courseId, lessonId, inSection);
        assertIfMatch(ifMatch, lesson);
        const json = await lessonJsonOf(tx, schoolId, courseId, lessonId);
        await events.recordMany(tx, [{ schoolId, type: 'lesson.deleted', object: objectOf(json) }]);
        await curriculum.deleteLesson(tx, schoolId, lesson);
        await curriculum.touchSection(tx, schoolId, lesson.sectionId);
        await courses.touch(tx, schoolId, courseId);
      });
    },

    /** POST /move: into another section (or unsectioned, null) at a position (default: the end). */
    async move(
      schoolId: string,
      courseId: string,
      lessonId: string,
      to: { sectionId: string | null; position?: number | undefined },
    ) {
      return db.transaction(async (tx) => {
        await courses.lock(tx, schoolId, courseId);
        const lesson = await lessonIn(tx, schoolId, courseId, lessonId);
        await assertSection(tx, schoolId, courseId, to.sectionId, 'sectionId');
        await move(tx, schoolId, lesson, to.sectionId, to.position);
        await curriculum.touchSection(tx, schoolId, lesson.sectionId);
        if (to.sectionId !== lesson.sectionId) await curriculum.touchSection(tx, schoolId, to.sectionId);
        await courses.touch(tx, schoolId, courseId);
        const moved = await doc(tx, schoolId, courseId, lessonId);
        const now = await curriculum.findLesson(tx, schoolId, courseId, lessonId);
        const changed: Record<string, unknown> = {};
        if (now && now.position !== lesson.position) changed.position = lesson.position;
        if (now && now.sectionId !== lesson.sectionId) changed.sectionId = lesson.sectionId;
        if (!isEmpty(changed))
          await events.recordMany(tx, [
            {
              schoolId,
              type: 'lesson.updated',
              object: moved.json,
              previousAttributes: changed,
            },
          ]);
        return moved;
      });
    },
  };

  async function move(
    tx: Tx,
    schoolId: string,
    lesson: curriculum.LessonRow,
    sectionId: string | null,
    wanted: number | undefined,
  ) {
    const others =
      (await curriculum.countInContainer(tx, schoolId, lesson.courseId, sectionId)) -
      (sectionId === lesson.sectionId ? 1 : 0);
    await curriculum.moveLesson(tx, schoolId, lesson, sectionId, Math.min(wanted ?? others + 1, others + 1));
  }
}
export type LessonService = ReturnType<typeof createLessonService>;
