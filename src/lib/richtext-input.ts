import { z } from 'zod';
import { RICH_TEXT_MAX_BYTES, RICH_TEXT_MAX_NODES } from './richtext.js';
import { limitIssue } from './validation.js';

/**
 * Request-schema fields for rich text and Markdown. A string over the size limit is refused while
 * the body is validated, with the same code and message the rich-text library gives (which also
 * measures document objects, by their text content, and counts nodes when it converts).
 */

const MAX = RICH_TEXT_MAX_BYTES.toLocaleString('en-US');
const TOO_LARGE = `The rich text is larger than ${MAX} bytes.`;

/** Whether a string is over the rich-text size limit, in UTF-8 bytes as sent. */
export function overRichTextLimit(text: string): boolean {
  // A UTF-16 unit is at most 3 bytes of UTF-8: only long strings need counting.
  return text.length * 3 > RICH_TEXT_MAX_BYTES && Buffer.byteLength(text, 'utf8') > RICH_TEXT_MAX_BYTES;
}

/** Markdown, converted by the service (`code: too_large` over the limit). */
export const MarkdownText = z
  .string()
  .superRefine((text, ctx) => {
    if (overRichTextLimit(text)) limitIssue(ctx, 'too_large', TOO_LARGE);
  })
  .meta({ description: `Markdown (rendered and sanitised); at most ${MAX} bytes of UTF-8 (code too_large).` });

/** A Tiptap document, that document as a JSON string, or HTML; converted by the service. */
export const RichTextInput = z
  .unknown()
  .superRefine((value, ctx) => {
    if (typeof value === 'string' && overRichTextLimit(value)) limitIssue(ctx, 'too_large', TOO_LARGE);
  })
  .meta({
    description: `Tiptap/ProseMirror document, its JSON string, or HTML (sanitised); at most ${MAX} bytes of UTF-8 as sent for a string (HTML or JSON), ${MAX} bytes of text content for a document object (so any stored document, as GET and export return it, can be sent back), and ${RICH_TEXT_MAX_NODES.toLocaleString('en-US')} nodes (code too_large).`,
  });
