/**
 * `npm run screenshots`: regenerates docs/screenshots/*.png. Starts the server on a throwaway
 * embedded PostgreSQL (never DATABASE_URL: sample data must not land in a real database), fills a
 * school with sample data through the public API, logs in to /dashboard in Debian's Chromium and
 * captures the main pages. Needs Chromium (CHROMIUM_PATH, default /usr/bin/chromium).
 */
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/open.js';
import { startWorkers } from '../src/jobs/runner.js';
import { PACKAGE_ROOT } from '../src/paths.js';
import { createServices } from '../src/services.js';
import { CHROMIUM_PATH, hasChromium, launchChromium } from '../test/browser.js';

const OUT = path.join(PACKAGE_ROOT, 'docs', 'screenshots');
const log = (msg: string) => process.stderr.write(`screenshots: ${msg}\n`);

async function main() {
  if (!hasChromium())
    throw new Error(`No Chromium at ${CHROMIUM_PATH}: apt-get install chromium, or set CHROMIUM_PATH.`);
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'syllabus-screenshots-'));
  // A local endpoint for the sample webhook: answers 200, so its deliveries succeed.
  const receiver = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200).end('ok'));
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const receiverPort = (receiver.address() as AddressInfo).port;

  const env = { ...process.env };
  delete env.DATABASE_URL;
  const config = loadConfig({
    ...env,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    WORKERS: '1',
    OUTBOUND_ALLOW_HOSTS: '127.0.0.1',
  });
  const database = await openDatabase(config, 'server', log);
  const services = createServices(database, config);
  const app = await buildApp(config, { database, services });
  const workers = await startWorkers({ database, services, concurrency: 1, pollIntervalMs: 200, log: () => {} });
  const browser = await launchChromium();
  try {
    const ownerEmail = 'owner@rust-academy.example';
    const ownerPassword = 'correct horse battery staple';
    const school = await services.schools.create({ name: 'Rust Academy', ownerEmail, ownerPassword });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const seeded = await seed(base, school.apiKey, `http://127.0.0.1:${receiverPort}/hooks/syllabus`);

    await fs.mkdir(OUT, { recursive: true });
    const context = await browser.newContext({ baseURL: base, viewport: { width: 1280, height: 860 } });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const shot = async (name: string) => {
      await page.evaluate(() => {
        (document.activeElement as HTMLElement | null)?.blur();
        // The status toast would cover part of the page.
        document.getElementById('status')?.replaceChildren();
      });
      await page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: true });
      log(`docs/screenshots/${name}.png`);
    };

    await page.goto('/dashboard');
    await page.getByLabel('Email').fill(ownerEmail);
    await page.getByLabel('Password').fill(ownerPassword);
    await shot('login');
    await page.getByRole('button', { name: 'Log in' }).click();
    await heading(page, 'Courses');
    await shot('courses');

    await page.goto(`/dashboard#/courses/${seeded.course}`);
    await heading(page, 'Rust from zero');
    await shot('course-outline');

    await page.goto(`/dashboard#/courses/${seeded.blocked}`);
    await heading(page, 'Async Rust (draft)');
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.locator('#publish-result [role="alert"]').waitFor();
    await shot('publish-blocked');

    await page.goto('/dashboard#/keys');
    await heading(page, 'API keys');
    await page.getByLabel('Name').fill('Catalogue sync');
    await page.getByLabel('Description').fill('Nightly import from the CMS');
    await page.getByLabel('Courses').selectOption('courses:write');
    await page.getByLabel('Expires after (days)').fill('90');
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.getByLabel('API key').waitFor();
    await shot('api-keys');

    await page.goto(`/dashboard#/webhooks/${seeded.webhook}`);
    await heading(page, /^Endpoint /);
    // Wait for the worker to deliver the sample events, then show them.
    for (let i = 0; i < 50; i++) {
      await page.getByRole('button', { name: 'Refresh' }).click();
      const statuses = await page.locator('#deliveries tbody .badge').allTextContents();
      if (statuses.length >= 2 && !statuses.includes('pending')) break;
      await page.waitForTimeout(200);
    }
    await shot('webhook-deliveries');

    await page.goto('/dashboard#/students');
    await heading(page, 'Students');
    await shot('students');

    await page.goto(`/dashboard#/students/${seeded.student}`);
    await heading(page, 'Ada Lovelace');
    await shot('student');

    await page.goto('/dashboard#/settings');
    await heading(page, 'School settings');
    await shot('settings');
    await context.close();
  } finally {
    await browser.close();
    await app.close();
    await workers.stop();
    await database.shutdown();
    receiver.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

function heading(page: Page, name: string | RegExp) {
  return page.getByRole('heading', { level: 1, name }).waitFor();
}

/** Sample data, written through the public API with the school's first key. */
async function seed(base: string, key: string, hookUrl: string) {
  const send = async (method: string, url: string, body?: unknown) => {
    const res = await fetch(`${base}/api/v1${url}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  await send('PATCH', '/school', {
    timezone: 'Europe/Berlin',
    currency: 'EUR',
    customFields: [{ key: 'level', label: 'Level', type: 'text' }],
  });
  const webhook = await send('POST', '/webhooks', {
    url: hookUrl,
    events: ['*'],
    description: 'CRM sync',
  });
  const course = await send('POST', '/courses', {
    title: 'Rust from zero',
    shortDescription: 'Ownership, borrowing and Cargo, one step at a time.',
    isFree: true,
    sections: [
      {
        title: 'Getting started',
        lessons: [
          { title: 'Install Rust with rustup', type: 'text', isPreview: true },
          {
            title: 'Hello, Cargo',
            type: 'video',
            videoUrl: 'https://www.youtube.com/watch?v=dQw4w9WgXcQ',
            duration: 420,
          },
        ],
      },
      {
        title: 'Ownership',
        lessons: [
          { title: 'Moves and copies', type: 'text' },
          { title: 'Borrowing', type: 'text' },
          {
            title: 'Check yourself',
            type: 'quiz',
            content: {
              questions: [
                {
                  text: 'How many mutable borrows may exist at once?',
                  options: [
                    { text: 'One', correct: true },
                    { text: 'Any number', correct: false },
                  ],
                },
              ],
              passingScore: 100,
            },
          },
        ],
      },
      { title: 'Error handling', lessons: [{ title: 'Result and the ? operator', type: 'text' }] },
    ],
  });
  await send('POST', `/courses/${course.id}/publish`);
  const blocked = await send('POST', '/courses', { title: 'Async Rust (draft)', type: 'course' });
  await send('POST', '/courses', { title: 'Embedded Rust workshop', type: 'webinar' });
  await send('POST', '/courses', { title: 'Cheat sheets', type: 'download', isFree: true });

  const people = [
    ['Ada Lovelace', 'ada@example.com'],
    ['Alan Turing', 'alan@example.com'],
    ['Grace Hopper', 'grace@example.com'],
    ['Edsger Dijkstra', 'edsger@example.com'],
    ['Barbara Liskov', 'barbara@example.com'],
  ];
  const students = [];
  for (const [name, email] of people) students.push(await send('POST', '/students', { name, email }));
  const outline = await send('GET', `/courses/${course.id}`);
  const lessons = outline.sections.flatMap((s: { lessons: { id: string }[] }) => s.lessons);
  for (const [i, student] of students.slice(0, 3).entries()) {
    const enrollment = await send('POST', '/enrollments', { studentId: student.id, courseId: course.id });
    for (const lesson of lessons.slice(0, 3 - i)) {
      if (lesson.type === 'text')
        await send('PATCH', `/enrollments/${enrollment.id}`, { lessonId: lesson.id, completed: true });
    }
  }
  await send('POST', `/webhooks/${webhook.id}/test`);
  return { course: course.id, blocked: blocked.id, student: students[0].id, webhook: webhook.id };
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`screenshots: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
