/**
 * Rich-text conversion rate on one core: small documents converted (parse + validate + render)
 * per second, for HTML, Markdown and document-object input, as the API converts every field.
 * Target (issue 10): at least 2,000 small HTML documents per second.
 *
 *   node --import tsx bench/richtext.ts
 *
 * Each rate is the best of several one-second rounds, so that other work on the machine (a test
 * run, a build) lowers the median but not the reported capacity; both are printed.
 */
import { parseMarkdown, parseRichText, type RichTextDoc, renderRichText } from '../src/lib/richtext.js';

const TARGET_HTML_PER_SECOND = 2_000;
const ROUNDS = 5;
const ROUND_MS = 1_000;

const HTML =
  '<h2>Title</h2><p>Some <strong>bold</strong> text with a <a href="https://example.com">link</a>.</p>' +
  '<ul><li>one</li><li>two</li></ul>';
const MARKDOWN = '## Title\n\nSome **bold** text with a [link](https://example.com).\n\n- one\n- two\n';
const DOCUMENT: RichTextDoc = parseRichText(HTML, 'content');

/** Conversions per second: best and median of the rounds. */
function rate(convert: () => string): { best: number; median: number } {
  for (let i = 0; i < 500; i++) convert(); // warm up the JIT
  const rates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    let n = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < ROUND_MS) {
      convert();
      n++;
      elapsed = performance.now() - start;
    }
    rates.push((n / elapsed) * 1000);
  }
  rates.sort((a, b) => a - b);
  return { best: rates[rates.length - 1] as number, median: rates[Math.floor(rates.length / 2)] as number };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US').padStart(7);
const results = {
  html: rate(() => renderRichText(parseRichText(HTML, 'content'))),
  markdown: rate(() => renderRichText(parseMarkdown(MARKDOWN, 'contentMarkdown'))),
  json: rate(() => renderRichText(parseRichText(DOCUMENT, 'content'))),
};

console.log(`rich text, ${Buffer.byteLength(HTML)}-byte documents, docs/s on one core (best / median of ${ROUNDS}):`);
for (const [name, r] of Object.entries(results)) console.log(`  ${name.padEnd(9)} ${fmt(r.best)} / ${fmt(r.median)}`);
const met = results.html.best >= TARGET_HTML_PER_SECOND;
console.log(
  `target ≥ ${TARGET_HTML_PER_SECOND.toLocaleString('en-US')} HTML docs/s: ${met ? 'met' : 'NOT met'} (${Math.round(results.html.best)}/s)`,
);
if (!met) process.exitCode = 1;
