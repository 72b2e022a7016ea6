import type { QuizContent } from '../../db/schema/index.js';
import { AppError, notFound } from '../../lib/errors.js';
import type { Principal } from '../../lib/principal.js';
import type { Course } from '../courses/courses.schemas.js';
import type { CourseService } from '../courses/courses.service.js';
import type { LessonService } from '../courses/lessons.service.js';
import type { CertificateService } from '../enrollments/certificates.service.js';
import type { EnrollmentService } from '../enrollments/enrollments.service.js';
import { lockedError, scoreQuiz } from '../enrollments/progress.service.js';
import type { MediaService } from '../media/media.service.js';
import type { UserService } from '../users/users.service.js';
import type { MyProgressInput } from './me.schemas.js';

type Deps = {
  users: UserService;
  courses: CourseService;
  lessons: LessonService;
  enrollments: EnrollmentService;
  certificates: CertificateService;
  media: MediaService;
};

type CourseLesson = NonNullable<Course['unsectionedLessons']>[number];
type CourseSection = NonNullable<Course['sections']>[number];
type Progress = Awaited<ReturnType<EnrollmentService['get']>>['data']['progress'];
type LessonState = { locked: boolean; unlocksAt: string | null; completed: boolean };
/** What a student may see of a course: all of it when enrolled, else (published, not private) its previews. */
type Access = { course: Course; enrollmentId: string | null; progress: Progress | null };

const summary = (p: Progress) => ({
  percent: p.percent,
  complete: p.complete,
  completedLessons: p.completedLessons,
  totalLessons: p.totalLessons,
});

const notEnrolled = () => new AppError('not_found', 'Course not found among your enrollments.');

/** A quiz's questions and options as a learner may see them: the `correct` flags never leave the server. */
function learnerQuiz(quiz: QuizContent) {
  return {
    questions: quiz.questions.map((q) => ({ text: q.text, options: q.options.map((o) => ({ text: o.text })) })),
    passingScore: quiz.passingScore,
  };
}

const isQuiz = (content: unknown): content is QuizContent =>
  !!content && typeof content === 'object' && Array.isArray((content as { questions?: unknown }).questions);

/**
 * The /me routes: one student, acting on their own data through the same services as the school's
 * routes (enrolment, progress rules and side effects, certificates). Every id a student names is
 * looked up in the token's school and then checked to be the student's own (else 404).
 */
