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

/**
 * A checksummed token format: `prefix` + 32 base62 chars + 6 base62 chars of CRC32 over prefix and
 * body. API keys (`syl_`) and learner tokens (`slt_`) share it: both are recognisable by their
 * prefix and a typo is rejected before any database look-up.
 */
export function checksummedFormat(prefix: string) {
  const pattern = new RegExp(`^${prefix}[0-9A-Za-z]{${BODY_LENGTH + CHECKSUM_LENGTH}}$`);
  const checksum = (body: string) => toBase62(crc32(prefix + body), CHECKSUM_LENGTH);
  return {
    pattern,
    generate(): string {
      let body = '';
      for (let i = 0; i < BODY_LENGTH; i++) body += BASE62[randomInt(62)];
      return prefix + body + checksum(body);
    },
    /** Format and checksum only: no I/O. */
    isWellFormed(token: string): boolean {
      if (!pattern.test(token)) return false;
      const body = token.slice(prefix.length, prefix.length + BODY_LENGTH);
      const given = token.slice(prefix.length + BODY_LENGTH);
      return timingSafeEqual(Buffer.from(checksum(body)), Buffer.from(given));
    },
  };
}

const apiKeyFormat = checksummedFormat(PREFIX);

export function generateApiKey(): string {
  return apiKeyFormat.generate();
}

/** Format and checksum only: no I/O. */
export function isWellFormedApiKey(key: string): boolean {
  return apiKeyFormat.isWellFormed(key);
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
