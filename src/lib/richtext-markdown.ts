/**
 * Rich text (the stored Tiptap document) → Markdown that `parseMarkdown` reads back into the same
 * document, with prosemirror-markdown's serializer (its escaping and list/quote nesting) given the
 * Tiptap node names. Used by Markdown course export. Markdown cannot say everything a document can
 * (two spaces in a row, a table cell holding a list, …): callers check the round trip with
 * `parseMarkdown` and keep the document as data where it does not hold.
 */
import { getSchema } from '@tiptap/core';
import { type Mark, Node, type Schema } from '@tiptap/pm/model';
import { MarkdownSerializer, type MarkdownSerializerState } from 'prosemirror-markdown';
import { parseMarkdown, RICH_TEXT_EXTENSIONS, type RichTextDoc } from './richtext.js';

let schema: Schema | undefined;
const getRichTextSchema = () => {
  schema ??= getSchema(RICH_TEXT_EXTENSIONS);
  return schema;
};

type NodeFn = (state: MarkdownSerializerState, node: Node, parent: Node, index: number) => void;

/** A fence longer than any run of backticks in the code. */
function fenceFor(code: string): string {
  const longest = Math.max(2, ...(code.match(/`+/g) ?? []).map((r) => r.length));
  return '`'.repeat(longest + 1);
}

function backticksFor(node: Node, side: -1 | 1): string {
  let len = 0;
  if (node.isText) for (const m of node.text?.match(/`+/g) ?? []) len = Math.max(len, m.length);
  let result = len > 0 && side > 0 ? ' `' : '`';
  result += '`'.repeat(len);
  if (len > 0 && side < 0) result += ' ';
  return result;
}

const escapeTitle = (title: string) => title.replace(/["\\]/g, '\\$&');
const escapeUrl = (url: string) => url.replace(/[()<>\s\\]/g, (c) => (/\s/.test(c) ? encodeURI(c) : `\\${c}`));

/** One table row as `| a | b |`, each cell's inline content serialised on its own. */
function tableRow(serializer: MarkdownSerializer, row: Node): string {
  const cells: string[] = [];
  row.forEach((cell) => {
    const paragraph = cell.firstChild;
    const text = paragraph
      ? serializer.serialize(getRichTextSchema().node('doc', null, [paragraph]), { tightLists: true })
      : '';
    cells.push(text.replace(/\|/g, '\\|'));
  });
  return `| ${cells.join(' | ')} |`;
}

/** Whether a table fits GFM: a header row then body rows, one paragraph per cell, no spans or breaks. */
function isGfmTable(table: Node): boolean {
  let ok = table.childCount > 0;
  table.forEach((row, _o, r) => {
    row.forEach((cell) => {
      const header = cell.type.name === 'tableHeader';
      if (header !== (r === 0)) ok = false;
      if (cell.attrs.colspan !== 1 || cell.attrs.rowspan !== 1 || cell.attrs.colwidth) ok = false;
      if (cell.childCount !== 1 || cell.firstChild?.type.name !== 'paragraph') ok = false;
      cell.firstChild?.forEach((inline) => {
        if (inline.type.name === 'hardBreak' || (inline.text ?? '').includes('\n')) ok = false;
      });
    });
  });
  return ok;
}

function createSerializer(headingOffset: number): MarkdownSerializer {
  const nodes: Record<string, NodeFn> = {
    blockquote(state, node) {
      state.wrapBlock('> ', null, node, () => state.renderContent(node));
    },
    codeBlock(state, node) {
      const fence = fenceFor(node.textContent);
      state.write(`${fence}${node.attrs.language ?? ''}\n`);
      state.text(node.textContent, false);
      state.write('\n');
      state.write(fence);
      state.closeBlock(node);
    },
    heading(state, node) {
      state.write(`${'#'.repeat(Number(node.attrs.level) + headingOffset)} `);
      state.renderInline(node, false);
      state.closeBlock(node);
    },
    horizontalRule(state, node) {
      state.write('---');
      state.closeBlock(node);
    },
    bulletList(state, node) {
      state.renderList(node, '  ', () => '- ');
    },
    orderedList(state, node) {
      const start = Number(node.attrs.start ?? 1);
      const width = String(start + node.childCount - 1).length;
      state.renderList(node, ' '.repeat(width + 2), (i) => {
        const n = String(start + i);
        return `${' '.repeat(width - n.length)}${n}. `;
      });
    },
    listItem(state, node) {
      state.renderContent(node);
    },
    paragraph(state, node) {
      state.renderInline(node);
      state.closeBlock(node);
    },
    // A block in this schema: written as a paragraph of its own.
    image(state, node) {
      const { src, alt, title } = node.attrs as { src: string; alt?: string | null; title?: string | null };
      state.write(`![${state.esc(alt ?? '')}](${escapeUrl(src)}${title ? ` "${escapeTitle(title)}"` : ''})`);
      state.closeBlock(node);
    },
    hardBreak(state, node, parent, index) {
      for (let i = index + 1; i < parent.childCount; i++)
        if (parent.child(i).type !== node.type) {
          state.write('\\\n');
          return;
        }
    },
    text(state, node) {
      state.text(node.text ?? '', !(state as unknown as { inAutolink?: boolean }).inAutolink);
    },
    table(state, node) {
      if (!isGfmTable(node)) throw new NotMarkdown('table');
      const alignOf = (cell: Node) => {
        const align = cell.attrs.align as string | null;
        return align === 'left' ? ':--' : align === 'right' ? '--:' : align === 'center' ? ':-:' : '---';
      };
      const rows: string[] = [];
      const aligns: string[] = [];
      node.firstChild?.forEach((cell) => {
        aligns.push(alignOf(cell));
      });
      node.forEach((row) => {
        rows.push(tableRow(serializer, row));
        // Cells take their column's alignment; a table whose cells disagree is not GFM.
        row.forEach((cell, _o, c) => {
          if (aligns[c] !== alignOf(cell)) throw new NotMarkdown('table');
        });
      });
      state.write([rows[0], `| ${aligns.join(' | ')} |`, ...rows.slice(1)].join('\n'));
      state.closeBlock(node);
    },
  };
  const marks = {
    italic: { open: '*', close: '*', mixable: true, expelEnclosingWhitespace: true },
    bold: { open: '**', close: '**', mixable: true, expelEnclosingWhitespace: true },
    strike: { open: '~~', close: '~~', mixable: true, expelEnclosingWhitespace: true },
    // No Markdown syntax: inline HTML, which the server's Markdown conversion reads.
    underline: { open: '<u>', close: '</u>', mixable: true, expelEnclosingWhitespace: true },
    highlight: { open: '<mark>', close: '</mark>', mixable: true, expelEnclosingWhitespace: true },
    link: {
      open: () => '[',
      close: (_state: MarkdownSerializerState, mark: Mark) => {
        const { href, title } = mark.attrs as { href: string; title?: string | null };
        return `](${escapeUrl(href)}${title ? ` "${escapeTitle(title)}"` : ''})`;
      },
      mixable: true,
    },
    code: {
      open: (_s: MarkdownSerializerState, _m: Mark, parent: Node, index: number) =>
        backticksFor(parent.child(index), -1),
      close: (_s: MarkdownSerializerState, _m: Mark, parent: Node, index: number) =>
        backticksFor(parent.child(index - 1), 1),
      escape: false,
    },
  };
  // `<` and `&` too: the server reads inline HTML and entities.
  const serializer = new MarkdownSerializer(nodes, marks, { escapeExtraCharacters: /[<&]/g });
  return serializer;
}

/** A document Markdown cannot carry (see `richTextToMarkdown`). */
export class NotMarkdown extends Error {
  constructor(readonly what: string) {
    super(`This ${what} has no Markdown form.`);
  }
}

const serializers = new Map<number, MarkdownSerializer>();

/**
 * The document as Markdown, headings written `headingOffset` levels deeper (a Markdown course
 * writes a lesson's level-1 heading as `####`). Throws `NotMarkdown` for a table GFM cannot hold.
 */
export function richTextToMarkdown(doc: RichTextDoc, headingOffset = 0): string {
  let serializer = serializers.get(headingOffset);
  if (!serializer) {
    serializer = createSerializer(headingOffset);
    serializers.set(headingOffset, serializer);
  }
  const node = Node.fromJSON(getRichTextSchema(), doc);
  return serializer.serialize(node, { tightLists: true });
}

/** The two directions a Markdown course renderer needs, with the server's own Markdown conversion. */
export const richTextCodec = {
  toMarkdown(doc: Record<string, unknown>, headingOffset: number): string | null {
    try {
      return richTextToMarkdown(doc as RichTextDoc, headingOffset);
    } catch {
      return null; // not a valid document, or a table GFM cannot hold: kept as data
    }
  },
  fromMarkdown(markdown: string): unknown {
    try {
      return parseMarkdown(markdown, 'markdown');
    } catch {
      return null;
    }
  },
};