export function createMeService({ users, courses, lessons, enrollments, certificates, media }: Deps) {
  async function enrollmentOf(schoolId: string, studentId: string, courseId: string) {
    const { data } = await enrollments.list(schoolId, { studentId, courseId, limit: 1 });
    return data[0];
  }

  async function courseDocument(schoolId: string, courseId: string): Promise<Course> {
    const doc = await courses.get(schoolId, courseId, {});
    return JSON.parse(doc.json.text) as Course;
  }

  async function access(schoolId: string, studentId: string, courseId: string): Promise<Access> {
    const course = await courseDocument(schoolId, courseId);
    const enrollment = await enrollmentOf(schoolId, studentId, courseId);
    if (enrollment) {
      const { data } = await enrollments.get(schoolId, enrollment.id);
      return { course, enrollmentId: enrollment.id, progress: data.progress };
    }
    if (course.status !== 'published' || course.privacy === 'private') throw notFound('Course');
    return { course, enrollmentId: null, progress: null };
  }

  /** Published sections and lessons in course order; without an enrollment, only preview lessons. */
  function visible(a: Access) {
    const shown = (l: CourseLesson) => l.status === 'published' && (a.enrollmentId !== null || l.isPreview);
    const sections = (a.course.sections ?? [])
      .filter((s) => s.status === 'published')
      .map((s) => ({ section: s, lessons: (s.lessons ?? []).filter(shown) }))
      .filter((s) => a.enrollmentId !== null || s.lessons.length > 0);
    const unsectioned = (a.course.unsectionedLessons ?? []).filter(shown);
    return { sections, unsectioned };
  }

  function findVisible(a: Access, lessonId: string): CourseLesson {
    const v = visible(a);
    const lesson = [...v.sections.flatMap((s) => s.lessons), ...v.unsectioned].find((l) => l.id === lessonId);
    if (!lesson) throw notFound('Lesson');
    return lesson;
  }

  /** Lock and completion from the enrollment's progress (the PATCH rules); previews are open. */
  function stateOf(a: Access, lessonId: string): LessonState {
    if (!a.progress) return { locked: false, unlocksAt: null, completed: false }; // a preview
    const p = a.progress.lessons.find((l) => l.lessonId === lessonId);
    // Enrolled but not in the progress read (published between the two reads): locked until the next read.
    return p
      ? { locked: p.locked, unlocksAt: p.unlocksAt, completed: p.completed }
      : { locked: true, unlocksAt: null, completed: false };
  }

  function outlineLesson(a: Access, l: CourseLesson) {
    return {
      object: 'lesson' as const,
      id: l.id,
      courseId: l.courseId,
      sectionId: l.sectionId,
      title: l.title,
      type: l.type,
      position: l.position,
      summary: l.summary,
      duration: l.duration,
      isPreview: l.isPreview,
      completion: { type: String((l.completion as { type?: unknown }).type ?? 'none') },
      ...stateOf(a, l.id),
    };
  }

  async function mediaOf(schoolId: string, mediaId: string | null) {
    if (!mediaId) return null;
    const { data: m } = await media.get(schoolId, mediaId);
    return {
      object: 'media' as const,
      id: m.id,
      fileName: m.fileName,
      mimeType: m.mimeType,
      size: m.size,
      duration: m.duration,
      url: m.url,
      urlExpiresAt: m.urlExpiresAt,
    };
  }

  /** The stored lesson with its content (quiz answers included: for the server's use only). */
  async function storedLesson(schoolId: string, courseId: string, lessonId: string) {
    const { json } = await lessons.get(schoolId, courseId, lessonId);
    return JSON.parse(json.text) as CourseLesson & { content?: unknown; contentHtml?: string | null };
  }

  const service = {
    async profile(schoolId: string, studentId: string) {
      const { data: u } = await users.getVia(schoolId, studentId, 'student');
      return {
        object: 'student' as const,
        id: u.id,
        name: u.name,
        email: u.email,
        avatarUrl: u.avatarUrl,
        bio: u.bio,
        createdAt: u.createdAt,
        updatedAt: u.updatedAt,
      };
    },

    async update(
      schoolId: string,
      studentId: string,
      patch: { name?: string | undefined; avatarUrl?: string | null | undefined; bio?: string | null | undefined },
      actor: Principal,
    ) {
      await users.updateVia(schoolId, studentId, patch, 'student', undefined, actor);
      return service.profile(schoolId, studentId);
    },

    /** The student's enrollments, each with its progress summary (one progress read per enrollment of the page). */
    async enrollments(schoolId: string, studentId: string, query: { limit: number; page?: number; cursor?: string }) {
      const page = await enrollments.list(schoolId, { ...query, studentId });
      const data = await Promise.all(
        page.data.map(async (e) => ({
          ...e,
          progress: summary((await enrollments.get(schoolId, e.id)).data.progress),
        })),
      );
      return { data, pagination: page.pagination };
    },

    /** Self-enrolment: only into a published (not private) course whose default plan is free. */
    async enrol(schoolId: string, studentId: string, courseId: string) {
      const course = await courseDocument(schoolId, courseId);
      if (course.status !== 'published' || course.privacy === 'private') throw notFound('Course');
      if (!course.isFree) {
        throw new AppError('forbidden', 'This course is not free: enrolment goes through the school.', [
          { path: 'courseId', message: "The course's default payment plan is not free.", code: 'payment_required' },
        ]);
      }
      const { data } = await enrollments.create(schoolId, { studentId, courseId });
      const { data: detail } = await enrollments.get(schoolId, data.id);
      return { ...data, progress: summary(detail.progress) };
    },

    async course(schoolId: string, studentId: string, courseId: string) {
      const a = await access(schoolId, studentId, courseId);
      const v = visible(a);
      const { course } = a;
      return {
        object: 'learner_course' as const,
        id: course.id,
        title: course.title,
        slug: course.slug,
        shortDescription: course.shortDescription,
        description: course.description,
        descriptionHtml: course.descriptionHtml,
        thumbnailUrl: course.thumbnailUrl,
        level: course.level,
        enrolled: a.enrollmentId !== null,
        enrollmentId: a.enrollmentId,
        progress: a.progress ? summary(a.progress) : null,
        sections: v.sections.map(({ section, lessons: ls }: { section: CourseSection; lessons: CourseLesson[] }) => ({
          object: 'section' as const,
          id: section.id,
          title: section.title,
          description: section.description,
          descriptionHtml: section.descriptionHtml,
          position: section.position,
          lessons: ls.map((l) => outlineLesson(a, l)),
        })),
        unsectionedLessons: v.unsectioned.map((l) => outlineLesson(a, l)),
      };
    },

    async lesson(schoolId: string, studentId: string, courseId: string, lessonId: string) {
      const a = await access(schoolId, studentId, courseId);
      const outline = outlineLesson(a, findVisible(a, lessonId));
      // The same answer as PATCH /enrollments/{id} gives for a locked lesson.
      if (outline.locked) throw lockedError(outline.unlocksAt ? new Date(outline.unlocksAt) : null);
      const stored = await storedLesson(schoolId, courseId, lessonId);
      const quiz = isQuiz(stored.content) ? learnerQuiz(stored.content) : null;
      return {
        ...outline,
        downloadable: stored.downloadable,
        videoUrl: stored.videoUrl,
        videoMeta: stored.videoMeta,
        thumbnailUrl: stored.thumbnailUrl,
        content: quiz ? null : ((stored.content as Record<string, unknown> | null | undefined) ?? null),
        contentHtml: quiz ? null : (stored.contentHtml ?? null),
        quiz,
        media: await mediaOf(schoolId, stored.mediaId),
      };
    },

    /** Progress through the PATCH /enrollments/{id} code (rules, locks, side effects); quiz results per question. */
    async recordProgress(
      schoolId: string,
      studentId: string,
      courseId: string,
      lessonId: string,
      input: MyProgressInput,
    ) {
      const a = await access(schoolId, studentId, courseId);
      if (!a.enrollmentId) throw notEnrolled();
      findVisible(a, lessonId);
      const stored = input.answers ? await storedLesson(schoolId, courseId, lessonId) : undefined;
      const result = await enrollments.record(schoolId, a.enrollmentId, {
        lessonId,
        // Answers are an attempt (they complete when they pass); otherwise leaving `completed` out keeps it.
        completed: input.completed ?? (input.answers !== undefined ? true : undefined),
        watchedSeconds: input.watchedSeconds,
        answers: input.answers,
      });
      const mine = result.progress.lessons.find((l) => l.lessonId === lessonId)!;
      const attempt = result.lastAttempt;
      const quiz = stored && isQuiz(stored.content) ? stored.content : undefined;
      return {
        object: 'lesson_progress' as const,
        courseId,
        lessonId,
        enrollmentId: a.enrollmentId,
        completed: mine.completed,
        completedAt: mine.completedAt,
        watchedSeconds: mine.watchedSeconds,
        progress: summary(result.progress),
        quiz:
          attempt && quiz && input.answers
            ? {
                attemptId: attempt.id,
                score: attempt.score,
                passed: attempt.passed,
                passingScore: quiz.passingScore,
                // Each question through the one scoring rule: right when its own score is 100.
                questions: quiz.questions.map((q, index) => ({
                  index,
                  correct: scoreQuiz({ questions: [q] }, [input.answers![index] ?? []]) === 100,
                })),
              }
            : null,
      };
    },

    certificates(
      schoolId: string,
      studentId: string,
      query: { limit: number; page?: number | undefined; cursor?: string | undefined; sort?: string | undefined },
    ) {
      return certificates.list(schoolId, { ...query, studentId });
    },

    /** The PDF of one of the student's own certificates (another student's is 404). */
    async certificatePdf(schoolId: string, studentId: string, certificateId: string): Promise<Uint8Array> {
      const certificate = await certificates.get(schoolId, certificateId);
      if (certificate.studentId !== studentId) throw notFound('Certificate');
      return certificates.pdf(schoolId, certificateId);
    },
  };
  return service;
}
export type MeService = ReturnType<typeof createMeService>;
