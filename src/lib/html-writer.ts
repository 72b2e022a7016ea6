/**
 * Renders a ProseMirror document to an HTML string without a DOM. ProseMirror's own DOMSerializer
 * does all the work (node and mark specs, how marks nest around text); it only needs a `document`
 * that can create elements and text. This module is that document: plain objects that print
 * themselves the way the HTML standard serialises a fragment, exactly as happy-dom's `innerHTML`
 * does (what rendering used before, so stored HTML does not change), at a fraction of the cost.
 */
import type { DOMSerializer, Fragment } from '@tiptap/pm/model';

/** Elements that have no end tag (HTML standard, "void elements"). */
const VOID_ELEMENTS = new Set([
  'area',
  'base',
  'br',
  'col',
  'embed',
  'hr',
  'img',
  'input',
  'link',
  'meta',
  'source',
  'track',
  'wbr',
]);

// Like happy-dom, U+00A0 is written as `&nbsp;` in text but left as is in attribute values.
const TEXT_ESCAPES: Record<string, string> = { '&': '&amp;', '\u00a0': '&nbsp;', '<': '&lt;', '>': '&gt;' };
const ATTR_ESCAPES: Record<string, string> = { '&': '&amp;', '"': '&quot;' };
const escapeText = (s: string) => s.replace(/[&\u00a0<>]/g, (c) => TEXT_ESCAPES[c] as string);
const escapeAttr = (s: string) => s.replace(/[&"]/g, (c) => ATTR_ESCAPES[c] as string);

type Child = HtmlElement | HtmlText;

class HtmlText {
  readonly nodeType = 3;
  constructor(readonly data: string) {}
  write(out: string[]) {
    out.push(escapeText(this.data));
  }
}

class HtmlElement {
  readonly nodeType = 1;
  private readonly attributes = new Map<string, string>();
  private readonly children: Child[] = [];
  constructor(readonly tagName: string) {}

  setAttribute(name: string, value: unknown) {
    this.attributes.set(name.toLowerCase(), String(value));
  }
  appendChild<T extends Child>(child: T): T {
    this.children.push(child);
    return child;
  }
  /** The element's own tag and attributes, then its children; depth is the document's, bounded
   * by validation before anything is rendered. */
  write(out: string[]) {
    out.push('<', this.tagName);
    for (const [name, value] of this.attributes) out.push(' ', name, '="', escapeAttr(value), '"');
    out.push('>');
    if (VOID_ELEMENTS.has(this.tagName)) return;
    this.writeChildren(out);
    out.push('</', this.tagName, '>');
  }
  writeChildren(out: string[]) {
    for (const child of this.children) child.write(out);
  }
}

/** The part of `Document` that DOMSerializer uses when given a target element (createElementNS
 * would only serve SVG/MathML specs, which the schema has none of: it is left out, so fails loudly). */
const htmlDocument = {
  createElement: (tagName: string) => new HtmlElement(tagName.toLowerCase()),
  createTextNode: (data: string) => new HtmlText(data),
};

/** The HTML of a document's content, as `innerHTML` of a wrapper would print it. */
export function writeHtml(serializer: DOMSerializer, content: Fragment): string {
  const root = new HtmlElement('div');
  serializer.serializeFragment(
    content,
    { document: htmlDocument as unknown as Document },
    root as unknown as HTMLElement,
  );
  const out: string[] = [];
  root.writeChildren(out);
  return out.join('');
}
