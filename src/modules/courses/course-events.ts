/**
 * What the course aggregate's events carry (API.md §2 Webhooks and events): `data.object` is the
 * resource as its GET returns it (the presenters' JSON text, passed through), and on updates
 * `previousAttributes` holds the fields that changed, with their old values.
 */
import { type RawJson, rawJson } from '../../lib/raw-json.js';
import type { EventType } from '../events/events.schemas.js';
import type { RecordEvent } from '../events/events.service.js';

/** Bookkeeping and embedded children: never a "changed attribute" of their own. */
const NOT_ATTRIBUTES = new Set(['updatedAt', 'lessons', 'sections', 'unsectionedLessons']);

/**
 * The attributes of `after` whose value differs from `before`, with their `before` values; empty
 * when nothing the API shows changed (then no event is written).
 */
export function previousAttributes(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  ignore: readonly string[] = [],
): Record<string, unknown> {
  const changed: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (NOT_ATTRIBUTES.has(key) || ignore.includes(key)) continue;
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) changed[key] = before[key] ?? null;
  }
  return changed;
}

export const isEmpty = (o: Record<string, unknown>) => Object.keys(o).length === 0;

/** A presenter's JSON text as an event object, and parsed for comparing. */
export const objectOf = (json: string): RawJson<unknown> => rawJson(json);
export const parsed = (json: string) => JSON.parse(json) as Record<string, unknown>;

/**
 * The `<part>.updated` (or archived) event of a part whose GET JSON went from `beforeJson` to
 * `after`, or none when nothing the API shows changed.
 */
export function changeEvents(
  schoolId: string,
  type: EventType,
  beforeJson: string,
  after: RawJson<unknown>,
): RecordEvent[] {
  const changed = previousAttributes(parsed(beforeJson), parsed(after.text));
  return isEmpty(changed) ? [] : [{ schoolId, type, object: after, previousAttributes: changed }];
}
