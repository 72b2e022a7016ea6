import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * API key format: `syl_` + 32 base62 chars (≈190 bits) + 6 base62 chars of CRC32 checksum.
 * The checksum lets a typo or a truncated key be rejected without a database look-up, and the
 * prefix makes a leaked key recognisable to secret scanners.
 */
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const PREFIX = 'syl_';
const BODY_LENGTH = 32;
const CHECKSUM_LENGTH = 6;
export const API_KEY_PATTERN = /^syl_[0-9A-Za-z]{38}$/;
/** How much of a key is kept in clear, to tell keys apart in lists. */
const DISPLAY_PREFIX_LENGTH = PREFIX.length + 8;

function toBase62(n: number, width: number): string {
  let out = '';
  for (let i = 0; i < width; i++) {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

function checksum(body: string): string {
  return toBase62(crc32(PREFIX + body), CHECKSUM_LENGTH);
}

export function generateApiKey(): string {
  let body = '';
  for (let i = 0; i < BODY_LENGTH; i++) body += BASE62[randomInt(62)];
  return PREFIX + body + checksum(body);
}

/** Format and checksum only: no I/O. */
export function isWellFormedApiKey(key: string): boolean {
  if (!API_KEY_PATTERN.test(key)) return false;
  const body = key.slice(PREFIX.length, PREFIX.length + BODY_LENGTH);
  const expected = checksum(body);
  const given = key.slice(PREFIX.length + BODY_LENGTH);
  return timingSafeEqual(Buffer.from(expected), Buffer.from(given));
}

/** Keys carry ~190 random bits, so a fast hash is as safe as a slow one and keeps auth cheap. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function apiKeyDisplayPrefix(key: string): string {
  return key.slice(0, DISPLAY_PREFIX_LENGTH);
}

/** Opaque random token for sessions (cookie value); stored hashed like API keys. */
export function generateSessionToken(): string {
  let out = '';
  for (let i = 0; i < 43; i++) out += BASE62[randomInt(62)];
  return out;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
