/**
 * The certificate PDF prints every script (API.md §2 "Certificates anyone can verify"): the text
 * poppler's pdftotext extracts is the name as stored, right-to-left names come out in logical
 * order and are drawn right to left, long names stay inside the page, fonts are embedded subsets,
 * and the QR code read back from a rendering is the one of `verifyUrl`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import QRCode from 'qrcode';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { QR_BOX } from '../src/modules/enrollments/certificate-pdf.js';
import { issueCertificate } from './certificate-helpers.js';
import { call, createSchool, setupApp } from './helpers.js';

const ctx = await setupApp();
const A = await createSchool(ctx, 'Szkoła Żółć — 学校');
const B = await createSchool(ctx);
const dir = mkdtempSync(path.join(os.tmpdir(), 'certificate-pdf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
async function pdfOf(certificateId: string, key = A.key) {
  const res = await call(ctx.app, 'GET', `/api/v1/certificates/${certificateId}/pdf`, { key });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toBe('application/pdf');
  const file = path.join(dir, `c${++files}.pdf`);
  writeFileSync(file, res.rawPayload);
  return file;
}
const BIDI_CONTROLS = /[\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
/** pdftotext's text, with the bidi embedding marks it wraps right-to-left runs in removed. */
const textOf = (file: string) =>
  execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' }).replace(BIDI_CONTROLS, '');
const linesOf = (file: string) =>
  textOf(file)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
