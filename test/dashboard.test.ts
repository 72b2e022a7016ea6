/**
 * The owner dashboard (`/dashboard`): its static serving (always), and the app itself driven in
 * Debian's Chromium through playwright-core — one browser and one server for the file.
 *
 * Without Chromium the browser part is skipped with a printed reason, unless CI or
 * REQUIRE_BROWSER=1 is set (then it fails): `.ci/run` installs Chromium and requires it.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_CSP, DASHBOARD_DIR } from '../src/http/dashboard.js';
import { PACKAGE_ROOT } from '../src/paths.js';
import { CHROMIUM_PATH, hasChromium, launchChromium } from './browser.js';
import { call, createSchool, listen, setupApp } from './helpers.js';
import { setupWebhookApp, startReceiver, verify, waitFor } from './webhooks-helpers.js';

/** `expect.poll` with room for a slow, shared CI machine (its default gives up after 1 s). */
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 20_000, interval: 100 });

const REQUIRED = ['1', 'true'].includes(process.env.CI ?? '') || process.env.REQUIRE_BROWSER === '1';
const HAS_CHROMIUM = hasChromium();
if (!HAS_CHROMIUM && !REQUIRED) {
  console.warn(
    `test/dashboard.test.ts: browser tests skipped: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH; CI=true or REQUIRE_BROWSER=1 makes this a failure).`,
  );
}

const ctx = await setupWebhookApp();
const school = await createSchool(ctx, 'Dashboard Academy');
const other = await createSchool(ctx, 'Other School');
const base = await listen(ctx.app);
// A second app whose PUBLIC_URL is https: its session cookie is `__Host-` and Secure.
const secure = await setupApp({ env: { PUBLIC_URL: 'https://school.example' } });
const receiver = await startReceiver();

