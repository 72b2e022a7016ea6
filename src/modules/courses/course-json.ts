/**
 * The course aggregate's API representation, built by PostgreSQL itself (json_build_object /
 * json_agg) so that the hottest read — a course with its whole curriculum — is one query whose
 * JSON text is passed through to the client unparsed. These fragments are the only presenter of
 * courses, sections, lessons and payment plans: every route answers with them. Every sub-select
 * also matches its rows' school_id to the course's (child rows of another school never show).
 */
import { type SQL, sql } from 'drizzle-orm';

/** ISO 8601 with milliseconds, exactly as Date.prototype.toISOString writes it. */
const iso = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

export type CourseJsonOptions = {
  lessonContent?: boolean;
  lessonMedia?: boolean;
  paymentPlans?: boolean;
  category?: boolean;
  instructors?: boolean;
};

/** `withMedia`: lessons embed their media record (its download URL comes from GET /media/{id}). */
export function lessonJson(l: string, withContent: boolean, withMedia = false): string {
  return `json_build_object(
    'object', 'lesson', 'id', ${l}.id, 'courseId', ${l}.course_id, 'sectionId', ${l}.section_id,
    'title', ${l}.title, 'type', ${l}.type, 'position', ${l}.position, 'status', ${l}.status,
    'summary', ${l}.summary, 'downloadable', ${l}.downloadable, 'duration', ${l}.duration,
    'isPreview', ${l}.is_preview, 'videoUrl', ${l}.video_url, 'videoMeta', ${l}.video_meta,
    'unlock', ${l}.unlock, 'completion', ${l}.completion, 'instructorId', ${l}.instructor_id,
    'thumbnailUrl', ${l}.thumbnail_url, 'thumbnailMediaId', ${l}.thumbnail_media_id, 'externalId', ${l}.external_id,
    ${withContent ? `'content', ${l}.content, 'contentHtml', ${l}.content_html,` : ''}
    'mediaId', ${l}.media_id,
    ${withMedia ? `'media', (SELECT json_build_object('object', 'media', 'id', m.id, 'fileName', m.file_name, 'mimeType', m.mime_type, 'size', m.size, 'status', m.status, 'duration', m.duration) FROM media m WHERE m.id = ${l}.media_id AND m.school_id = ${l}.school_id),` : ''}
    'createdAt', ${iso(`${l}.created_at`)}, 'updatedAt', ${iso(`${l}.updated_at`)})`;
}

function lessonsOf(where: string, withContent: boolean, withMedia = false): string {
  return `coalesce((SELECT json_agg(${lessonJson('l', withContent, withMedia)} ORDER BY l.position) FROM lessons l WHERE ${where}), '[]'::json)`;
}

export function sectionJson(s: string, lessons: { withContent: boolean; withMedia?: boolean } | undefined): string {
  return `json_build_object(
    'object', 'section', 'id', ${s}.id, 'courseId', ${s}.course_id, 'title', ${s}.title,
    'description', ${s}.description, 'descriptionHtml', ${s}.description_html, 'position', ${s}.position,
    'posterImageUrl', ${s}.poster_image_url, 'posterMediaId', ${s}.poster_media_id, 'status', ${s}.status, 'drip', ${s}.drip,
    'prerequisites', to_json(${s}.prerequisites), 'externalId', ${s}.external_id,
    ${lessons ? `'lessons', ${lessonsOf(`l.section_id = ${s}.id AND l.school_id = ${s}.school_id`, lessons.withContent, lessons.withMedia)},` : ''}
    'createdAt', ${iso(`${s}.created_at`)}, 'updatedAt', ${iso(`${s}.updated_at`)})`;
}

/** A plan; `defaultId` is the SQL expression of its course's default plan id. */
export function planJson(p: string, defaultId: string): string {
  return `json_build_object(
    'object', 'payment_plan', 'id', ${p}.id, 'courseId', ${p}.course_id, 'name', ${p}.name, 'type', ${p}.type,
    'amount', ${p}.amount, 'currency', ${p}.currency, 'interval', ${p}.interval,
    'installments', CASE WHEN ${p}.installments_count IS NULL THEN NULL ELSE json_build_object('count', ${p}.installments_count) END,
    'description', ${p}.description, 'status', ${p}.status, 'isDefault', ${p}.id IS NOT DISTINCT FROM ${defaultId},
    'createdAt', ${iso(`${p}.created_at`)}, 'updatedAt', ${iso(`${p}.updated_at`)})`;
}

