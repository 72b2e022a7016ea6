/**
 * The certificate PDF (API.md §2 "Certificates anyone can verify"): pdfkit with fonts shipped in
 * assets/fonts (Noto, OFL), embedded as subsets. Every run of text gets the font of its script
 * (Latin/Cyrillic/Greek, Arabic, Hebrew, CJK), right-to-left runs are put in visual order by the
 * Unicode bidi algorithm (bidi-js) and shaped by fontkit, long lines shrink and then wrap, and the
 * page carries a QR code of the verification URL drawn as vectors.
 */

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import bidiModule from 'bidi-js';
import * as fontkit from 'fontkit';
import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';
import { AppError } from '../../lib/errors.js';
import { PACKAGE_ROOT } from '../../paths.js';

export type CertificateContent = {
  schoolName: string;
  studentName: string;
  courseTitle: string;
  issuedAt: Date;
  code: string;
  verifyUrl: string;
  /** Set when the certificate was revoked: the page says so. */
  revokedAt?: Date | null;
};

type FontKey = 'regular' | 'bold' | 'arabic' | 'hebrew' | 'cjk-sc' | 'cjk-jp' | 'cjk-kr';
type Fonts = Record<FontKey, fontkit.Font>;

export const FONT_DIR = path.join(PACKAGE_ROOT, 'assets', 'fonts');

/** The fonts are read and parsed once per process (20 MB, mostly the CJK collection), asynchronously. */
let loading: Promise<Fonts> | undefined;
async function loadFonts(): Promise<Fonts> {
  const fonts = await loadFaces();
  // A face caches each glyph with the characters it was first reached from, and pdfkit writes
  // those into the PDF's text layer: after one certificate drew "ć" (drawn as "c" plus an accent,
  // so "c" was reached with no character), every later certificate's "c" would have none, and its
  // text could not be copied or searched. Each certificate starts with empty glyph caches; the
  // parsed tables (the costly part) stay shared. `_glyphs` is fontkit's; the PDF tests guard it.
  for (const face of new Set(Object.values(fonts))) (face as unknown as { _glyphs: object })._glyphs = {};
  return fonts;
}
function loadFaces(): Promise<Fonts> {
  loading ??= (async () => {
    const read = (file: string) => readFile(path.join(FONT_DIR, file));
    const [regular, bold, arabic, hebrew, cjk] = await Promise.all([
      read('NotoSans-Regular.ttf'),
      read('NotoSans-Bold.ttf'),
      read('NotoSansArabic-Bold.ttf'),
      read('NotoSansHebrew-Bold.ttf'),
      read('NotoSansCJK-Bold.ttc'),
    ]);
    const face = (buffer: Buffer, name?: string) => fontkit.create(buffer, name) as fontkit.Font;
    // One collection, one face per language: the same glyphs, each language's preferred forms.
    return {
      regular: face(regular),
      bold: face(bold),
      arabic: face(arabic),
      hebrew: face(hebrew),
      'cjk-sc': face(cjk, 'NotoSansCJKsc-Bold'),
      'cjk-jp': face(cjk, 'NotoSansCJKjp-Bold'),
      'cjk-kr': face(cjk, 'NotoSansCJKkr-Bold'),
    };
  })().catch((err: unknown) => {
    loading = undefined;
    throw err;
  });
  return loading;
}

// bidi-js is CommonJS typed as an ES default export: at run time the default import is the factory.
const bidi = (bidiModule as unknown as typeof bidiModule.default)();
const ARABIC = /\p{Script=Arabic}/u;
const HEBREW = /\p{Script=Hebrew}/u;
const HAN = /[\p{Script=Han}\p{Script=Bopomofo}]/u;
const KANA = /[\p{Script=Hiragana}\p{Script=Katakana}]/u;
const HANGUL = /\p{Script=Hangul}/u;
const NEUTRAL = /[\p{Script=Common}\p{Script=Inherited}\p{Script=Unknown}]/u;
/** The scripts fontkit lays out right to left (it reverses their glyphs itself). */
const RTL_SCRIPT = /[\p{Script=Arabic}\p{Script=Hebrew}]/u;

/** One piece of a line in one font, in visual order, as the string to hand to fontkit. */
type Run = { font: FontKey; text: string };

/**
 * The font of each character: its script's, or for neutral characters (spaces, digits,
 * punctuation, combining marks) the font of the text around it, when that font has the glyph.
 */
