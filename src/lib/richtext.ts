/**
 * Rich-text fields (course/section description, lesson content): Tiptap/ProseMirror documents
 * (API.md §1 "Rich text"). Input is a document object, that document as a JSON string, HTML, or
 * Markdown; output is the stored document and its rendered HTML.
 *
 * The schema comes from the real Tiptap extensions, and structure is judged by ProseMirror's own
 * content expressions, so what we accept is exactly what a Tiptap editor with these extensions can
 * load. On top of the schema we check attribute values (ProseMirror only knows attribute names).
 */
import { type Attributes, type Extensions, getSchema, mergeAttributes } from '@tiptap/core';
import Highlight from '@tiptap/extension-highlight';
import Image from '@tiptap/extension-image';
import { Table, TableCell, TableHeader, TableRow } from '@tiptap/extension-table';
import { DOMSerializer, type MarkType, Node, type NodeType, DOMParser as PMDOMParser } from '@tiptap/pm/model';
import StarterKit from '@tiptap/starter-kit';
import { Window } from 'happy-dom';
import sanitize from 'sanitize-html';
import { AppError, type ErrorDetail } from './errors.js';
import { writeHtml } from './html-writer.js';
import { createMarkdownRenderer, MarkdownLimitError } from './markdown.js';

export type RichTextDoc = { type: 'doc'; content?: unknown[] } & Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Limits (API.md §1 "Limits that protect every school"), checked before any conversion: the
// size of what was sent first, then the document's node count and depth in one iterative walk,
// so no input can make the work that follows (sanitising, parsing, validating, rendering)
// expensive or deep.

/** Most bytes (UTF-8) of one rich-text field as sent: the string, or a document object's JSON. */
export const RICH_TEXT_MAX_BYTES = 200_000;
/** Most nodes (every node, text nodes included) in one rich-text document. */
export const RICH_TEXT_MAX_NODES = 10_000;
/** Deepest nesting: `doc` is level 0, its blocks level 1, and no node may be deeper than this. */
export const RICH_TEXT_MAX_DEPTH = 64;

// ---------------------------------------------------------------------------------------------
// URLs

const LINK_SCHEMES = ['http', 'https', 'mailto'];
const IMAGE_SCHEMES = ['http', 'https'];
const MAX_URL_LENGTH = 2048;

/** An absolute URL with one of `schemes`, written with the scheme first (no leading blanks). */
function isUrlWithScheme(value: unknown, schemes: string[]): value is string {
  if (typeof value !== 'string' || value.length > MAX_URL_LENGTH) return false;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value)?.[1]?.toLowerCase();
  return scheme !== undefined && schemes.includes(scheme) && URL.canParse(value);
}

// ---------------------------------------------------------------------------------------------
// Extensions and schema (built once)

/** What Tiptap's link mark writes on every link; the platform always renders links this way. */
const LINK_TARGET = '_blank';
const LINK_REL = 'noopener noreferrer nofollow';

/**
 * Readers get plain table cells: the editor's column widths are kept in the document but not
 * rendered, and alignment is the `align` attribute rather than an inline style (sanitize-html
 * rewrites style attributes, so rendered HTML would not survive sanitising unchanged).
 */
function readerCellAttributes(inherited: Attributes | object | undefined): Attributes {
  const attrs = { ...inherited } as Attributes;
  return {
    ...attrs,
    colwidth: { ...attrs.colwidth, rendered: false },
    align: {
      ...attrs.align,
      renderHTML: (a: Record<string, unknown>) => (typeof a.align === 'string' ? { align: a.align } : {}),
    },
  };
}

/** The Tiptap extensions (and their configuration) the schema is built from: what an editor loads. */
export const RICH_TEXT_EXTENSIONS: Extensions = [
  StarterKit.configure({
    heading: { levels: [1, 2, 3] },
    link: {
      openOnClick: false,
      autolink: false,
      linkOnPaste: false,
      // Also the HTML parse rule: an <a> with any other scheme loses its link (its text stays).
      isAllowedUri: (url) => isUrlWithScheme(url, LINK_SCHEMES),
    },
    // Editor-only behaviour, no schema: not wanted on a server.
    dropcursor: false,
    gapcursor: false,
    undoRedo: false,
    listKeymap: false,
    trailingNode: false,
  }),
  // A plain <table><tbody>: Tiptap's default adds a <colgroup> and min-width styles for the
  // editor's column resizing, which readers don't need (and the sanitiser would rewrite).
  Table.extend({
    renderHTML({ HTMLAttributes }) {
      return ['table', mergeAttributes(this.options.HTMLAttributes, HTMLAttributes), ['tbody', 0]];
    },
  }),
  TableRow,
  TableHeader.extend({
    addAttributes() {
      return readerCellAttributes(this.parent?.());
    },
  }),
  TableCell.extend({
    addAttributes() {
      return readerCellAttributes(this.parent?.());
    },
  }),
  Image.configure({ inline: false, allowBase64: false }),
  Highlight.configure({ multicolor: false }),
];

