declare const rawJsonType: unique symbol;
/**
 * JSON text built elsewhere (PostgreSQL's `json_build_object`) that has the shape `T`: services
 * return it for the course documents, HTTP sends the text as it is, MCP and the contract check
 * parse it. The type ties the text to its schema; it is never an untyped string.
 */
export type RawJson<T> = { readonly text: string; readonly [rawJsonType]?: T };
const RAW_JSON = Symbol('rawJson');
export const rawJson = <T>(text: string): RawJson<T> => ({ text, [RAW_JSON]: true }) as RawJson<T>;
export const isRawJson = (value: unknown): value is RawJson<unknown> =>
  typeof value === 'object' && value !== null && RAW_JSON in value;
/** The value, parsed (for adapters that need an object, e.g. to trim sparse fieldsets). */
export const parseRawJson = <T>(value: RawJson<T>): T => JSON.parse(value.text) as T;
