/** Boot: who is logged in, the hash router, log in / log out. */
import { get, post, setUnauthorizedHandler } from './api.js';
import { renderCourse, renderCourses } from './pages/courses.js';
import { renderKeys } from './pages/keys.js';
import { renderLogin } from './pages/login.js';
import { renderSettings } from './pages/settings.js';
import { renderStudent, renderStudents } from './pages/students.js';
import { renderWebhook, renderWebhooks } from './pages/webhooks.js';
import { announce, failure, h } from './ui.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const logoutButton = document.getElementById('logout');
const schoolName = document.getElementById('school-name');

let session = null;

/** `#/courses/crs_1` → a renderer and its parameters. */
const routes = [
  [/^#\/courses\/([^/]+)$/, renderCourse, 'courses'],
  [/^#\/courses$/, renderCourses, 'courses'],
  [/^#\/students\/([^/]+)$/, renderStudent, 'students'],
  [/^#\/students$/, renderStudents, 'students'],
  [/^#\/keys$/, renderKeys, 'keys'],
  [/^#\/webhooks\/([^/]+)$/, renderWebhook, 'webhooks'],
  [/^#\/webhooks$/, renderWebhooks, 'webhooks'],
  [/^#\/settings$/, renderSettings, 'settings'],
];

let renderCount = 0;

async function route() {
  if (!session) return;
  const hash = location.hash || '#/courses';
  const match = routes.map(([re, fn, section]) => [re.exec(hash), fn, section]).find(([m]) => m);
  if (!match) {
    location.replace('#/courses');
    return;
  }
  const [m, render, section] = match;
  for (const link of nav.querySelectorAll('a')) {
    if (link.dataset.nav === section) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const mine = ++renderCount;
  const view = h('div', { class: 'view' });
  main.replaceChildren(h('p', { class: 'loading' }, 'Loading…'));
  try {
    await render(view, ...m.slice(1).map(decodeURIComponent));
  } catch (err) {
    view.replaceChildren(failure(err));
  }
  // A slower earlier page must not replace a later one.
  if (mine !== renderCount) return;
  main.replaceChildren(view);
  document.title = `${view.querySelector('h1')?.textContent ?? 'Dashboard'} · Syllabus`;
  (view.querySelector('h1') ?? main).focus();
}

function showApp(me) {
  session = me;
  schoolName.textContent = me.school.name;
  nav.hidden = false;
  logoutButton.hidden = false;
  void route();
}

function showLogin(message) {
  session = null;
  nav.hidden = true;
  logoutButton.hidden = true;
  schoolName.textContent = '';
  const view = h('div', { class: 'view' });
  renderLogin(view, (me) => {
    announce(`Logged in as ${me.user.email}.`);
    showApp(me);
  });
  main.replaceChildren(view);
  if (message) announce(message);
  document.title = 'Log in · Syllabus';
  view.querySelector('input')?.focus();
}

setUnauthorizedHandler(() => {
  if (session) showLogin('Your session has ended; log in again.');
});

logoutButton.addEventListener('click', async () => {
  await post('/auth/logout').catch(() => {});
  showLogin('Logged out.');
});

// The skip link targets #main; it must not count as a route.
document.querySelector('[data-skip]')?.addEventListener('click', (event) => {
  event.preventDefault();
  main.focus();
});

window.addEventListener('hashchange', () => void route());

async function boot() {
  try {
    showApp(await get('/auth/me'));
  } catch (err) {
    if (err.status === 401) showLogin();
    else main.replaceChildren(failure(err));
  }
}

void boot();