const schema = getSchema(RICH_TEXT_EXTENSIONS);
const domParser = PMDOMParser.fromSchema(schema);
const domSerializer = DOMSerializer.fromSchema(schema);

const NODES = [
  'doc',
  'paragraph',
  'heading',
  'text',
  'bulletList',
  'orderedList',
  'listItem',
  'blockquote',
  'horizontalRule',
  'codeBlock',
  'table',
  'tableRow',
  'tableHeader',
  'tableCell',
  'image',
  'hardBreak',
];
const MARKS = ['bold', 'italic', 'underline', 'strike', 'code', 'link', 'highlight'];

// ---------------------------------------------------------------------------------------------
// Attribute rules: one for every attribute the schema has (checked at load below). ProseMirror
// only checks attribute names, so values are ours to judge. Attributes outside the contract that
// Tiptap editors write anyway (link target/rel/class, image width/height) are accepted only with
// Tiptap's default values, so editor output round-trips but cannot change how things render.
// Numeric ranges match the sanitiser's patterns below, so rendered numbers always survive it.

type AttrRule = { required?: true; check: (value: unknown, attrs: Record<string, unknown>) => string | undefined };

const rule = (
  ok: (v: unknown, attrs: Record<string, unknown>) => boolean,
  message: string,
  required?: true,
): AttrRule => ({ ...(required ? { required } : {}), check: (v, attrs) => (ok(v, attrs) ? undefined : message) });
const nullableString = rule((v) => v === null || typeof v === 'string', 'Must be a string or null.');
const onlyNull = rule((v) => v === null, 'Not supported; must be null or left out.');
const isIntIn = (v: unknown, min: number, max: number): v is number =>
  Number.isInteger(v) && (v as number) >= min && (v as number) <= max;
const tableCellRules: Record<string, AttrRule> = {
  colspan: rule((v) => isIntIn(v, 1, 999), 'Must be an integer from 1 to 999.'),
  rowspan: rule((v) => isIntIn(v, 1, 999), 'Must be an integer from 1 to 999.'),
  colwidth: rule(
    (v, attrs) =>
      v === null || (Array.isArray(v) && v.every((w) => isIntIn(w, 0, 100_000)) && v.length === (attrs.colspan ?? 1)),
    'Must be null or one non-negative integer width per spanned column.',
  ),
  align: rule(
    (v) => v === null || v === 'left' || v === 'center' || v === 'right',
    "Must be 'left', 'center', 'right' or null.",
  ),
};

