import type { Db } from '../../db/client.js';
import { AppError, notFound } from '../../lib/errors.js';
import { assertIfMatch, etagOf } from '../../lib/etag.js';
import { newId } from '../../lib/ids.js';
import { type RawJson, rawJson } from '../../lib/raw-json.js';
import { parseMarkdown, parseRichText, renderRichText } from '../../lib/richtext.js';
import type { EventService } from '../events/events.service.js';
import { changeEvents, objectOf } from './course-events.js';
import { findCourse } from './courses.repo.js';
import type { CreateSection, Section, SectionList, UpdateSection } from './courses.schemas.js';
import type { CourseService } from './courses.service.js';
import * as curriculum from './curriculum.repo.js';
import { wholeList } from './json-list.js';
import { Problems } from './lesson-input.js';

/** Rich text of a section description (or its Markdown twin); undefined when not sent. */
function descriptionOf(input: { description?: unknown; descriptionMarkdown?: string | undefined }, problems: Problems) {
  try {
    if (input.descriptionMarkdown !== undefined) {
      const doc = parseMarkdown(input.descriptionMarkdown, 'descriptionMarkdown');
      return { description: doc, descriptionHtml: renderRichText(doc) };
    }
    if (input.description === undefined) return undefined;
    if (input.description === null) return { description: null, descriptionHtml: null };
    const doc = parseRichText(input.description, 'description');
    return { description: doc, descriptionHtml: renderRichText(doc) };
  } catch (e) {
    problems.addError(e);
    return undefined;
  }
}

/** Prerequisites must be other sections of the course, and the graph must stay acyclic. */
function checkPrerequisites(
  sectionId: string,
  prerequisites: string[],
  all: curriculum.SectionRow[],
  problems: Problems,
) {
  const ids = new Set(all.map((s) => s.id));
  prerequisites.forEach((p, i) => {
    if (p === sectionId)
      problems.add('validation_error', `prerequisites.${i}`, 'A section cannot be its own prerequisite.');
    else if (!ids.has(p)) problems.add('validation_error', `prerequisites.${i}`, 'Not a section of this course.');
  });
  const graph = new Map(all.map((s) => [s.id, s.prerequisites]));
  graph.set(sectionId, prerequisites);
  const visiting = new Set<string>();
  const done = new Set<string>();
  const cyclic = (node: string): boolean => {
    if (done.has(node)) return false;
    if (visiting.has(node)) return true;
    visiting.add(node);
    const found = (graph.get(node) ?? []).some(cyclic);
    visiting.delete(node);
    done.add(node);
    return found;
  };
  if (cyclic(sectionId)) problems.add('validation_error', 'prerequisites', 'These prerequisites would make a cycle.');
}