/**
 * A course from `courses c JOIN schools sch LEFT JOIN payment_plans dp (the default plan)`;
 * with `curriculum`, its ordered sections and lessons, plus the requested includes.
 */
export function courseJson(curriculum: boolean, opts: CourseJsonOptions = {}): string {
  const withContent = opts.lessonContent ?? false;
  const withMedia = opts.lessonMedia ?? false;
  const parts = [
    `'object', 'course', 'id', c.id, 'title', c.title, 'type', c.type, 'slug', c.slug`,
    `'description', c.description, 'descriptionHtml', c.description_html, 'shortDescription', c.short_description`,
    `'thumbnailUrl', c.thumbnail_url, 'thumbnailMediaId', c.featured_media_id, 'featuredImage', CASE WHEN c.featured_media_id IS NULL THEN NULL ELSE json_build_object('mediaId', c.featured_media_id) END`,
    `'trailerUrl', c.trailer_url, 'level', c.level, 'categoryId', c.category_id`,
    `'tags', coalesce((SELECT json_agg(t.name ORDER BY ct.position) FROM course_tags ct JOIN tags t ON t.id = ct.tag_id AND t.school_id = c.school_id WHERE ct.course_id = c.id), '[]'::json)`,
    `'authors', to_json(c.authors), 'externalId', c.external_id, 'customFields', c.custom_fields, 'source', c.source`,
    `'privacy', c.privacy, 'status', c.status`,
    `'isFree', coalesce(dp.type = 'free', false), 'price', coalesce(dp.amount, 0), 'currency', coalesce(dp.currency, sch.currency)`,
    `'defaultPaymentPlanId', c.default_payment_plan_id, 'publishedAt', ${iso('c.published_at')}`,
  ];
  if (curriculum) {
    parts.push(
      `'sections', coalesce((SELECT json_agg(${sectionJson('s', { withContent, withMedia })} ORDER BY s.position) FROM sections s WHERE s.course_id = c.id AND s.school_id = c.school_id), '[]'::json)`,
      `'unsectionedLessons', ${lessonsOf('l.course_id = c.id AND l.school_id = c.school_id AND l.section_id IS NULL', withContent, withMedia)}`,
    );
  }
  if (opts.paymentPlans) {
    parts.push(
      `'paymentPlans', coalesce((SELECT json_agg(${planJson('p', 'c.default_payment_plan_id')} ORDER BY p.created_at, p.id) FROM payment_plans p WHERE p.course_id = c.id AND p.school_id = c.school_id), '[]'::json)`,
    );
  }
  if (opts.category) {
    parts.push(
      `'category', (SELECT json_build_object('object', 'category', 'id', cat.id, 'name', cat.name, 'slug', cat.slug, 'icon', cat.icon, 'order', cat."order") FROM categories cat WHERE cat.id = c.category_id AND cat.school_id = c.school_id)`,
    );
  }
  if (opts.instructors) {
    parts.push(
      `'instructors', coalesce((SELECT json_agg(json_build_object('object', 'user', 'id', u.id, 'name', u.name, 'email', u.email, 'role', u.role, 'avatarUrl', u.avatar_url, 'bio', u.bio) ORDER BY u.name, u.id)
         FROM users u WHERE u.school_id = c.school_id
          AND u.id IN (SELECT li.instructor_id FROM lessons li WHERE li.course_id = c.id AND li.school_id = c.school_id)), '[]'::json)`,
    );
  }
  parts.push(`'createdAt', ${iso('c.created_at')}, 'updatedAt', ${iso('c.updated_at')}`);
  return `json_build_object(${parts.join(',\n')})`;
}

/** FROM clause the course fragment expects. */
export const COURSE_FROM_SQL =
  'courses c JOIN schools sch ON sch.id = c.school_id LEFT JOIN payment_plans dp ON dp.id = c.default_payment_plan_id AND dp.school_id = c.school_id';
export const COURSE_FROM = sql.raw(COURSE_FROM_SQL);

export const raw = (s: string): SQL => sql.raw(s);

/**
 * The course document with its instructors' emails set to null where `visible` says no (emails are
 * student data, issue 11). Parsed only when the document embeds instructors with an email to hide.
 */
export function hideInstructorEmails(json: string, visible: (userId: string) => boolean): string {
  if (!/"instructors"\s*:/.test(json)) return json;
  const course = JSON.parse(json) as { instructors?: { id?: string; email?: string | null }[] };
  const hidden = course.instructors?.filter((u) => typeof u.email === 'string' && !(u.id && visible(u.id)));
  if (!hidden?.length) return json;
  for (const u of hidden) u.email = null;
  return JSON.stringify(course);
}
