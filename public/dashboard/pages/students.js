import { get, query } from '../api.js';
import { announce, append, field, h, pageTitle, table, when } from '../ui.js';

const href = (s) => `#/students/${encodeURIComponent(s.id)}`;

/** Students: search by name or email; pages by cursor. */
export async function renderStudents(view) {
  const results = h('div', { id: 'student-results' });
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Show more');
  const search = h('input', { name: 'search', type: 'search' });
  let rows = [];
  let next = null;

  async function load(cursor) {
    const page = await get(`/students${query({ limit: 25, search: search.value.trim(), cursor })}`);
    rows = cursor ? rows.concat(page.data) : page.data;
    next = page.pagination.nextCursor;
    results.replaceChildren(
      table(
        'Students, newest first',
        ['Name', 'Email', 'Joined'],
        rows.map((s) => [h('a', { href: href(s) }, s.name), s.email, when(s.createdAt)]),
        'No student matches.',
      ),
    );
    more.hidden = !next;
    return page;
  }

  const form = h(
    'form',
    { class: 'toolbar', role: 'search', 'aria-label': 'Students' },
    field('Search by name or email', search),
    h('button', { type: 'submit' }, 'Search'),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const page = await load();
      announce(`${page.pagination.total ?? page.data.length} student(s) found.`);
    } catch (err) {
      announce(err.message, 'error');
    }
  });
  more.addEventListener('click', async () => {
    try {
      await load(next);
    } catch (err) {
      announce(err.message, 'error');
    }
  });

  await load();
  append(view, [pageTitle('Students'), form, results, more]);
}

/** One student: profile and each enrollment with its progress. */
export async function renderStudent(view, id) {
  const student = await get(`/students/${encodeURIComponent(id)}`);
  const page = await get(`/enrollments${query({ studentId: student.id, limit: 20 })}`);
  // Progress is on the single enrollment; course titles come from the course list (sparse fields).
  const [detailed, titles] = await Promise.all([
    Promise.all(page.data.map((e) => get(`/enrollments/${encodeURIComponent(e.id)}`))),
    courseTitles(page.data.map((e) => e.courseId)),
  ]);
  const rows = detailed.map((e) => {
    const p = e.progress;
    const label = `${p.percent}% (${p.completedLessons} of ${p.totalLessons} lessons)`;
    return [
      h('a', { href: `#/courses/${encodeURIComponent(e.courseId)}` }, titles.get(e.courseId) ?? e.courseId),
      when(e.enrolledAt),
      h(
        'span',
        { class: 'progress' },
        h('progress', {
          max: '100',
          value: String(p.percent),
          'aria-label': `Progress in ${titles.get(e.courseId) ?? e.courseId}`,
        }),
        ` ${label}`,
      ),
    ];
  });

  append(view, [
    h('p', { class: 'crumbs' }, h('a', { href: '#/students' }, '← Students')),
    pageTitle(student.name),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Email'),
      h('dd', {}, student.email),
      h('dt', {}, 'Id'),
      h('dd', {}, h('code', {}, student.id)),
      student.externalId ? [h('dt', {}, 'External id'), h('dd', {}, student.externalId)] : null,
      h('dt', {}, 'Joined'),
      h('dd', {}, when(student.createdAt)),
    ),
    h('h2', {}, 'Enrollments'),
    table(
      'Courses this student is enrolled in',
      ['Course', 'Enrolled', 'Progress'],
      rows,
      'Not enrolled in any course.',
    ),
    page.pagination.hasMore ? h('p', { class: 'hint' }, 'The first 20 enrollments are shown.') : null,
  ]);
}

async function courseTitles(ids) {
  const titles = new Map();
  const wanted = new Set(ids);
  let cursor;
  // Walk the school's courses (100 a page, titles only) until every enrolled course is named.
  while (wanted.size > titles.size) {
    const page = await get(`/courses${query({ limit: 100, cursor, 'fields[courses]': 'title' })}`);
    for (const c of page.data) if (wanted.has(c.id)) titles.set(c.id, c.title);
    cursor = page.pagination.nextCursor;
    if (!cursor) break;
  }
  return titles;
}
