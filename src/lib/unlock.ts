/**
 * Which lessons of a course a learner may open now: one pure function of the curriculum, the
 * enrolment date, what is completed and the time. No I/O, so every rule is tested as a table.
 *
 * A lesson is locked when any of these holds:
 * - its unlock is `sequential` and the previous published lesson (course order) is not completed;
 * - `timed`: enrolledAt + afterDays is in the future;     `date`: `at` is in the future;
 * - its section drips (`days` after enrolment, or a `date`) and that time is in the future;
 * - its section has prerequisites and some published lesson of those sections is not completed.
 * `unlocksAt` is the time it opens when only time-based rules lock it, else null.
 */
export type UnlockRule =
  | { type: 'immediate' }
  | { type: 'sequential' }
  | { type: 'timed'; afterDays: number }
  | { type: 'date'; at: string };
export type DripRule = { type: 'none' } | { type: 'days'; days: number } | { type: 'date'; date: string };

export type CurriculumSection = {
  id: string;
  position: number;
  /** A draft section hides its lessons from learners, so they neither count nor lock (left out = published). */
  status?: 'draft' | 'published';
  drip: DripRule;
  prerequisites: string[];
};
export type CurriculumLesson = {
  id: string;
  sectionId: string | null;
  position: number;
  status: 'draft' | 'published';
  unlock: UnlockRule;
};

export type LessonState = { locked: boolean; unlocksAt: Date | null };

const DAY_MS = 86_400_000;

/**
 * Published lessons of published sections (and unsectioned ones) in course order: sections by
 * position (unsectioned lessons last), then lessons by position.
 */
export function courseOrder<L extends CurriculumLesson>(sections: CurriculumSection[], lessons: L[]): L[] {
  const sectionPos = new Map(sections.map((s) => [s.id, s.position]));
  const draftSections = new Set(sections.filter((s) => s.status === 'draft').map((s) => s.id));
  return lessons
    .filter((l) => l.status === 'published' && !(l.sectionId && draftSections.has(l.sectionId)))
    .sort((a, b) => {
      const sa = a.sectionId ? (sectionPos.get(a.sectionId) ?? Infinity) : Infinity;
      const sb = b.sectionId ? (sectionPos.get(b.sectionId) ?? Infinity) : Infinity;
      return sa - sb || a.position - b.position;
    });
}

export function lessonStates(input: {
  sections: CurriculumSection[];
  lessons: CurriculumLesson[];
  completed: ReadonlySet<string>;
  enrolledAt: Date;
  now: Date;
}): Map<string, LessonState> {
  const { sections, completed, enrolledAt, now } = input;
  const ordered = courseOrder(sections, input.lessons);
  const sectionById = new Map(sections.map((s) => [s.id, s]));
  const sectionDone = (sectionId: string) =>
    ordered.filter((l) => l.sectionId === sectionId).every((l) => completed.has(l.id));

  const states = new Map<string, LessonState>();
  ordered.forEach((lesson, i) => {
    const times: Date[] = [];
    let blocked = false; // locked by something that is not a time

    const at = (d: Date) => {
      if (d.getTime() > now.getTime()) times.push(d);
    };
    if (lesson.unlock.type === 'sequential' && i > 0 && !completed.has(ordered[i - 1]!.id)) blocked = true;
    if (lesson.unlock.type === 'timed') at(new Date(enrolledAt.getTime() + lesson.unlock.afterDays * DAY_MS));
    if (lesson.unlock.type === 'date') at(new Date(lesson.unlock.at));

    const section = lesson.sectionId ? sectionById.get(lesson.sectionId) : undefined;
    if (section) {
      if (section.drip.type === 'days') at(new Date(enrolledAt.getTime() + section.drip.days * DAY_MS));
      if (section.drip.type === 'date') at(new Date(section.drip.date));
      if (section.prerequisites.some((p) => !sectionDone(p))) blocked = true;
    }

    const locked = blocked || times.length > 0;
    const unlocksAt = !blocked && times.length ? new Date(Math.max(...times.map((t) => t.getTime()))) : null;
    states.set(lesson.id, { locked, unlocksAt });
  });
  return states;
}
