/**
 * Markdown → HTML for rich-text fields, with markdown-it: CommonMark plus GFM tables,
 * strikethrough and autolinks. markdown-it parses in time linear in its input (emphasis, links,
 * backticks and nesting included), where marked was superlinear on runs of emphasis markers.
 * The HTML goes on to the rich-text HTML pipeline (sanitiser, schema), so raw HTML in the
 * Markdown is allowed here and made safe there.
 */
import MarkdownIt, { type StateCore } from 'markdown-it';

/** Markdown over a limit, found after parsing and before any HTML is written. */
export class MarkdownLimitError extends Error {
  constructor(readonly code: 'too_deep' | 'too_large') {
    super(code === 'too_deep' ? 'The Markdown is nested too deeply.' : 'The Markdown has too many elements.');
  }
}

/**
 * @param maxDepth markdown-it stops parsing (silently dropping the rest) at its nesting limit, so
 * the limit is set to `maxDepth` and reaching it is refused (too_deep) instead.
 * @param maxNodes most elements and texts the Markdown may make (too_large): counted on the tokens,
 * so an oversized document is refused before its HTML is written, sanitised and parsed.
 */
export function createMarkdownRenderer(maxDepth: number, maxNodes: number): (markdown: string) => string {
  const md = new MarkdownIt('default', {
    html: true,
    linkify: true, // GFM autolinks: bare http(s) URLs, www. and e-mail addresses
    typographer: false,
    breaks: false,
    maxNesting: maxDepth,
  });
  md.core.ruler.push('richtext_schema', (state) => {
    checkLimits(state, maxDepth, maxNodes);
    adjustForSchema(state);
  });
  const maxMarkers = MARKERS_PER_NODE * maxNodes;
  return (markdown) => {
    // markdown-it is linear but costs about 1 µs per marker character: a text dense with markers
    // is refused by a cheap count first, so no input within the limits parses for long.
    if (countMarkers(markdown, maxMarkers)) throw new MarkdownLimitError('too_large');
    return md.render(markdown);
  };
}

/**
 * Markers (emphasis, links, autolinks, entities, code, HTML, lists, headings, tables, line starts) allowed per node of the node limit. A text with
 * more could only make more nodes than allowed, or none at all from a pile of markers.
 */
const MARKERS_PER_NODE = 2;
const MARKER = new Uint8Array(128);
for (const c of '*_[]()!`<>~\\\n-+#|:&@/') MARKER[c.charCodeAt(0)] = 1;

/** True once `markdown` holds more than `max` marker characters (stops counting there). */
function countMarkers(markdown: string, max: number): boolean {
  let n = 0;
  for (let i = 0; i < markdown.length; i++) {
    const code = markdown.charCodeAt(i);
    if (code < 128 && MARKER[code] === 1 && ++n > max) return true;
  }
  return false;
}

/** Every token but closing ones is one HTML node (an element, a text, a line break). */
function checkLimits(state: StateCore, maxDepth: number, maxNodes: number) {
  let nodes = 0;
  for (const token of state.tokens) {
    if (token.level >= maxDepth - 1) throw new MarkdownLimitError('too_deep');
    if (token.nesting >= 0 && token.type !== 'inline') nodes++;
    for (const child of token.children ?? []) {
      if (child.level >= maxDepth - 1) throw new MarkdownLimitError('too_deep');
      if (child.nesting >= 0) nodes++;
    }
    if (nodes > maxNodes) throw new MarkdownLimitError('too_large');
  }
}

/** Token rewrites so the HTML maps onto the rich-text schema the way an editor would load it. */
function adjustForSchema(state: StateCore) {
  const tokens = state.tokens;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (!token) continue;
    // The schema's cells carry alignment as `align`; markdown-it writes an inline style, which
    // the sanitiser removes.
    if (token.type === 'th_open' || token.type === 'td_open') {
      const align = /^text-align:(left|center|right)$/.exec(String(token.attrGet('style') ?? ''))?.[1];
      token.attrs = align ? [['align', align]] : null;
    }
    // Code blocks end with a newline, which would become an empty last line.
    if ((token.type === 'fence' || token.type === 'code_block') && token.content.endsWith('\n'))
      token.content = token.content.slice(0, -1);
    // Images are blocks in the schema: a paragraph holding only images would leave an empty
    // paragraph behind, so such paragraphs render as their images alone.
    const inline = tokens[i + 1];
    if (token.type === 'paragraph_open' && inline?.type === 'inline') {
      const children = inline.children ?? [];
      const imagesOnly =
        children.some((c) => c.type === 'image') &&
        children.every((c) => c.type === 'image' || c.type === 'softbreak' || (c.type === 'text' && !c.content.trim()));
      const close = tokens[i + 2];
      if (imagesOnly && close?.type === 'paragraph_close') {
        token.hidden = true;
        close.hidden = true;
      }
    }
  }
}
