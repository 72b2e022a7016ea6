/**
 * `syllabus export <courseId|externalId> [--format md|json] [--out FILE]`: the course as the
 * document sync takes (JSON) or as a Markdown course file, so export → import changes nothing.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { renderMarkdownCourse } from '../modules/courses/markdown-course.js';
import { type Target, UsageError } from './target.js';

export type ExportOutput = { json: unknown; text: string; exitCode: number; warnings: string[] };

export async function runExport(
  ref: string,
  options: { format: 'md' | 'json'; out?: string | undefined; open: () => Promise<Target> },
): Promise<ExportOutput> {
  const target = await options.open();
  let content: string;
  const warnings: string[] = [];
  let courseId: string;
  let externalId: string | null;
  try {
    const found = await target.findCourse(ref);
    if (!found) throw new Error(`No course with the id or externalId '${ref}' in ${target.label}.`);
    courseId = found;
    const doc = await target.exportCourse(courseId);
    externalId = doc.externalId;
    if (options.format === 'json') content = `${JSON.stringify(doc, null, 2)}\n`;
    else {
      // The rich-text stack is loaded only here: import does not need it.
      const { richTextCodec } = await import('../lib/richtext-markdown.js');
      content = renderMarkdownCourse(doc, richTextCodec);
    }
    if (!doc.externalId)
      warnings.push(
        `The course ${courseId} has no externalId: add one (externalId: … in the front matter) before importing the file, or the import is refused.`,
      );
  } finally {
    await target.close();
  }
  if (options.out) {
    // Written next to the target and renamed over it: a failed export never leaves half a file.
    const tmp = path.join(path.dirname(options.out), `.${path.basename(options.out)}.${process.pid}.tmp`);
    await fs.writeFile(tmp, content);
    await fs.rename(tmp, options.out);
  }
  return {
    json: {
      courseId,
      externalId,
      format: options.format,
      ...(options.out ? { file: options.out } : { content }),
      warnings,
    },
    text: options.out ? `Wrote ${options.out} (course ${externalId ?? courseId}).` : content.replace(/\n$/, ''),
    exitCode: 0,
    warnings,
  };
}

export function exportFormat(value: string | undefined): 'md' | 'json' {
  if (value === undefined || value === 'md' || value === 'markdown') return 'md';
  if (value === 'json') return 'json';
  throw new UsageError(`--format is md or json (got '${value}').`);
}
