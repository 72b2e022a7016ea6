import { del, get, post, query } from '../api.js';
import { announce, append, badge, field, h, pageTitle, table, when } from '../ui.js';

const href = (course) => `#/courses/${encodeURIComponent(course.id)}`;

function duration(seconds) {
  if (!seconds) return null;
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return m ? `${m} min${s ? ` ${s} s` : ''}` : `${s} s`;
}

/** Courses: search by title and filter by status; pages by cursor. */
export async function renderCourses(view) {
  const results = h('div', { id: 'course-results' });
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Show more');
  let next = null;
  let rows = [];

  const search = h('input', { name: 'search', type: 'search' });
  const status = h(
    'select',
    { name: 'status' },
    ['all', 'published', 'draft', 'archived'].map((s) => h('option', { value: s }, s[0].toUpperCase() + s.slice(1))),
  );

  function show() {
    results.replaceChildren(
      table(
        'Courses, newest first',
        ['Title', 'Type', 'Status', 'Updated'],
        rows.map((c) => [h('a', { href: href(c) }, c.title), c.type, badge(c.status), when(c.updatedAt)]),
        'No course matches.',
      ),
    );
    more.hidden = !next;
  }

  async function load(cursor) {
    const page = await get(
      `/courses${query({ limit: 25, search: search.value.trim(), status: status.value, cursor, 'fields[courses]': 'title,type,status,updatedAt' })}`,
    );
    rows = cursor ? rows.concat(page.data) : page.data;
    next = page.pagination.nextCursor;
    show();
    return page;
  }

  const form = h(
    'form',
    { class: 'toolbar', role: 'search', 'aria-label': 'Courses' },
    field('Search titles', search),
    field('Status', status),
    h('button', { type: 'submit' }, 'Search'),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const page = await load();
      announce(`${page.pagination.total ?? page.data.length} course(s) found.`);
    } catch (err) {
      announce(err.message, 'error');
    }
  });
  more.addEventListener('click', async () => {
    try {
      await load(next);
      announce(`${rows.length} courses shown.`);
    } catch (err) {
      announce(err.message, 'error');
    }
  });

  await load();
  append(view, [pageTitle('Courses'), form, results, more]);
}

function lessonItem(lesson) {
  return h(
    'li',
    { class: 'lesson' },
    h('span', { class: 'lesson-title' }, lesson.title),
    ' ',
    badge(lesson.type, 'type'),
    lesson.status === 'draft' ? [' ', badge('draft')] : null,
    lesson.isPreview ? [' ', badge('preview', 'info')] : null,
    duration(lesson.duration) ? h('span', { class: 'muted' }, ` · ${duration(lesson.duration)}`) : null,
  );
}

/** One course: facts, publish/unpublish with every `publish_blocked` reason, the outline in order. */
export async function renderCourse(view, id) {
  const path = `/courses/${encodeURIComponent(id)}`;
  let course = await get(path);
  const head = h('div');
  const blocked = h('div', { id: 'publish-result' });

  function showHead() {
    const published = course.status === 'published';
    const button = h(
      'button',
      { type: 'button', class: published ? 'secondary' : '' },
      published ? 'Unpublish' : 'Publish',
    );
    button.addEventListener('click', () => togglePublish(published));
    head.replaceChildren(
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Status'),
        h('dd', { id: 'course-status' }, badge(course.status)),
        h('dt', {}, 'Type'),
        h('dd', {}, course.type),
        h('dt', {}, 'Slug'),
        h('dd', {}, h('code', {}, course.slug)),
        h('dt', {}, 'Price'),
        h(
          'dd',
          {},
          course.isFree ? 'Free' : course.price ? `${(course.price / 100).toFixed(2)} ${course.currency}` : '—',
        ),
        h('dt', {}, 'Updated'),
        h('dd', {}, when(course.updatedAt)),
      ),
      h('div', { class: 'actions' }, button),
    );
  }

  async function togglePublish(published) {
    blocked.replaceChildren();
    try {
      course = published ? await del(`${path}/publish`) : await post(`${path}/publish`);
      if (!course) course = await get(path);
      showHead();
      announce(published ? 'Course unpublished.' : 'Course published.');
    } catch (err) {
      if (err.code !== 'publish_blocked') {
        announce(err.message, 'error');
        return;
      }
      const box = h(
        'div',
        { class: 'form-errors', role: 'alert', tabindex: '-1' },
        h('p', {}, 'This course cannot be published yet:'),
        h(
          'ul',
          {},
          err.details.map((d) => h('li', { 'data-code': d.code ?? '' }, d.message)),
        ),
      );
      blocked.replaceChildren(box);
      box.focus();
    }
  }

  const sections = (course.sections ?? []).toSorted((a, b) => a.position - b.position);
  const byPosition = (a, b) => a.position - b.position;
  const outline = h(
    'ol',
    { class: 'outline', 'aria-label': 'Sections' },
    sections.map((section) =>
      h(
        'li',
        { class: 'section' },
        h('h3', {}, section.title, section.status === 'draft' ? [' ', badge('draft')] : null),
        (section.lessons ?? []).length
          ? h(
              'ol',
              { class: 'lessons', 'aria-label': `Lessons of ${section.title}` },
              section.lessons.toSorted(byPosition).map(lessonItem),
            )
          : h('p', { class: 'empty' }, 'No lessons in this section.'),
      ),
    ),
  );
  const loose = (course.unsectionedLessons ?? []).toSorted(byPosition);

  showHead();
  append(view, [
    h('p', { class: 'crumbs' }, h('a', { href: '#/courses' }, '← Courses')),
    pageTitle(course.title),
    head,
    blocked,
    h('h2', {}, 'Outline'),
    sections.length ? outline : h('p', { class: 'empty' }, 'No sections yet.'),
    loose.length
      ? [
          h('h2', {}, 'Lessons outside sections'),
          h('ol', { class: 'lessons', 'aria-label': 'Lessons outside sections' }, loose.map(lessonItem)),
        ]
      : null,
  ]);
}