function fontsOf(chars: string[], weight: 'regular' | 'bold', fonts: Fonts): FontKey[] {
  const text = chars.join('');
  const cjk: FontKey = HANGUL.test(text) ? 'cjk-kr' : KANA.test(text) ? 'cjk-jp' : 'cjk-sc';
  const latin: FontKey = weight;
  const has = (key: FontKey, ch: string) => fonts[key].hasGlyphForCodePoint(ch.codePointAt(0)!);
  const own = chars.map((ch): FontKey | undefined => {
    if (NEUTRAL.test(ch)) return undefined;
    if (ARABIC.test(ch)) return 'arabic';
    if (HEBREW.test(ch)) return 'hebrew';
    if (HAN.test(ch) || KANA.test(ch) || HANGUL.test(ch)) return cjk;
    if (has(latin, ch)) return latin;
    return (['arabic', 'hebrew', cjk] as FontKey[]).find((key) => has(key, ch)) ?? latin;
  });
  const keys: FontKey[] = [];
  for (let i = 0; i < chars.length; i++) {
    const mine = own[i];
    if (mine) {
      keys.push(mine);
      continue;
    }
    const ch = chars[i]!;
    const before = keys[i - 1];
    const after = own.slice(i + 1).find((k) => k !== undefined);
    const pick = [before, after, latin].find((k): k is FontKey => k !== undefined && has(k, ch));
    keys.push(pick ?? before ?? after ?? latin);
  }
  return keys;
}

/** The line as runs in visual order (UAX #9 rule L2 applied to runs of one level and one font). */
function visualRuns(line: string, weight: 'regular' | 'bold', fonts: Fonts): Run[] {
  const chars = [...line];
  if (chars.length === 0) return [];
  const keys = fontsOf(chars, weight, fonts);
  const { levels } = bidi.getEmbeddingLevels(line);
  // bidi-js levels are per UTF-16 unit; take each code point's level from its first unit.
  const charLevels: number[] = [];
  let unit = 0;
  for (const ch of chars) {
    charLevels.push(levels[unit]!);
    unit += ch.length;
  }
  const runs: { font: FontKey; level: number; chars: string[] }[] = [];
  chars.forEach((ch, i) => {
    const last = runs.at(-1);
    if (last && last.font === keys[i] && last.level === charLevels[i]) last.chars.push(ch);
    else runs.push({ font: keys[i]!, level: charLevels[i]!, chars: [ch] });
  });
  const max = Math.max(...runs.map((r) => r.level));
  const lowestOdd = Math.min(...runs.map((r) => (r.level % 2 === 1 ? r.level : max + 1)));
  for (let level = max; level >= lowestOdd && level > 0; level--) {
    for (let i = 0; i < runs.length; i++) {
      if (runs[i]!.level < level) continue;
      let j = i;
      while (j + 1 < runs.length && runs[j + 1]!.level >= level) j++;
      runs.splice(i, j - i + 1, ...runs.slice(i, j + 1).reverse());
      i = j;
    }
  }
  return runs.map((r) => {
    const rtl = r.level % 2 === 1;
    const text = r.chars.join('');
    // fontkit shapes Arabic and Hebrew and reverses them itself; anything else at a right-to-left
    // level (neutrals between RTL words) is reversed, and mirrored, here.
    const first = r.chars.find((ch) => !NEUTRAL.test(ch));
    const fontkitReverses = first !== undefined && RTL_SCRIPT.test(first);
    if (rtl === fontkitReverses) return { font: r.font, text };
    const flipped = [...r.chars].reverse().map((ch) => (rtl ? (bidi.getMirroredCharacter(ch) ?? ch) : ch));
    return { font: r.font, text: flipped.join('') };
  });
}

type Line = { runs: Run[]; width: number };

/**
 * Any `features` makes pdfkit hand the whole run to fontkit; without it pdfkit lays out word by
 * word and keeps the words in logical order, which breaks right-to-left runs. fontkit still
 * applies each script's default features (Arabic joining, ligatures, kerning).
 */
const WHOLE = { features: [] as PDFKit.Mixins.OpenTypeFeatures[] };