/** Sections (modules) of a course: dense 1-based positions, unique titles, drip and prerequisites. */
export function createSectionService({
  db,
  courses,
  events,
}: {
  db: Db;
  courses: CourseService;
  events: EventService;
}) {
  async function doc(
    tx: Parameters<typeof curriculum.sectionDocuments>[0],
    schoolId: string,
    courseId: string,
    sectionId: string,
  ) {
    const [json] = await curriculum.sectionDocuments(tx, schoolId, courseId, sectionId);
    const row = await curriculum.findSection(tx, schoolId, courseId, sectionId);
    if (!json || !row) throw notFound('Section');
    return { json: rawJson<Section>(json), etag: etagOf(row) };
  }

  /** The section as GET returns it (an event's object or its state before a change). */
  async function sectionJsonOf(
    tx: Parameters<typeof curriculum.sectionDocuments>[0],
    schoolId: string,
    courseId: string,
    sectionId: string,
  ) {
    const [json] = await curriculum.sectionDocuments(tx, schoolId, courseId, sectionId);
    if (!json) throw notFound('Section');
    return json;
  }

  return {
    async list(schoolId: string, courseId: string): Promise<RawJson<SectionList>> {
      if (!(await findCourse(db, schoolId, courseId))) throw notFound('Course');
      return wholeList<SectionList>(await curriculum.sectionDocuments(db, schoolId, courseId));
    },

    async get(schoolId: string, courseId: string, sectionId: string) {
      if (!(await findCourse(db, schoolId, courseId))) throw notFound('Course');
      return doc(db, schoolId, courseId, sectionId);
    },

    async create(schoolId: string, courseId: string, input: CreateSection) {
      if (!(await findCourse(db, schoolId, courseId))) throw notFound('Course');
      return db.transaction(async (tx) => {
        await courses.lock(tx, schoolId, courseId);
        const all = await curriculum.sectionsOf(tx, schoolId, courseId);
        const problems = new Problems();
        const desc = descriptionOf(input, problems);
        const id = newId('section');
        if (input.prerequisites?.length) checkPrerequisites(id, input.prerequisites, all, problems);
        problems.throwIfAny();
        const wanted = input.position ?? input.order ?? all.length + 1;
        await curriculum.insertSectionAt(tx, schoolId, {
          id,
          courseId,
          title: input.title,
          position: Math.min(wanted, all.length + 1),
          ...(desc ?? {}),
          posterImageUrl: input.posterImageUrl ?? null,
          status: input.status ?? 'published',
          drip: input.drip ?? { type: 'none' },
          prerequisites: input.prerequisites ?? [],
          externalId: input.externalId ?? null,
        });
        // The poster URL is kept as sent; its copy into media is a job that runs after COMMIT.
        if (input.posterImageUrl)
          await courses.queueImageCopies(tx, schoolId, [
            { target: { type: 'section', id }, url: input.posterImageUrl },
          ]);
        await courses.touch(tx, schoolId, courseId);
        const created = await doc(tx, schoolId, courseId, id);
        await events.recordMany(tx, [{ schoolId, type: 'section.created', object: created.json }]);
        return created;
      });
    },

    async update(schoolId: string, courseId: string, sectionId: string, patch: UpdateSection, ifMatch?: string) {
      if (!(await findCourse(db, schoolId, courseId))) throw notFound('Course');
      const before = await curriculum.findSection(db, schoolId, courseId, sectionId);
      if (!before) throw notFound('Section');
      let replacedCopy: string | null = null;
      const result = await db.transaction(async (tx) => {
        await courses.lock(tx, schoolId, courseId);
        const all = await curriculum.sectionsOf(tx, schoolId, courseId);
        const section = all.find((s) => s.id === sectionId);
        if (!section) throw notFound('Section');
        assertIfMatch(ifMatch, section);
        const problems = new Problems();
        const desc = descriptionOf(patch, problems);
        if (patch.prerequisites) checkPrerequisites(sectionId, patch.prerequisites, all, problems);
        problems.throwIfAny();
        const beforeJson = await sectionJsonOf(tx, schoolId, courseId, sectionId);
        // A new poster URL drops the old copy; the new one is copied in the background.
        const newPoster = patch.posterImageUrl !== undefined && patch.posterImageUrl !== section.posterImageUrl;
        if (newPoster) {
          replacedCopy = section.posterMediaId;
          if (patch.posterImageUrl)
            await courses.queueImageCopies(tx, schoolId, [
              { target: { type: 'section', id: sectionId }, url: patch.posterImageUrl },
            ]);
        }
        // Fields not sent stay undefined and keep their value.
        await curriculum.updateSection(tx, schoolId, sectionId, {
          ...(desc ?? {}),
          ...(newPoster ? { posterMediaId: null } : {}),
          title: patch.title,
          posterImageUrl: patch.posterImageUrl,
          status: patch.status,
          drip: patch.drip,
          prerequisites: patch.prerequisites,
          externalId: patch.externalId,
        });
        const to = patch.position ?? patch.order;
        if (to !== undefined) await curriculum.moveSection(tx, schoolId, section, Math.min(to, all.length));
        await courses.touch(tx, schoolId, courseId);
        const updated = await doc(tx, schoolId, courseId, sectionId);
        await events.recordMany(tx, changeEvents(schoolId, 'section.updated', beforeJson, updated.json));
        return updated;
      });
      // A replaced poster copy is no longer used by anything.
      if (replacedCopy) await courses.discardCopy(schoolId, replacedCopy);
      return result;
    },

    /** Deletes the section and its lessons. */
    async delete(schoolId: string, courseId: string, sectionId: string, ifMatch?: string) {
      await db.transaction(async (tx) => {
        await courses.lock(tx, schoolId, courseId);
        const section = await curriculum.findSection(tx, schoolId, courseId, sectionId);
        if (!section) throw notFound('Section');
        assertIfMatch(ifMatch, section);
        // The section as it was (its lessons go with it: one section.deleted).
        const json = await sectionJsonOf(tx, schoolId, courseId, sectionId);
        await events.recordMany(tx, [{ schoolId, type: 'section.deleted', object: objectOf(json) }]);
        await curriculum.deleteSection(tx, schoolId, section);
        await courses.touch(tx, schoolId, courseId);
      });
    },

    /** `sectionIds` must list every section of the course exactly once. */
    async reorder(schoolId: string, courseId: string, sectionIds: string[]): Promise<RawJson<SectionList>> {
      return db.transaction(async (tx) => {
        await courses.lock(tx, schoolId, courseId);
        const all = await curriculum.sectionsOf(tx, schoolId, courseId);
        const known = new Set(all.map((s) => s.id));
        const details = [];
        const seen = new Set<string>();
        for (const [i, id] of sectionIds.entries()) {
          if (!known.has(id)) details.push({ path: `sectionIds.${i}`, message: 'Not a section of this course.' });
          else if (seen.has(id)) details.push({ path: `sectionIds.${i}`, message: 'Listed twice.' });
          seen.add(id);
        }
        const missing = all.filter((s) => !seen.has(s.id)).map((s) => s.id);
        if (missing.length) details.push({ path: 'sectionIds', message: `Missing: ${missing.join(', ')}.` });
        if (details.length)
          throw new AppError(
            'validation_error',
            'sectionIds must list every section of the course exactly once.',
            details,
          );
        await curriculum.reorderSections(tx, schoolId, courseId, sectionIds);
        await courses.touch(tx, schoolId, courseId);
        const docs = await curriculum.sectionDocuments(tx, schoolId, courseId);
        // section.updated for each section whose position changed (docs are in the new order).
        const oldPosition = new Map(all.map((s) => [s.id, s.position]));
        await events.recordMany(
          tx,
          sectionIds.flatMap((id, i) =>
            oldPosition.get(id) === i + 1
              ? []
              : [
                  {
                    schoolId,
                    type: 'section.updated' as const,
                    object: objectOf(docs[i]!),
                    previousAttributes: { position: oldPosition.get(id) },
                  },
                ],
          ),
        );
        return wholeList<SectionList>(docs);
      });
    },
  };
}
export type SectionService = ReturnType<typeof createSectionService>;
