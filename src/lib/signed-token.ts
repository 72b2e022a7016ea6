import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppError } from './errors.js';

/**
 * Compact signed tokens for upload and download URLs: base64url(JSON payload) + "." + HMAC-SHA256.
 * The payload carries its own expiry (`exp`, ms) and purpose (`use`), so a download token cannot
 * be replayed as an upload token.
 */
export function signToken(secret: string, payload: Record<string, unknown> & { exp: number; use: string }): string {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

export function verifyToken<T extends { exp: number; use: string }>(
  secret: string,
  token: string,
  use: string,
  now = Date.now(),
): T {
  const [body, sig] = token.split('.');
  // Compared as canonical strings: a re-encoding of the same bytes is not accepted either.
  const expected = Buffer.from(body ? createHmac('sha256', secret).update(body).digest('base64url') : '');
  const given = Buffer.from(sig ?? '');
  if (!body || given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new AppError('unauthorized', 'This link is not valid (bad signature).');
  }
  const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as T;
  if (payload.use !== use) throw new AppError('unauthorized', 'This link is not valid here.');
  if (payload.exp <= now) throw new AppError('unauthorized', 'This link has expired.');
  return payload;
}