/** Lays text out on at most `maxLines` lines no wider than `maxWidth`: shrinks first, then wraps. */
function fitText(
  doc: PDFKit.PDFDocument,
  text: string,
  opts: { weight: 'regular' | 'bold'; size: number; minSize: number; maxWidth: number; maxLines: number },
  fonts: Fonts,
): { size: number; lines: Line[] } {
  const measure = (line: string, size: number): Line => {
    const runs = visualRuns(line, opts.weight, fonts);
    const width = runs.reduce((sum, r) => sum + doc.font(r.font).fontSize(size).widthOfString(r.text, WHOLE), 0);
    return { runs, width };
  };
  const one = measure(text, opts.size);
  if (one.width <= opts.maxWidth) return { size: opts.size, lines: [one] };
  const shrunk = (opts.size * opts.maxWidth) / one.width;
  if (shrunk >= opts.minSize) return { size: shrunk, lines: [measure(text, shrunk)] };
  // Wrap at word boundaries (Intl.Segmenter knows CJK words too), or between graphemes when one
  // word alone is wider than the line; shrink further only when the lines run out.
  const words = [...new Intl.Segmenter(undefined, { granularity: 'word' }).segment(text)].map((s) => s.segment);
  const graphemes = (s: string) => [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(s)];
  for (let size = opts.minSize; ; size *= 0.85) {
    const lines: string[] = [];
    let current = '';
    const push = (piece: string) => {
      const candidate = current + piece;
      if (current === '' || measure(candidate.trim(), size).width <= opts.maxWidth) current = candidate;
      else {
        lines.push(current.trim());
        current = piece.trimStart();
      }
    };
    for (const word of words) {
      if (measure(word, size).width <= opts.maxWidth) push(word);
      else for (const g of graphemes(word)) push(g.segment);
    }
    if (current.trim()) lines.push(current.trim());
    if (lines.length <= opts.maxLines || size < 4) return { size, lines: lines.map((l) => measure(l, size)) };
  }
}

/** Draws a fitted block centred on the page, its lines centred around `centerY` (top-down). */
function drawBlock(
  doc: PDFKit.PDFDocument,
  block: { size: number; lines: Line[] },
  centerY: number,
  color: string,
  pageWidth: number,
) {
  const leading = block.size * 1.25;
  let baseline = centerY - ((block.lines.length - 1) * leading) / 2 + block.size * 0.35;
  for (const line of block.lines) {
    let x = (pageWidth - line.width) / 2;
    for (const run of line.runs) {
      doc.font(run.font).fontSize(block.size).fillColor(color);
      doc.text(run.text, x, baseline, { ...WHOLE, lineBreak: false, baseline: 'alphabetic' });
      x += doc.widthOfString(run.text, WHOLE);
    }
    baseline += leading;
  }
}

/** The QR code of the verification URL as filled squares (rows merged into rectangles). */
function drawQr(doc: PDFKit.PDFDocument, url: string, x: number, y: number, size: number, color: string) {
  const { modules } = QRCode.create(url, { errorCorrectionLevel: 'M' });
  const cell = size / modules.size;
  for (let row = 0; row < modules.size; row++) {
    let col = 0;
    while (col < modules.size) {
      if (!modules.get(row, col)) {
        col++;
        continue;
      }
      const start = col;
      while (col < modules.size && modules.get(row, col)) col++;
      doc.rect(x + start * cell, y + row * cell, (col - start) * cell, cell);
    }
  }
  doc.fillColor(color).fill();
}

/** Where the QR code sits on the page (points, from the top left): tests read it back from a render. */
export const QR_BOX = { x: 842 - 60 - 92, y: 595 - 60 - 92, size: 92 };

/** Renders run one at a time: they share the font faces, whose glyph caches each render resets. */
let previous: Promise<unknown> = Promise.resolve();

/** A one-page A4 landscape PDF. Yields to the event loop between the steps that cost most. */
export function renderCertificatePdf(c: CertificateContent): Promise<Buffer> {
  const next = previous.then(() => render(c));
  previous = next.catch(() => undefined);
  return next;
}