const ATTR_RULES: Record<string, Record<string, AttrRule>> = {
  heading: { level: rule((v) => v === 1 || v === 2 || v === 3, 'Heading level must be 1, 2 or 3.') },
  // Becomes the class `language-<x>`, so one class-safe word.
  codeBlock: {
    language: rule(
      (v) => v === null || (typeof v === 'string' && /^[\w#+.-]{0,64}$/.test(v)),
      'Must be null or a language name (letters, digits, _ # + . -).',
    ),
  },
  orderedList: {
    start: rule((v) => isIntIn(v, -999_999, 999_999), 'Must be an integer from -999999 to 999999.'),
    type: rule(
      (v) => v === null || v === '1' || v === 'a' || v === 'A' || v === 'i' || v === 'I',
      "Must be '1', 'a', 'A', 'i', 'I' or null.",
    ),
  },
  tableCell: tableCellRules,
  tableHeader: tableCellRules,
  image: {
    src: rule((v) => isUrlWithScheme(v, IMAGE_SCHEMES), 'Image src is required and must be an http(s) URL.', true),
    alt: nullableString,
    title: nullableString,
    width: onlyNull,
    height: onlyNull,
  },
  link: {
    href: rule(
      (v) => isUrlWithScheme(v, LINK_SCHEMES),
      'Link href is required and must be an http, https or mailto URL.',
      true,
    ),
    title: nullableString,
    target: rule((v) => v === null || v === LINK_TARGET, `Must be '${LINK_TARGET}' or null.`),
    rel: rule((v) => v === LINK_REL, `Must be '${LINK_REL}' or left out.`),
    class: onlyNull,
  },
};

// Fail at start-up, not per request, if an extension upgrade brings a node, mark or attribute
// nobody has ruled on.
{
  const same = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));
  if (!same(Object.keys(schema.nodes), NODES) || !same(Object.keys(schema.marks), MARKS)) {
    throw new Error(
      `richtext: unexpected schema: nodes ${Object.keys(schema.nodes).join(',')}; marks ${Object.keys(schema.marks).join(',')}`,
    );
  }
  for (const type of [...Object.values(schema.nodes), ...Object.values(schema.marks)]) {
    for (const attr of Object.keys(type.spec.attrs ?? {})) {
      if (!ATTR_RULES[type.name]?.[attr]) throw new Error(`richtext: no rule for attribute ${type.name}.${attr}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Validation: walk the JSON, reporting problems at their dot paths.

const MAX_PROBLEMS = 20;
const NODE_KEYS = new Set(['type', 'attrs', 'content', 'marks', 'text']);
const MARK_KEYS = new Set(['type', 'attrs']);

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const own = <T>(map: Record<string, T>, key: unknown): T | undefined =>
  typeof key === 'string' && Object.hasOwn(map, key) ? map[key] : undefined;

class Problems {
  readonly list: ErrorDetail[] = [];
  add(path: string, message: string, code: string) {
    if (this.list.length < MAX_PROBLEMS) this.list.push({ path, message, code });
  }
  get full() {
    return this.list.length >= MAX_PROBLEMS;
  }
}

function checkAttrs(owner: NodeType | MarkType, attrs: unknown, path: string, problems: Problems) {
  if (attrs !== undefined && attrs !== null && !isObject(attrs)) {
    problems.add(path, 'attrs must be an object.', 'invalid_attribute');
    return;
  }
  const given: Json = attrs ?? {};
  const known = owner.spec.attrs ?? {};
  const rules = ATTR_RULES[owner.name] ?? {};
  for (const [key, value] of Object.entries(given)) {
    const r = Object.hasOwn(known, key) ? rules[key] : undefined;
    if (!r) problems.add(`${path}.${key}`, `Unknown attribute '${key}' on ${owner.name}.`, 'unknown_attribute');
    else {
      const message = r.check(value, given);
      if (message) problems.add(`${path}.${key}`, message, 'invalid_attribute');
    }
  }
  for (const [key, r] of Object.entries(rules)) {
    if (r.required && !Object.hasOwn(given, key))
      problems.add(`${path}.${key}`, `${owner.name} requires attribute '${key}'.`, 'required');
  }
}

/** Marks belong to a node but are allowed (or not) by its parent, as in ProseMirror. */
function checkMarks(marks: unknown, parent: NodeType | undefined, path: string, problems: Problems) {
  if (!Array.isArray(marks)) {
    problems.add(path, 'marks must be an array.', 'invalid_mark');
    return;
  }
  const seen: MarkType[] = [];
  marks.forEach((mark: unknown, i) => {
    const at = `${path}.${i}`;
    const type = isObject(mark) ? own(schema.marks, mark.type) : undefined;
    if (!isObject(mark) || !type) {
      const name = isObject(mark) && typeof mark.type === 'string' ? ` '${mark.type}'` : '';
      problems.add(at, `Unknown mark type${name}.`, 'unknown_mark');
      return;
    }
    for (const key of Object.keys(mark))
      if (!MARK_KEYS.has(key)) problems.add(`${at}.${key}`, `Unknown field '${key}' on a mark.`, 'unknown_field');
    checkAttrs(type, mark.attrs, `${at}.attrs`, problems);
    const conflict = seen.find((s) => s.excludes(type) || type.excludes(s));
    if (!parent?.allowsMarkType(type))
      problems.add(at, `The ${type.name} mark is not allowed in ${parent?.name ?? 'this position'}.`, 'invalid_mark');
    else if (conflict)
      problems.add(
        at,
        conflict === type
          ? `Duplicate ${type.name} mark.`
          : `The ${type.name} mark cannot be combined with ${conflict.name}.`,
        'invalid_mark',
      );
    seen.push(type);
  });
}

/** Children must fit the parent's content expression: step ProseMirror's content match. */
function checkContent(type: NodeType, children: (NodeType | undefined)[], path: string, problems: Problems) {
  if (children.some((c) => !c)) return; // an unknown child is already reported
  const expected = type.spec.content ? `its content must be '${type.spec.content}'` : 'it cannot have content';
  let match = type.contentMatch;
  for (const [i, child] of (children as NodeType[]).entries()) {
    const next = match.matchType(child);
    if (!next) {
      problems.add(
        `${path}.content.${i}`,
        `A ${child.name} node is not allowed here in ${type.name} (${expected}).`,
        'invalid_content',
      );
      return;
    }
    match = next;
  }
  if (!match.validEnd) problems.add(path, `The ${type.name} node is incomplete (${expected}).`, 'invalid_content');
}

/** Recursive, but only ever called on a document checkLimits has bounded to RICH_TEXT_MAX_DEPTH. */
function checkNode(
  json: unknown,
  parent: NodeType | undefined,
  path: string,
  problems: Problems,
): NodeType | undefined {
  if (problems.full) return undefined;
  const type = isObject(json) ? own(schema.nodes, json.type) : undefined;
  if (!isObject(json) || !type) {
    const name = isObject(json) && typeof json.type === 'string' ? ` '${json.type}'` : '';
    problems.add(path, `Unknown node type${name}.`, 'unknown_node');
    return undefined;
  }
  for (const key of Object.keys(json))
    if (!NODE_KEYS.has(key))
      problems.add(`${path}.${key}`, `Unknown field '${key}' on a ${type.name} node.`, 'unknown_field');
  checkAttrs(type, json.attrs, `${path}.attrs`, problems);
  if (type.isText) {
    if (typeof json.text !== 'string' || json.text === '')
      problems.add(`${path}.text`, 'A text node needs a non-empty text string.', 'invalid_text');
  } else if (json.text !== undefined)
    problems.add(`${path}.text`, `Only text nodes have text, not ${type.name}.`, 'unknown_field');
  if (json.marks !== undefined && json.marks !== null) checkMarks(json.marks, parent, `${path}.marks`, problems);

  const content = json.content ?? [];
  if (!Array.isArray(content)) problems.add(`${path}.content`, 'content must be an array.', 'invalid_content');
  else {
    const children = content.map((child: unknown, i) => checkNode(child, type, `${path}.content.${i}`, problems));
    if (!problems.full) checkContent(type, children, path, problems);
  }
  return type;
}

function fail(path: string, details: ErrorDetail[]): never {
  const [first] = details;
  const at = first && first.path !== path ? ` at '${first.path}'` : '';
  const what = first ? first.message.charAt(0).toLowerCase() + first.message.slice(1).replace(/\.$/, '') : 'invalid';
  const more = details.length > 1 ? ` (and ${details.length - 1} more problem${details.length > 2 ? 's' : ''})` : '';
  throw new AppError('validation_error', `Field '${path}': invalid rich text: ${what}${at}${more}.`, details);
}

const NOT_A_DOC =
  'Expected a rich-text document ({ "type": "doc", "content": [...] }), its JSON string, or an HTML string.';

const MAX_NODES_TEXT = `${RICH_TEXT_MAX_NODES.toLocaleString('en-US')} nodes`;
const tooLarge = (path: string, what: string): never =>
  fail(path, [{ path, message: `The rich text is larger than ${what}.`, code: 'too_large' }]);

/** The byte limit on a string as sent, checked before it is parsed in any way. */
function checkStringSize(value: string, path: string) {
  // A UTF-8 character is at most 3 bytes per UTF-16 unit: only long strings need counting.
  if (value.length * 3 > RICH_TEXT_MAX_BYTES && Buffer.byteLength(value, 'utf8') > RICH_TEXT_MAX_BYTES)
    tooLarge(path, `${RICH_TEXT_MAX_BYTES.toLocaleString('en-US')} bytes`);
}

/**
 * Node count and depth of a document, walked with an explicit stack (one frame per level, so a
 * 10,000-deep document costs nothing), stopping at the first limit crossed. Anything that is not
 * a node still counts as one; validation reports it afterwards.
 */
function checkLimits(doc: Json, path: string) {
  type Frame = { children: unknown[]; next: number };
  const stack: Frame[] = [];
  let nodes = 1;
  let node: unknown = doc;
  for (;;) {
    const content = isObject(node) ? node.content : undefined;
    if (Array.isArray(content) && content.length) {
      if (stack.length >= RICH_TEXT_MAX_DEPTH) {
        const at = `${path}${stack.map((f) => `.content.${f.next - 1}`).join('')}.content`;
        const message = `The document is nested more than ${RICH_TEXT_MAX_DEPTH} levels deep.`;
        fail(path, [{ path: at, message, code: 'too_deep' }]);
      }
      stack.push({ children: content, next: 0 });
    }
    let top = stack[stack.length - 1];
    while (top && top.next >= top.children.length) {
      stack.pop();
      top = stack[stack.length - 1];
    }
    if (!top) return;
    node = top.children[top.next++];
    if (++nodes > RICH_TEXT_MAX_NODES) tooLarge(path, MAX_NODES_TEXT);
  }
}

/**
 * A document object's size is its text content in UTF-8 bytes (walked after checkLimits bounded
 * its nodes and depth). Not its JSON: the JSON of a stored document is several times the HTML or
 * Markdown it came from, so measuring it would refuse documents the server itself stored and
 * exports. Everything else in it (attributes, structure) is bounded by the node limit and the
 * request body limit.
 */
function checkObjectSize(doc: Json, path: string) {
  let bytes = 0;
  const stack: unknown[] = [doc];
  while (stack.length) {
    const node = stack.pop();
    if (!isObject(node)) continue;
    if (typeof node.text === 'string') bytes += Buffer.byteLength(node.text, 'utf8');
    if (Array.isArray(node.content)) for (const child of node.content) stack.push(child);
  }
  if (bytes > RICH_TEXT_MAX_BYTES) tooLarge(path, `${RICH_TEXT_MAX_BYTES.toLocaleString('en-US')} bytes of text`);
}

/** Validates a document object and returns it unchanged (so stored documents round-trip).
 * `sent`: the object is the field as sent, so its own size counts against the byte limit. */
function validated(value: unknown, path: string, sent = false): RichTextDoc {
  if (!isObject(value) || value.type !== 'doc') fail(path, [{ path, message: NOT_A_DOC, code: 'invalid_type' }]);
  checkLimits(value, path);
  if (sent) checkObjectSize(value, path);
  const problems = new Problems();
  checkNode(value, undefined, path, problems);
  if (!problems.list.length) {
    // ProseMirror's own check as a last guard: anything our walk missed still cannot get through.
    try {
      schema.nodeFromJSON(value).check();
    } catch (err) {
      problems.add(path, `Invalid document: ${err instanceof Error ? err.message : String(err)}`, 'invalid_content');
    }
  }
  if (problems.list.length) fail(path, problems.list);
  return value as RichTextDoc;
}

// ---------------------------------------------------------------------------------------------
// HTML and Markdown input

/** Drops the attributes whose value fails its test (sanitize-html's `values` would leave them
 * behind empty, which Tiptap would then read as ''). */
function keepAttrsIf(tests: Record<string, (value: string) => boolean>): sanitize.Transformer {
  return (tagName, attribs) => {
    const kept = { ...attribs };
    for (const [name, ok] of Object.entries(tests)) {
      const value = kept[name];
      if (value !== undefined && !ok(value)) delete kept[name];
    }
    return { tagName, attribs: kept };
  };
}
const isSpan = (v: string) => /^[1-9]\d{0,2}$/.test(v);
const cellAttrs = keepAttrsIf({ colspan: isSpan, rowspan: isSpan });

/**
 * Only tags and attributes that map to the allowed nodes and marks survive; everything else
 * (scripts, event handlers, iframes, styles, javascript: URLs) is removed. The same allowlist
 * covers everything renderRichText produces, so sanitising rendered HTML changes nothing.
 */
const SANITIZE_OPTIONS: sanitize.IOptions = {
  allowedTags: [
    'p',
    'h1',
    'h2',
    'h3',
    'strong',
    'b',
    'em',
    'i',
    'u',
    's',
    'strike',
    'del',
    'code',
    'pre',
    'a',
    'ul',
    'ol',
    'li',
    'blockquote',
    'hr',
    'br',
    'table',
    'thead',
    'tbody',
    'tr',
    'th',
    'td',
    'img',
    'mark',
  ],
  allowedAttributes: {
    a: ['target', 'rel', 'href', 'title'],
    img: ['src', 'alt', 'title'],
    ol: ['start', { name: 'type', values: ['1', 'a', 'A', 'i', 'I'] }],
    th: ['colspan', 'rowspan', { name: 'align', values: ['left', 'center', 'right'] }],
    td: ['colspan', 'rowspan', { name: 'align', values: ['left', 'center', 'right'] }],
  },
  allowedClasses: { code: ['language-*'] },
  allowedSchemes: LINK_SCHEMES,
  allowedSchemesByTag: { img: IMAGE_SCHEMES },
  allowedSchemesAppliedToAttributes: ['href', 'src'],
  allowProtocolRelative: false,
  transformTags: {
    // The schema has headings 1–3 only; deeper headings become level 3 rather than paragraphs.
    h4: 'h3',
    h5: 'h3',
    h6: 'h3',
    // A link's target/rel are the platform's (see LINK_REL); other values would not validate.
    a: keepAttrsIf({ target: (v) => v === LINK_TARGET, rel: (v) => v === LINK_REL }),
    ol: keepAttrsIf({ start: (v) => /^-?\d{1,6}$/.test(v) }),
    th: cellAttrs,
    td: cellAttrs,
  },
  // Absurdly deep HTML is flattened here instead of overflowing the stack of the parsers after
  // it. The limit is above what any document within RICH_TEXT_MAX_DEPTH renders to (a node is at
  // most two elements, plus the marks around a text).
  nestingLimit: 2 * RICH_TEXT_MAX_DEPTH + 8,
  // Relative image URLs pass the scheme check but are not allowed in documents: drop the image.
  exclusiveFilter: (frame) => frame.tag === 'img' && !isUrlWithScheme(frame.attribs.src, IMAGE_SCHEMES),
};

/** The sanitize-html call used for HTML input (exported for the property test). */
export function sanitizeHtml(html: string): string {
  return sanitize(html, SANITIZE_OPTIONS);
}

/** Sanitises, counting the input's elements (allowed or not) on the way: the sanitiser is linear,
 * the DOM and ProseMirror parsers after it are not cheap, so an oversized input stops here. */
function sanitizeCounted(html: string, path: string): string {
  let elements = 0;
  const sanitised = sanitize(html, {
    ...SANITIZE_OPTIONS,
    onOpenTag: () => {
      elements++;
    },
  });
  if (elements > RICH_TEXT_MAX_NODES) tooLarge(path, `${RICH_TEXT_MAX_NODES.toLocaleString('en-US')} elements`);
  return sanitised;
}

/**
 * One happy-dom window for the whole process, used only to parse HTML into detached elements:
 * parsing is synchronous, so calls never interleave, and nothing is ever attached to its page.
 * (A window per call, as @tiptap/html does, costs more than everything else together.)
 */
const htmlWindow = new Window({
  settings: {
    disableJavaScriptEvaluation: true,
    disableJavaScriptFileLoading: true,
    disableCSSFileLoading: true,
    disableIframePageLoading: true,
    disableComputedStyleRendering: true,
  },
});

/**
 * ProseMirror's parser asks every element whether it matches each rule's selector until one does
 * (about 30 rules, most of them a bare tag name such as `p` or `li`), and happy-dom answers each
 * through its full selector engine: about a quarter of an HTML conversion. A bare tag name matches
 * an HTML element exactly when it is the element's local name (lower case, as are the rules'), so
 * for this window's HTML elements those are answered directly; every other selector (`a[href]`,
 * `img[src]:not(…)`) and every other element still goes to happy-dom. happy-dom's classes are
 * shared by all its windows, hence the document check: other windows (`@tiptap/html`, which the
 * property test compares with) see happy-dom's own answer.
 */
const HTML_NAMESPACE = 'http://www.w3.org/1999/xhtml';
const TAG_NAME_SELECTOR = /^[a-z][a-z0-9]*$/;
const elementProto = htmlWindow.Element.prototype;
const matchesSelector = elementProto.matches;
elementProto.matches = function matches(this: InstanceType<typeof htmlWindow.Element>, selector: string) {
  if (this.ownerDocument === htmlWindow.document && this.namespaceURI === HTML_NAMESPACE)
    if (TAG_NAME_SELECTOR.test(selector)) return this.localName === selector;
  return matchesSelector.call(this, selector);
};

/**
 * The parser also reads every element's `style` (for style rules and `white-space`), and happy-dom
 * builds a CSSStyleDeclaration per element to answer: another fifth of the parse. The sanitiser
 * removes every style attribute, so this window's elements without one share one empty
 * declaration, which reads exactly as theirs would. Nothing writes styles while parsing: the
 * window only parses, and rendering does not use it.
 */
const htmlElementProto = htmlWindow.HTMLElement.prototype;
const styleOf = Object.getOwnPropertyDescriptor(htmlElementProto, 'style')?.get;
if (!styleOf) throw new Error('happy-dom: HTMLElement.prototype.style is not a getter');
const noStyle = styleOf.call(htmlWindow.document.createElement('span'));
Object.defineProperty(htmlElementProto, 'style', {
  configurable: true,
  get(this: InstanceType<typeof htmlWindow.HTMLElement>) {
    return this.ownerDocument === htmlWindow.document && !this.hasAttribute('style') ? noStyle : styleOf.call(this);
  },
});

/** One template element for every parse: parsing is synchronous, and it is emptied after each. */
const template = htmlWindow.document.createElement('template');

/** HTML → sanitised → ProseMirror's HTML parser with the Tiptap rules → validated like any document. */
function fromHtml(html: string, path: string): RichTextDoc {
  try {
    template.innerHTML = sanitizeCounted(html, path);
    const json = domParser.parse(template.content as unknown as globalThis.Node).toJSON();
    return validated(json, path);
  } finally {
    // Up to 10,000 elements: not kept alive until the next parse, nor removed on its time.
    template.innerHTML = '';
  }
}

const markdownToHtml = createMarkdownRenderer(RICH_TEXT_MAX_DEPTH, RICH_TEXT_MAX_NODES);

// ---------------------------------------------------------------------------------------------
// Public API

/**
 * Turns a field value into a validated document. `path` is the field's dot path from the request
 * body root (e.g. 'description' or 'sections.1.lessons.0.content'); every error detail path
 * starts with it.
 *
 * - a document object → validated and returned as given;
 * - a string whose trimmed form starts with `{` → parsed as JSON, then as above;
 * - any other string → HTML (plain text becomes one paragraph; '' becomes Tiptap's empty
 *   document, one empty paragraph — `{ type: 'doc', content: [] }` itself is invalid, as doc
 *   needs at least one block).
 */
export function parseRichText(value: unknown, path: string): RichTextDoc {
  if (typeof value !== 'string') return validated(value, path, true);
  checkStringSize(value, path);
  if (!value.trimStart().startsWith('{')) return fromHtml(value, path);
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    fail(path, [
      { path, message: 'A string starting with { must be a JSON rich-text document.', code: 'invalid_json' },
    ]);
  }
  return validated(parsed, path);
}

/** Same for a `<field>Markdown` string (path e.g. 'contentMarkdown'): GFM → HTML → as HTML. */
export function parseMarkdown(markdownText: string, path: string): RichTextDoc {
  checkStringSize(markdownText, path);
  let html: string;
  try {
    html = markdownToHtml(markdownText);
  } catch (err) {
    if (err instanceof MarkdownLimitError) {
      if (err.code === 'too_large') tooLarge(path, MAX_NODES_TEXT);
      const message = `The Markdown is nested more than ${RICH_TEXT_MAX_DEPTH} levels deep.`;
      fail(path, [{ path, message, code: 'too_deep' }]);
    }
    throw err;
  }
  return fromHtml(html, path);
}

/** Rendered, sanitised HTML of a valid document. */
export function renderRichText(doc: RichTextDoc): string {
  return writeHtml(domSerializer, Node.fromJSON(schema, doc).content);
}

/** Length of the document's plain text: the characters of its text nodes (UTF-16 code units). */
export function plainTextLength(doc: RichTextDoc): number {
  let length = 0;
  const pending: unknown[] = [doc];
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    if (!isObject(node)) continue;
    if (node.type === 'text' && typeof node.text === 'string') length += node.text.length;
    if (Array.isArray(node.content)) pending.push(...node.content);
  }
  return length;
}
