/**
 * Lesson input → stored values, as one pure function used by lesson routes and nested course
 * creation alike, so a problem is reported with the same path either way
 * (`sections.1.lessons.0.videoUrl` or `videoUrl`). Database checks (instructors) are batched by
 * the caller.
 */
import type { lessons } from '../../db/schema/index.js';
import { AppError, type ErrorDetail } from '../../lib/errors.js';
import { parseMarkdown, parseRichText, renderRichText } from '../../lib/richtext.js';
import { zodIssuesToDetails } from '../../lib/validation.js';
import { parseVideoUrl } from '../../lib/video.js';
import { type CreateLesson, QuizSchema, type UpdateLesson } from './courses.schemas.js';
import type { LessonRow } from './curriculum.repo.js';

export type LessonValues = Partial<Omit<typeof lessons.$inferInsert, 'id' | 'schoolId' | 'courseId' | 'position'>>;

/** Problems found while preparing input, each with its own error code; thrown together once. */
export class Problems {
  readonly list: { code: AppError['code']; detail: ErrorDetail }[] = [];
  add(code: AppError['code'], path: string, message: string) {
    this.list.push({ code, detail: { path, message, code } });
  }
  addError(e: unknown) {
    if (!(e instanceof AppError)) throw e;
    for (const detail of e.details ?? [{ path: '', message: e.message }]) this.list.push({ code: e.code, detail });
  }
  /** One problem keeps its own code (e.g. invalid_video_url); several become one validation_error. */
  throwIfAny(): void {
    if (this.list.length === 0) return;
    const first = this.list[0]!;
    const codes = new Set(this.list.map((p) => p.code));
    const code = codes.size === 1 ? first.code : 'validation_error';
    const more =
      this.list.length > 1 ? ` (and ${this.list.length - 1} more problem${this.list.length > 2 ? 's' : ''})` : '';
    throw new AppError(
      code,
      `Field '${first.detail.path}': ${first.detail.message.replace(/\.$/, '')}${more}.`,
      this.list.map((p) => p.detail),
    );
  }
}

const MEDIA_TYPES = new Set(['audio', 'pdf', 'file']);

/**
 * Validates and normalises one lesson. `at(path)` prefixes field names (e.g. `sections.0.lessons.2.`);
 * `existing` is the stored lesson for updates (rules apply to the merged result).
 */
export function prepareLesson(
  input: CreateLesson | UpdateLesson,
  prefix: string,
  problems: Problems,
  existing?: LessonRow,
): LessonValues {
  const at = (field: string) => `${prefix}${field}`;
  const v: LessonValues = {};

  if (input.type === 'scorm') {
    problems.add('not_supported', at('type'), 'SCORM lessons cannot be created through the API.');
    return v;
  }
  // A lesson given only a videoUrl is a video lesson (the Blohko curriculum format).
  const type = input.type ?? existing?.type ?? (input.videoUrl ? 'video' : 'text');
  if (input.type !== undefined || !existing) v.type = type;

  for (const key of [
    'title',
    'downloadable',
    'duration',
    'isPreview',
    'status',
    'unlock',
    'completion',
    'externalId',
    'sectionId',
  ] as const) {
    if (input[key] !== undefined) (v as Record<string, unknown>)[key] = input[key];
  }
  const summary = input.summary !== undefined ? input.summary : input.description;
  if (summary !== undefined) v.summary = summary;
  if (input.instructorId !== undefined) v.instructorId = input.instructorId;

  // Content: rich text for every type but quiz, whose content is the quiz definition.
  const contentChanged = input.content !== undefined || input.contentMarkdown !== undefined;
  if (type === 'quiz') {
    if (input.contentMarkdown !== undefined)
      problems.add('validation_error', at('contentMarkdown'), 'A quiz lesson takes its questions in content.');
    else if (input.content !== undefined || !existing || existing.type !== 'quiz') {
      const quiz = QuizSchema.safeParse(input.content);
      if (!quiz.success) {
        for (const d of zodIssuesToDetails(quiz.error.issues, [at('content')]))
          problems.add('validation_error', d.path, d.message);
      } else {
        v.content = quiz.data;
        v.contentHtml = null;
      }
    }
  } else if (contentChanged || (existing?.type === 'quiz' && input.type !== undefined)) {
    try {
      if (input.contentMarkdown !== undefined) v.content = parseMarkdown(input.contentMarkdown, at('contentMarkdown'));
      else if (input.content === null || input.content === undefined) v.content = null;
      else v.content = parseRichText(input.content, at('content'));
      v.contentHtml = v.content ? renderRichText(v.content as Parameters<typeof renderRichText>[0]) : null;
    } catch (e) {
      problems.addError(e);
    }
  }

  if (input.videoUrl !== undefined) {
    if (input.videoUrl === null) {
      v.videoUrl = null;
      v.videoMeta = null;
    } else if (type !== 'video' && type !== 'embed') {
      problems.add('validation_error', at('videoUrl'), `videoUrl is for video and embed lessons, not ${type} lessons.`);
    } else {
      const meta = parseVideoUrl(input.videoUrl);
      if (!meta)
        problems.add(
          'invalid_video_url',
          at('videoUrl'),
          'Not a YouTube, Vimeo or direct video (.mp4 .webm .ogg .mov .m3u8) URL.',
        );
      else {
        v.videoUrl = meta.embedUrl;
        v.videoMeta = meta;
      }
    }
  }

  // Media: required for audio, pdf and file lessons; video lessons take media or a videoUrl.
  const mediaAllowed = MEDIA_TYPES.has(type) || type === 'video';
  if (!mediaAllowed && input.media) problems.add('validation_error', at('media'), `A ${type} lesson has no media.`);
  else if (input.media !== undefined) v.mediaId = input.media?.mediaId ?? null;
  if (!mediaAllowed && existing?.mediaId && input.media === undefined) v.mediaId = null;
  const hasMedia = input.media !== undefined ? input.media !== null : Boolean(existing?.mediaId);

  // A lesson that stops being a video or embed lesson drops its video.
  if (existing && type !== 'video' && type !== 'embed' && existing.videoUrl && input.videoUrl === undefined) {
    v.videoUrl = null;
    v.videoMeta = null;
  }
  // A videoUrl that was sent counts (if it was invalid, that is reported already).
  const hasVideo = typeof input.videoUrl === 'string' || (input.videoUrl === undefined && Boolean(existing?.videoUrl));
  if (type === 'video' && !hasVideo && !hasMedia)
    problems.add('validation_error', at('videoUrl'), 'A video lesson needs media or a videoUrl.');

  if (input.removeThumbnail) {
    if (input.thumbnailUrl)
      problems.add('validation_error', at('removeThumbnail'), 'Send thumbnailUrl or removeThumbnail, not both.');
    v.thumbnailUrl = null;
    v.thumbnailMediaId = null;
  } else if (input.thumbnailUrl !== undefined) v.thumbnailUrl = input.thumbnailUrl;

  if (MEDIA_TYPES.has(type) && !hasMedia)
    problems.add('validation_error', at('media'), `A ${type} lesson needs media ({ mediaId }).`);
  const completion = input.completion?.type ?? existing?.completion.type;
  if (completion === 'video' && type !== 'video')
    problems.add('validation_error', at('completion.type'), 'Video completion needs a video lesson.');
  if (completion === 'quiz' && type !== 'quiz')
    problems.add('validation_error', at('completion.type'), 'Quiz completion needs a quiz lesson.');
  if (!input.completion && !existing) v.completion = { type: type === 'quiz' ? 'quiz' : 'button' };
  return v;
}
