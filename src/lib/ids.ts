import { randomBytes } from 'node:crypto';

/** Every id prefix in the API, in one typed map (API.md §1 Ids). */
export const ID_PREFIXES = {
  school: 'sch',
  apiKey: 'key',
  learnerToken: 'ltk',
  session: 'ses',
  course: 'crs',
  section: 'sec',
  lesson: 'les',
  paymentPlan: 'pln',
  media: 'med',
  user: 'usr',
  enrollment: 'enr',
  certificate: 'crt',
  category: 'cat',
  community: 'com',
  thread: 'thr',
  comment: 'cmt',
  communityMedia: 'cmm',
  webhook: 'whk',
  quizAttempt: 'qza',
  tag: 'tag',
  event: 'evt',
  webhookDelivery: 'dlv',
  request: 'req',
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

// Crockford base32: its alphabet is in ASCII order, so ids sort by creation time as strings.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function encodeTime(ms: number): string {
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[ms % 32] + out;
    ms = Math.floor(ms / 32);
  }
  return out;
}

// Random bytes are drawn 4 KB at a time (as Node does for randomUUID): one call per id cost about
// 10 µs, which a nested import's thousand event ids paid in one turn of the event loop.
const RANDOM_POOL_BYTES = 4096;
let randomPool = Buffer.alloc(0);
let randomPoolAt = 0;

function encodeRandom(length: number): string {
  if (randomPoolAt + length > randomPool.length) {
    randomPool = randomBytes(RANDOM_POOL_BYTES);
    randomPoolAt = 0;
  }
  let out = '';
  for (let i = randomPoolAt; i < randomPoolAt + length; i++) out += ALPHABET[randomPool[i]! & 31];
  randomPoolAt += length;
  return out;
}

/** A new id: `<prefix>_` + 10 chars of millisecond time + 16 random chars (80 bits), e.g. `crs_01JD3…`. */
export function newId(kind: IdKind, now = Date.now()): string {
  return `${ID_PREFIXES[kind]}_${encodeTime(now)}${encodeRandom(16)}`;
}

/** True when the string is shaped like an id of that kind (used to answer 404 early without a query). */
export function isId(kind: IdKind, value: string): boolean {
  return value.length === ID_PREFIXES[kind].length + 27 && value.startsWith(`${ID_PREFIXES[kind]}_`);
}