// Sample data through the public API with the school's key.
const key = school.key;
const created = async (url: string, body: unknown) => {
  const res = await call(ctx.app, 'POST', url, { key, body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
};
const rust = await created('/api/v1/courses', {
  title: 'Rust from zero',
  isFree: true,
  sections: [
    {
      title: 'Getting started',
      lessons: [
        { title: 'Install Rust', type: 'text' },
        { title: 'Hello, Cargo', type: 'video', videoUrl: 'https://www.youtube.com/watch?v=dQw4w9WgXcQ' },
      ],
    },
    { title: 'Ownership', lessons: [{ title: 'Borrowing', type: 'text' }] },
  ],
});
const blocked = await created('/api/v1/courses', { title: 'Empty draft course' });
const ada = await created('/api/v1/students', { name: 'Ada Lovelace', email: 'ada@example.com' });
await created('/api/v1/students', { name: 'Alan Turing', email: 'alan@example.com' });
await created('/api/v1/students', { name: 'Grace Hopper', email: 'grace@example.com' });
// The other school's student must never show up here.
await call(ctx.app, 'POST', '/api/v1/students', {
  key: other.key,
  body: { name: 'Ada Other', email: 'ada.other@example.com' },
});

describe('serving /dashboard', () => {
  it('serves index.html with a CSP that allows only this server, and no inline script', async () => {
    const res = await call(ctx.app, 'GET', '/dashboard');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toBe(DASHBOARD_CSP);
    expect(DASHBOARD_CSP).toContain("default-src 'self'");
    expect(DASHBOARD_CSP).not.toContain('unsafe-inline');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
    // Every script is an external module from this server.
    expect(res.body).toContain('<script type="module" src="/dashboard/app.js"></script>');
    expect(res.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(res.body).not.toMatch(/\son[a-z]+=/i);
    expect((await call(ctx.app, 'GET', '/dashboard/')).body).toBe(res.body);
    // Static bytes: outside the per-address rate limit (API calls keep theirs).
    expect(res.headers['ratelimit-limit']).toBeUndefined();
    expect((await call(ctx.app, 'GET', '/api/v1/health')).headers['ratelimit-limit']).toBeDefined();
  });

  it('serves the modules with their types, and the generated constants', async () => {
    const js = await call(ctx.app, 'GET', '/dashboard/pages/keys.js');
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    const css = await call(ctx.app, 'GET', '/dashboard/dashboard.css');
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    const constants = await call(ctx.app, 'GET', '/dashboard/constants.js');
    expect(constants.body).toContain('"courses:read"');
    expect(constants.body).toContain('"webhook.test"');
  });

  it('answers 304 to a matching If-None-Match', async () => {
    const first = await call(ctx.app, 'GET', '/dashboard/app.js');
    const etag = String(first.headers.etag);
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await call(ctx.app, 'GET', '/dashboard/app.js', { headers: { 'if-none-match': etag } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it('serves only files of the dashboard directory: unknown names and escapes are 404 in the error shape', async () => {
    for (const url of [
      '/dashboard/nope.js',
      '/dashboard/../package.json',
      '/dashboard/%2e%2e/package.json',
      '/dashboard/..%2fpackage.json',
      '/dashboard/pages/../../../package.json',
    ]) {
      const res = await call(ctx.app, 'GET', url);
      expect(res.statusCode, url).toBe(404);
      expect(res.json(), url).toMatchObject({ error: 'not_found' });
      expect(res.body).not.toContain('"version"');
    }
  });

  it('is not part of the OpenAPI document', async () => {
    const doc = (await call(ctx.app, 'GET', '/api/v1/openapi.json')).json();
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/dashboard'))).toEqual([]);
  });

  it('finds its files from the package root, as `npm start` runs from dist/', () => {
    expect(DASHBOARD_DIR).toBe(path.join(PACKAGE_ROOT, 'public', 'dashboard'));
    expect(fs.existsSync(path.join(DASHBOARD_DIR, 'index.html'))).toBe(true);
  });
});

describe.skipIf(!HAS_CHROMIUM && !REQUIRED)('the dashboard in Chromium', () => {
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const requests: string[] = [];
  const problems: string[] = [];
  let createdKey = '';
  beforeAll(async () => {
    if (!HAS_CHROMIUM)
      throw new Error(`Chromium is required here (CI or REQUIRE_BROWSER=1) but ${CHROMIUM_PATH} is missing.`);
    await ctx.startWorkers(2);
    browser = await launchChromium();
    context = await browser.newContext({ baseURL: base });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => {
      // Chromium logs each non-2xx answer; those are the API's expected 4xx here. Anything else counts.
      if (
        m.type() === 'error' &&
        !m.text().startsWith('Failed to load resource: the server responded with a status of')
      )
        problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('refuses a malformed email next to the email field, then logs in by keyboard alone', async () => {
    await page.goto('/dashboard');
    const email = page.getByLabel('Email');
    await poll(() => page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('email');

    // A 400 with details[].path = "email": the message sits next to the field, which is marked invalid.
    await page.keyboard.type('not-an-email');
    await page.keyboard.press('Tab');
    await page.keyboard.type('whatever');
    await page.keyboard.press('Enter');
    await page.locator(`#${await email.getAttribute('id')}-error`).waitFor();
    expect(await email.getAttribute('aria-invalid')).toBe('true');
    expect(await email.getAttribute('aria-describedby')).toContain('-error');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('email');

    // A wrong password: the 401 message is shown on the form and said in the live region.
    await page.keyboard.press('Control+A');
    await page.keyboard.type(school.ownerEmail);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('wrong password');
    await page.keyboard.press('Enter');
    await page.locator('.form-errors[role="alert"]').waitFor();
    await poll(() => page.locator('#status').textContent()).not.toBe('');

    // Keyboard only: Shift+Tab back to the email, Tab to the password, Enter.
    await page.getByLabel('Password').focus();
    await page.keyboard.press('Shift+Tab');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('email');
    // The focused field shows a visible focus ring.
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement as Element).outlineStyle);
    expect(outline).not.toBe('none');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Control+A');
    await page.keyboard.type(school.password);
    await page.keyboard.press('Enter');

    await page.getByRole('navigation', { name: 'Dashboard' }).waitFor();
    await page.getByRole('heading', { level: 1, name: 'Courses' }).waitFor();
    expect(await page.locator('#school-name').textContent()).toBe('Dashboard Academy');
    const cookies = await context.cookies();
    expect(cookies.map((c) => c.name)).toContain('syllabus_session');
    expect(cookies.find((c) => c.name === 'syllabus_session')?.httpOnly).toBe(true);
  });

  it('creates a key with scopes and expiry (shown once), which then works against the API', async () => {
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('heading', { level: 1, name: 'API keys' }).waitFor();

    // No scope chosen and a bad expiry: both messages next to their fields.
    await page.getByLabel('Name').fill('Catalogue reader');
    await page.getByLabel('Expires after (days)').fill('0');
    await page.getByRole('button', { name: 'Create key' }).click();
    const expiry = page.getByLabel('Expires after (days)');
    await poll(() => expiry.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('fieldset[data-path="permissions"]').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('fieldset[data-path="permissions"] .field-error').count()).toBe(1);
    expect(await page.locator(`#${await expiry.getAttribute('id')}-error`).textContent()).toBeTruthy();

    await page.getByLabel('Courses').selectOption('courses:read');
    await expiry.fill('30');
    await page.getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByLabel('API key');
    await shown.waitFor();
    const newKey = await shown.inputValue();
    createdKey = newKey;
    expect(newKey).toMatch(/^syl_/);
    expect(await page.getByRole('button', { name: 'Copy' }).count()).toBe(1);
    await page.getByRole('button', { name: 'Copy' }).click();
    await poll(() => page.locator('#status').textContent()).toBe('API key copied.');

    const stored = (await call(ctx.app, 'GET', '/api/v1/courses', { key: newKey })).statusCode;
    expect(stored).toBe(200);
    // The scopes chosen are the key's: students are out of reach.
    expect((await fetch(`${base}/api/v1/students`, { headers: { authorization: `Bearer ${newKey}` } })).status).toBe(
      403,
    );
    const res = await fetch(`${base}/api/v1/courses?limit=1`, { headers: { authorization: `Bearer ${newKey}` } });
    expect(res.status).toBe(200);

    const row = page.getByRole('row', { name: /Catalogue reader/ });
    expect(await row.textContent()).toContain('courses:read');
    expect(await row.textContent()).toContain('active');

    // Shown once: after a reload only the prefix is left.
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'API keys' }).waitFor();
    await page.getByRole('row', { name: /Catalogue reader/ }).waitFor();
    expect(await page.content()).not.toContain(newKey);
    expect(await page.getByLabel('API key').count()).toBe(0);
  });

  it('revokes the key: it answers 401 at once', async () => {
    const row = page.getByRole('row', { name: /Catalogue reader/ });
    const keyPrefix = (await row.locator('code').textContent()) ?? '';
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Revoke Catalogue reader' }).click();
    await poll(() => row.textContent()).toContain('revoked');
    await poll(() => page.locator('#status').textContent()).toBe('Key “Catalogue reader” revoked.');
    expect(createdKey.startsWith(keyPrefix)).toBe(true);
    const keyRes = await fetch(`${base}/api/v1/courses`, { headers: { authorization: `Bearer ${createdKey}` } });
    expect(keyRes.status).toBe(401);
  });

  it('creates a full-access key and revokes it with the keyboard alone', async () => {
    await page.goto('/dashboard#/keys');
    await page.getByRole('heading', { level: 1, name: 'API keys' }).waitFor();
    const focused = () =>
      page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        return el?.getAttribute('name') ?? el?.tagName.toLowerCase() ?? '';
      });
    // Navigation puts the focus on the page's heading.
    expect(await focused()).toBe('h1');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('name');
    await page.keyboard.type('Keyboard key');
    await page.keyboard.press('Tab'); // description
    await page.keyboard.press('Tab'); // full access
    expect(await focused()).toBe('all');
    await page.keyboard.press('Space'); // the per-area selects are now disabled and skipped
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('expiresInDays');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Create key');
    await page.keyboard.press('Enter');
    await page.getByLabel('API key').waitFor();
    const fullKey = await page.getByLabel('API key').inputValue();
    expect((await fetch(`${base}/api/v1/students`, { headers: { authorization: `Bearer ${fullKey}` } })).status).toBe(
      200,
    );

    // Revoke: Tab on (through the form and the list) to the key's Revoke button, Enter, confirm.
    const label = () => page.evaluate(() => document.activeElement?.getAttribute('aria-label'));
    for (let i = 0; i < 40 && (await label()) !== 'Revoke Keyboard key'; i++) await page.keyboard.press('Tab');
    expect(await label()).toBe('Revoke Keyboard key');
    page.once('dialog', (d) => void d.accept());
    await page.keyboard.press('Enter');
    await poll(() => page.getByRole('row', { name: /Keyboard key/ }).textContent()).toContain('revoked');
    expect((await fetch(`${base}/api/v1/students`, { headers: { authorization: `Bearer ${fullKey}` } })).status).toBe(
      401,
    );
  });

  it('opens a course outline: sections and lessons in order with their types', async () => {
    await page.getByRole('link', { name: 'Courses' }).click();
    await page.getByLabel('Search titles').fill('rust');
    await page.getByRole('button', { name: 'Search' }).click();
    await poll(() => page.locator('#course-results tbody tr').count()).toBe(1);
    await page.getByRole('link', { name: 'Rust from zero' }).click();
    await page.getByRole('heading', { level: 1, name: 'Rust from zero' }).waitFor();

    const sections = await page.locator('.outline > li > h3').allTextContents();
    expect(sections).toEqual(['Getting started', 'Ownership']);
    const lessons = await page
      .locator('.outline .lesson')
      .evaluateAll((els) =>
        els.map((el) => `${el.querySelector('.lesson-title')?.textContent}:${el.querySelector('.badge')?.textContent}`),
      );
    expect(lessons).toEqual(['Install Rust:text', 'Hello, Cargo:video', 'Borrowing:text']);
    expect(await page.locator('main').textContent()).not.toMatch(/\b(null|undefined)\b/);
    // The same order as the API's.
    const api = (await call(ctx.app, 'GET', `/api/v1/courses/${rust.id}`, { key })).json();
    expect(api.sections.flatMap((s: { lessons: { title: string }[] }) => s.lessons.map((l) => l.title))).toEqual([
      'Install Rust',
      'Hello, Cargo',
      'Borrowing',
    ]);
  });

  it('shows every publish_blocked reason, and publishes a course that is ready', async () => {
    await page.goto(`/dashboard#/courses/${blocked.id}`);
    await page.getByRole('heading', { level: 1, name: 'Empty draft course' }).waitFor();
    await page.getByRole('button', { name: 'Publish' }).click();
    const alert = page.locator('#publish-result [role="alert"]');
    await alert.waitFor();
    const codes = await alert.locator('li').evaluateAll((els) => els.map((el) => el.getAttribute('data-code')));
    expect(codes.sort()).toEqual(['missing_lesson', 'missing_payment_plan']);
    expect(await alert.textContent()).toContain('needs at least one lesson');
    expect((await call(ctx.app, 'GET', `/api/v1/courses/${blocked.id}`, { key })).json().status).toBe('draft');

    await page.goto(`/dashboard#/courses/${rust.id}`);
    await page.getByRole('heading', { level: 1, name: 'Rust from zero' }).waitFor();
    await page.getByRole('button', { name: 'Publish' }).click();
    await poll(() => page.locator('#course-status').textContent()).toBe('published');
    expect((await call(ctx.app, 'GET', `/api/v1/courses/${rust.id}`, { key })).json().status).toBe('published');
    await page.getByRole('button', { name: 'Unpublish' }).waitFor();

    // The course list filters by status and shows it.
    await page.getByRole('link', { name: 'Courses', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Courses' }).waitFor();
    const titles = () => page.locator('#course-results tbody tr td:first-child').allTextContents();
    const statuses = () => page.locator('#course-results tbody tr .badge').allTextContents();
    for (const [status, title] of [
      ['published', 'Rust from zero'],
      ['draft', 'Empty draft course'],
    ]) {
      await page.getByLabel('Status').selectOption(status!);
      await page.getByRole('button', { name: 'Search' }).click();
      await poll(titles).toEqual([title]);
      expect(await statuses()).toEqual([status]);
    }
  });

  it('adds a webhook (secret shown once) and sends a test event signed with that secret', async () => {
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('heading', { level: 1, name: 'Webhooks' }).waitFor();

    // A URL the server refuses: the message sits next to the URL field.
    await page.getByLabel('URL').fill('ftp://example.com/hook');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await poll(() => page.getByLabel('URL').getAttribute('aria-invalid')).toBe('true');

    await page.getByLabel('URL').fill(receiver.url);
    await page.getByLabel('Description').fill('Local receiver');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const secretField = page.getByLabel('Signing secret');
    await secretField.waitFor();
    const secret = await secretField.inputValue();
    expect(secret).toMatch(/^whsec_/);
    // The form is back to its defaults: all events, the picker off.
    expect(await page.getByLabel('All events (*)').isChecked()).toBe(true);
    expect(await page.getByLabel('Only these events').isDisabled()).toBe(true);
    const hooks = (await call(ctx.app, 'GET', '/api/v1/webhooks', { key })).json();
    expect(hooks.data).toHaveLength(1);
    expect(hooks.data[0]).toMatchObject({ url: receiver.url, events: ['*'], description: 'Local receiver' });
    expect(JSON.stringify(hooks)).not.toContain(secret);

    await page.getByRole('link', { name: `Open ${receiver.url}` }).click();
    await page.getByRole('heading', { level: 1, name: `Endpoint ${receiver.url}` }).waitFor();
    expect(await page.content()).not.toContain(secret);
    const before = receiver.received.length;
    await page.getByRole('button', { name: 'Send test event' }).click();
    const got = await waitFor(() => receiver.received.find((r, i) => i >= before && r.body.includes('webhook.test')));
    expect(verify(secret, got)).toMatchObject({ type: 'webhook.test' });

    // The delivery is listed with its state; Refresh shows it succeeded.
    await poll(async () => {
      await page.getByRole('button', { name: 'Refresh' }).click();
      return page.locator('#deliveries tbody tr').first().locator('.badge').textContent();
    }).toBe('succeeded');
    expect(await page.locator('#deliveries tbody tr').first().textContent()).toContain('HTTP 200');
    // Retry queues it again (the API answers 200 and the row stays).
    await page
      .locator('#deliveries tbody tr')
      .first()
      .getByRole('button', { name: /Retry delivery/ })
      .click();
    await poll(() => page.locator('#status').textContent()).toBe('Delivery of webhook.test queued again.');
  });

  it('searches students and shows one student’s enrollments with progress', async () => {
    const enrollment = await created('/api/v1/enrollments', { studentId: ada.id, courseId: rust.id });
    const lessonId = (await call(ctx.app, 'GET', `/api/v1/courses/${rust.id}`, { key })).json().sections[0].lessons[0]
      .id;
    const progress = await call(ctx.app, 'PATCH', `/api/v1/enrollments/${enrollment.id}`, {
      key,
      body: { lessonId, completed: true },
    });
    expect(progress.statusCode, progress.body).toBe(200);

    await page.getByRole('link', { name: 'Students' }).click();
    await page.getByRole('heading', { level: 1, name: 'Students' }).waitFor();
    expect(await page.locator('#student-results tbody tr').count()).toBe(3);
    await page.getByLabel('Search by name or email').fill('ada');
    await page.getByRole('button', { name: 'Search' }).click();
    await poll(() => page.locator('#student-results tbody tr').count()).toBe(1);
    expect(await page.locator('#student-results').textContent()).not.toContain('Ada Other');
    await page.getByRole('link', { name: 'Ada Lovelace' }).click();
    await page.getByRole('heading', { level: 1, name: 'Ada Lovelace' }).waitFor();
    const row = page.getByRole('row', { name: /Rust from zero/ });
    expect(await row.textContent()).toContain('33% (1 of 3 lessons)');
    expect(await row.locator('progress').getAttribute('value')).toBe('33');
    expect(await page.locator('main').textContent()).not.toMatch(/\b(null|undefined)\b/);
  });

  it('edits the school settings; an invalid time zone is shown next to its field', async () => {
    await page.getByRole('link', { name: 'School settings' }).click();
    await page.getByRole('heading', { level: 1, name: 'School settings' }).waitFor();
    expect(await page.getByLabel('Name').inputValue()).toBe('Dashboard Academy');
    await page.getByLabel('Time zone').fill('Mars/Olympus');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await poll(() => page.getByLabel('Time zone').getAttribute('aria-invalid')).toBe('true');

    await page.getByLabel('Time zone').fill('Europe/Berlin');
    await page.getByLabel('Name').fill('Dashboard Academy Berlin');
    await page.getByRole('button', { name: 'Add a custom field' }).click();
    await page.getByLabel('Key').fill('level');
    await page.getByLabel('Label').fill('Level');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await poll(() => page.locator('#status').textContent()).toBe('Settings saved.');
    const stored = (await call(ctx.app, 'GET', '/api/v1/school', { key })).json();
    expect(stored).toMatchObject({
      name: 'Dashboard Academy Berlin',
      timezone: 'Europe/Berlin',
      customFields: [{ key: 'level', label: 'Level', type: 'text' }],
    });
  });

  it('logs out: the session ends and the login form is back', async () => {
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { level: 1, name: 'Log in to your school' }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Dashboard' }).isVisible()).toBe(false);
    expect((await context.cookies()).map((c) => c.name)).not.toContain('syllabus_session');
    await page.goto('/dashboard#/keys');
    await page.getByRole('heading', { level: 1, name: 'Log in to your school' }).waitFor();
  });

  it('with an https PUBLIC_URL the session is a __Host- cookie, which Chromium keeps over http on loopback', async () => {
    // Chromium counts 127.0.0.1 and localhost as secure origins: a Secure cookie set over plain
    // http there is kept. Any other plain-http host would drop it (serve such a host over https).
    const s = await createSchool(secure, 'Secure School');
    const url = await listen(secure.app);
    const context2 = await browser.newContext();
    const page2 = await context2.newPage();
    page2.on('request', (r) => {
      if (new URL(r.url()).origin !== url) requests.push(r.url());
    });
    await page2.goto(`${url}/dashboard#/settings`);
    await page2.getByLabel('Email').fill(s.ownerEmail);
    await page2.getByLabel('Password').fill(s.password);
    await page2.getByRole('button', { name: 'Log in' }).click();
    await page2.getByRole('heading', { level: 1, name: 'School settings' }).waitFor();
    const cookie = (await context2.cookies()).find((c) => c.name === '__Host-syllabus_session');
    expect(cookie).toMatchObject({ secure: true, httpOnly: true, path: '/' });
    // A state-changing request with that cookie (its Origin names the host it was sent to) works.
    await page2.getByLabel('Name').fill('Secure School 2');
    await page2.getByRole('button', { name: 'Save settings' }).click();
    await poll(() => page2.locator('#status').textContent()).toBe('Settings saved.');
    expect((await call(secure.app, 'GET', '/api/v1/school', { key: s.key })).json().name).toBe('Secure School 2');
    await context2.close();
  });

  it('made every request to the server itself, with no console error or CSP violation', () => {
    expect(requests.length).toBeGreaterThan(20);
    const origins = new Set(requests.map((u) => new URL(u).origin));
    expect([...origins]).toEqual([base]);
    expect(problems).toEqual([]);
  });
});