async function render(c: CertificateContent): Promise<Buffer> {
  const fonts = await loadFonts();
  const width = 842;
  const height = 595;
  const doc = new PDFDocument({
    size: [width, height],
    margin: 0,
    // No default (Helvetica) font: every font on the page is embedded.
    font: null as unknown as string,
    info: {
      Title: `Certificate — ${c.courseTitle}`,
      Author: c.schoolName,
      Subject: `${c.studentName} — ${c.courseTitle}`,
      CreationDate: c.issuedAt,
    },
  });
  for (const [key, font] of Object.entries(fonts)) doc.registerFont(key, font as unknown as Buffer);
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const ink = '#1f2942';
  const accent = '#3366bf';
  doc
    .lineWidth(3)
    .strokeColor(accent)
    .rect(24, 24, width - 48, height - 48)
    .stroke();
  doc
    .lineWidth(0.75)
    .rect(34, 34, width - 68, height - 68)
    .stroke();

  const inner = width - 140;
  const block = (text: string, weight: 'regular' | 'bold', size: number, minSize: number, maxLines: number) =>
    fitText(doc, text, { weight, size, minSize, maxWidth: inner, maxLines }, fonts);
  drawBlock(doc, block(c.schoolName, 'bold', 20, 11, 2), 88, accent, width);
  drawBlock(doc, block('CERTIFICATE OF COMPLETION', 'bold', 30, 30, 1), 152, ink, width);
  drawBlock(doc, block('This certifies that', 'regular', 14, 14, 1), 203, ink, width);
  await yieldToLoop();
  drawBlock(doc, block(c.studentName, 'bold', 34, 16, 3), 254, ink, width);
  drawBlock(doc, block('has completed the course', 'regular', 14, 14, 1), 303, ink, width);
  await yieldToLoop();
  drawBlock(doc, block(c.courseTitle, 'bold', 22, 12, 3), 348, ink, width);
  drawBlock(doc, block(`Issued ${c.issuedAt.toISOString().slice(0, 10)}`, 'regular', 13, 13, 1), 400, ink, width);
  if (c.revokedAt) {
    const revoked = `REVOKED ${c.revokedAt.toISOString().slice(0, 10)}`;
    drawBlock(doc, block(revoked, 'bold', 16, 16, 1), 428, '#b3261e', width);
  }

  drawQr(doc, c.verifyUrl, QR_BOX.x, QR_BOX.y, QR_BOX.size, ink);
  const qrSize = QR_BOX.size;
  const footer = (text: string, size: number, y: number, color: string) =>
    drawBlock(
      doc,
      fitText(
        doc,
        text,
        { weight: 'regular', size, minSize: 6, maxWidth: width - 2 * (qrSize + 90), maxLines: 2 },
        fonts,
      ),
      y,
      color,
      width,
    );
  footer(`Verification code ${c.code}`, 11, 488, ink);
  footer(c.verifyUrl, 10, 506, accent);
  await yieldToLoop();
  doc.end();
  return done;
}

type Pending = { resolve: (pdf: Uint8Array) => void; reject: (err: Error) => void };

/** Renders waiting at most (a few seconds of work); beyond, 503 with Retry-After instead of an unbounded queue. */
const MAX_WAITING = 32;
/** A render that takes this long means a stuck thread: it is terminated and replaced. */
const RENDER_TIMEOUT_MS = 30_000;
let worker: { thread: Worker; pending: Map<number, Pending> } | undefined;
let nextId = 0;

/** The rendering thread, started on first use; run from TypeScript sources (tests, tsx) it loads tsx first. */
function renderer() {
  if (worker) return worker;
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(`./certificate-pdf.worker.${fromSource ? 'ts' : 'js'}`, import.meta.url);
  const thread = fromSource
    ? new Worker(
        `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}); });`,
        { eval: true },
      )
    : new Worker(entry);
  // Idle, it does not keep the process alive.
  thread.unref();
  const current = { thread, pending: new Map<number, Pending>() };
  thread.on('message', (m: { id: number; pdf?: Uint8Array; error?: string }) => {
    const waiting = current.pending.get(m.id);
    current.pending.delete(m.id);
    if (m.pdf) waiting?.resolve(m.pdf);
    else waiting?.reject(new Error(`certificate rendering failed: ${m.error}`));
  });
  const fail = (err: Error) => {
    if (worker === current) worker = undefined;
    for (const waiting of current.pending.values()) waiting.reject(err);
    current.pending.clear();
  };
  thread.on('error', fail);
  thread.on('exit', (code) => fail(new Error(`the certificate renderer stopped (exit code ${code})`)));
  worker = current;
  return current;
}

/**
 * `renderCertificatePdf` on a worker thread, so a request's layout and font subsetting never
 * hold the event loop; a crashed thread is replaced on the next call.
 */
export function renderOffThread(content: CertificateContent): Promise<Uint8Array> {
  const { thread, pending } = renderer();
  if (pending.size >= MAX_WAITING) {
    return Promise.reject(
      new AppError('service_unavailable', 'Too many certificates are being rendered; try again shortly.', undefined, {
        'retry-after': '2',
      }),
    );
  }
  const id = nextId++;
  let timer: NodeJS.Timeout | undefined;
  return new Promise<Uint8Array>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    if (pending.size === 1) thread.ref();
    thread.postMessage({ id, content });
    // A stuck renderer fails every waiting request (the exit handler) and is replaced on the next call.
    timer = setTimeout(() => void thread.terminate(), RENDER_TIMEOUT_MS);
  }).finally(() => {
    clearTimeout(timer);
    if (pending.size === 0) thread.unref();
  });
}