type Word = { xMin: number; xMax: number; yMin: number; text: string };
function wordsOf(file: string): Word[] {
  const html = execFileSync('pdftotext', ['-bbox', '-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
  return [...html.matchAll(/<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)<\/word>/g)].map(
    (m) => ({ xMin: Number(m[1]), yMin: Number(m[2]), xMax: Number(m[3]), text: m[4]! }),
  );
}

const NAMES: [string, string][] = [
  ['Polish', 'Łukasz Żółkiewski'],
  ['Cyrillic', 'Дмитрий Шостакович'],
  ['Greek', 'Γιώργος Παπαδόπουλος'],
  ['Chinese', '王小明'],
  ['Japanese', '山田 はなこ'],
  ['Korean', '김민준'],
  ['Latin, Cyrillic and Han in one name', 'Łukasz Дмитрий 王小明'],
  ['Vietnamese', 'Nguyễn Thị Minh Khai'],
  ['Turkish', 'Şükrü Çağlayan'],
];

describe('names in every script', () => {
  for (const [script, name] of NAMES) {
    it(`${script}: pdftotext reads "${name}"`, async () => {
      const { certificate } = await issueCertificate(ctx, A.key, { studentName: name });
      const lines = linesOf(await pdfOf(certificate.id));
      expect(lines).toContain(name);
      expect(lines.join('\n')).not.toContain('?');
    });
  }

  it('the course and school titles print in their scripts too', async () => {
    const { certificate } = await issueCertificate(ctx, A.key, { courseTitle: 'Алгебра и 幾何学' });
    const lines = linesOf(await pdfOf(certificate.id));
    expect(lines).toContain('Алгебра и 幾何学');
    expect(lines).toContain('Szkoła Żółć — 学校');
  });

  for (const [script, name, first, second] of [
    ['Arabic', 'محمد علي', 'محمد', 'علي'],
    ['Hebrew', 'דוד לוי', 'דוד', 'לוי'],
  ] as const) {
    it(`${script}: extracted in logical order and drawn right to left`, async () => {
      const { certificate } = await issueCertificate(ctx, A.key, { studentName: name });
      const file = await pdfOf(certificate.id);
      // pdftotext turns the drawn (visual) order back into the logical order a reader types.
      expect(linesOf(file)).toContain(name);
      // On the page the first word of the name is the right-hand one. -bbox lists each word as
      // drawn, left to right, so its characters come out reversed.
      const words = wordsOf(file);
      const drawn = (w: string) => words.find((x) => x.text === [...w].reverse().join('') || x.text === w);
      expect(drawn(first)).toBeDefined();
      expect(drawn(second)).toBeDefined();
      expect(drawn(first)!.xMin).toBeGreaterThan(drawn(second)!.xMax);
    });
  }

  it('Arabic letters are shaped: م is drawn with two different glyphs (initial and medial) in محمد', async () => {
    const { certificate } = await issueCertificate(ctx, A.key, { studentName: 'محمد' });
    const pdf = readFileSync(await pdfOf(certificate.id));
    // The ToUnicode maps of the embedded fonts: each glyph drawn maps back to its letter. Unshaped
    // text would draw one glyph for both م; joined text draws the initial and the medial form.
    const raw = pdf.toString('latin1');
    let maps = '';
    for (const m of raw.matchAll(/stream\r?\n([\s\S]*?)endstream/g)) {
      try {
        const body = inflateSync(Buffer.from(m[1]!, 'latin1')).toString('latin1');
        if (body.includes('begincmap')) maps += body;
      } catch {
        // not a compressed stream
      }
    }
    expect(maps).toContain('begincmap');
    expect(maps.match(/<0645>/gi)?.length).toBe(2);
    expect(maps.match(/<062d>/gi)?.length).toBe(1);
  });

  it('fonts are embedded as subsets (Noto Sans, Arabic, CJK)', async () => {
    const { certificate } = await issueCertificate(ctx, A.key, { studentName: 'Łukasz 王小明 محمد' });
    const fonts = execFileSync('pdffonts', [await pdfOf(certificate.id)], { encoding: 'utf8' })
      .split('\n')
      .slice(2)
      .filter(Boolean);
    const names = fonts.map((l) => l.split(/\s+/)[0]!);
    expect(names.some((n) => /^[A-Z]{6}\+NotoSans-Bold$/.test(n))).toBe(true);
    expect(names.some((n) => /^[A-Z]{6}\+NotoSansArabic-Bold$/.test(n))).toBe(true);
    expect(names.some((n) => /^[A-Z]{6}\+NotoSansCJK\w*-Bold$/.test(n))).toBe(true);
    // pdffonts columns: name type encoding emb sub uni object ID — every font embedded and subset.
    for (const line of fonts) expect(line).toMatch(/\byes\s+yes\s+yes\b/);
  });
});

describe('one process, many certificates', () => {
  it('a certificate after one with accented letters keeps every letter in its text layer', async () => {
    // A fresh module: its font faces have drawn nothing yet, as in a server just started.
    vi.resetModules();
    const { renderCertificatePdf } = await import('../src/modules/enrollments/certificate-pdf.js');
    const base = { issuedAt: new Date(), code: 'abc', verifyUrl: 'https://example.com/verify/abc' };
    const render = async (schoolName: string, studentName: string, courseTitle: string) => {
      const file = path.join(dir, `c${++files}.pdf`);
      writeFileSync(file, await renderCertificatePdf({ ...base, schoolName, studentName, courseTitle }));
      return textOf(file);
    };
    // "ć", "ó", "ł" are drawn from "c", "o", "l" plus a mark; "c" etc. must still map to themselves.
    expect(await render('Ćma Ąę', 'Łukasz Ćwikła ç é', 'Żółć')).toContain('Łukasz Ćwikła');
    const [later, concurrent] = await Promise.all([
      render('School', 'Ada Lovelace', 'Course basics'),
      render('Ćwiczenia', 'Zoë Ćelić', 'Żółć i ôl'),
    ]);
    expect(later).toContain('School');
    expect(later).toContain('Ada Lovelace');
    expect(later).toContain('Course basics');
    expect(concurrent).toContain('Zoë Ćelić');
  });
});

describe('long names', () => {
  it('a 255-character name is printed whole, inside the border', async () => {
    const words = Array.from({ length: 23 }, (_, i) => `Name${String(i).padStart(2, '0')}x`);
    const name = words.join(' ').slice(0, 255);
    const { certificate } = await issueCertificate(ctx, A.key, { studentName: name });
    const file = await pdfOf(certificate.id);
    expect(textOf(file).replace(/\s+/g, ' ')).toContain(name);
    for (const w of wordsOf(file)) {
      expect(w.xMin).toBeGreaterThanOrEqual(34);
      expect(w.xMax).toBeLessThanOrEqual(842 - 34);
    }
  });

  it('a long CJK name without spaces wraps between characters and stays inside', async () => {
    const name =
      '寿限無寿限無五劫の擦り切れ海砂利水魚の水行末雲来末風来末食う寝る処に住む処やぶら小路の藪柑子パイポパイポパイポのシューリンガンシューリンガンのグーリンダイグーリンダイのポンポコピーのポンポコナーの長久命の長助'.repeat(
        2,
      );
    const { certificate } = await issueCertificate(ctx, A.key, { studentName: name });
    const file = await pdfOf(certificate.id);
    expect(textOf(file).replace(/\s+/g, '')).toContain(name);
    for (const w of wordsOf(file)) expect(w.xMax).toBeLessThanOrEqual(842 - 34);
  });
});

describe('the QR code', () => {
  it('read back from a rendering, it is the QR code of verifyUrl', async () => {
    const { certificate } = await issueCertificate(ctx, A.key);
    const file = await pdfOf(certificate.id);
    const dpi = 216; // 3 pixels a point
    const scale = dpi / 72;
    execFileSync('pdftoppm', ['-gray', '-r', String(dpi), '-singlefile', file, path.join(dir, 'qr')]);
    const pgm = readFileSync(path.join(dir, 'qr.pgm'));
    // Binary PGM: "P5\n<w> <h>\n255\n" then one byte a pixel.
    const header = pgm.toString('latin1', 0, 40).match(/^P5\s+(\d+)\s+(\d+)\s+255\s/)!;
    const width = Number(header[1]);
    const pixels = pgm.subarray(header[0].length);
    const { modules } = QRCode.create(certificate.verifyUrl, { errorCorrectionLevel: 'M' });
    const cell = QR_BOX.size / modules.size;
    let mismatches = 0;
    for (let row = 0; row < modules.size; row++) {
      for (let col = 0; col < modules.size; col++) {
        const x = Math.round((QR_BOX.x + (col + 0.5) * cell) * scale);
        const y = Math.round((QR_BOX.y + (row + 0.5) * cell) * scale);
        const dark = pixels[y * width + x]! < 128;
        if (dark !== Boolean(modules.get(row, col))) mismatches++;
      }
    }
    expect(modules.size).toBeGreaterThan(20);
    expect(mismatches).toBe(0);
  });
});

describe('tenancy', () => {
  it("the owner's session gets the PDF too (a session works on every route)", async () => {
    const { certificate } = await issueCertificate(ctx, A.key);
    const login = await call(ctx.app, 'POST', '/api/v1/auth/login', {
      body: { email: A.ownerEmail, password: A.password },
    });
    const session = login.cookies.find((c) => c.name === 'syllabus_session')!;
    const res = await call(ctx.app, 'GET', `/api/v1/certificates/${certificate.id}/pdf`, {
      headers: { cookie: `syllabus_session=${session.value}` },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
  });

  it("school B cannot get school A's certificate PDF", async () => {
    const { certificate } = await issueCertificate(ctx, A.key);
    const res = await call(ctx.app, 'GET', `/api/v1/certificates/${certificate.id}/pdf`, { key: B.key });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toBe('not_found');
  });
});
