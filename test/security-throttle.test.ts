/**
 * Guessing is throttled (API.md §1 Auth, issue 11): failed authentications per address before any
 * look-up, logins per address and per account with growing delays, IPv6 by /64, and a client
 * address that only trusted proxies can name.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { generateApiKey } from '../src/lib/api-keys.js';
import { addressKey } from '../src/lib/throttle.js';
import { call, createSchool, setupApp } from './helpers.js';

const from = (remoteAddress: string, extra: Record<string, unknown> = {}) => ({ remoteAddress, ...extra });

describe('failed authentications per address', async () => {
  const ctx = await setupApp({ env: { AUTH_FAILURES_PER_MINUTE: '5' } });
  const school = await createSchool(ctx);

  it('a flood of bad keys gets 429 with Retry-After, and the refused ones cost no database look-up', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await call(ctx.app, 'GET', '/api/v1/courses', { key: generateApiKey(), ...from('198.51.100.7') });
      expect(res.statusCode).toBe(401);
    }
    const before = ctx.database.queryCount();
    const blocked = await call(ctx.app, 'GET', '/api/v1/courses', { key: generateApiKey(), ...from('198.51.100.7') });
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json().error).toBe('rate_limited');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(ctx.database.queryCount()).toBe(before);
    // Even a valid key waits: the address is refused before its credentials are looked at.
    const valid = await call(ctx.app, 'GET', '/api/v1/courses', { key: school.key, ...from('198.51.100.7') });
    expect(valid.statusCode).toBe(429);
    // Another address is not affected.
    const other = await call(ctx.app, 'GET', '/api/v1/courses', { key: school.key, ...from('198.51.100.8') });
    expect(other.statusCode).toBe(200);
  });

  it('bad session cookies and malformed keys count too; requests with no credentials do not', async () => {
    const ip = '198.51.100.20';
    for (let i = 0; i < 10; i++) {
      expect((await call(ctx.app, 'GET', '/api/v1/courses', from(ip))).statusCode).toBe(401);
    }
    expect((await call(ctx.app, 'GET', '/api/v1/courses', { key: school.key, ...from(ip) })).statusCode).toBe(200);
    for (let i = 0; i < 3; i++) {
      expect((await call(ctx.app, 'GET', '/api/v1/courses', { key: 'syl_typo', ...from(ip) })).statusCode).toBe(401);
    }
    for (let i = 0; i < 2; i++) {
      const res = await call(ctx.app, 'GET', '/api/v1/auth/me', {
        headers: { cookie: 'syllabus_session=forged' },
        ...from(ip),
      });
      expect(res.statusCode).toBe(401);
    }
    expect((await call(ctx.app, 'GET', '/api/v1/courses', { key: school.key, ...from(ip) })).statusCode).toBe(429);
  });
});

describe('login', async () => {
  const ctx = await setupApp({ env: { LOGIN_ATTEMPTS_PER_MINUTE: '100' } });
  const login = (email: string, password: string, ip: string) =>
    call(ctx.app, 'POST', '/api/v1/auth/login', { body: { email, password }, ...from(ip) });

  it('an account gets growing delays after 5 failures, from any address, even for the right password', async () => {
    const s = await createSchool(ctx);
    for (let i = 0; i < 6; i++)
      expect((await login(s.ownerEmail, 'wrong password', `203.0.113.${i}`)).statusCode).toBe(401);
    // The sixth failure locked the account for 1 s: the right password from a new address waits too.
    const locked = await login(s.ownerEmail.toUpperCase(), s.password, '203.0.113.50');
    expect(locked.statusCode).toBe(429);
    expect(locked.json().error).toBe('rate_limited');
    expect(locked.headers['retry-after']).toBe('1');
    expect(locked.headers['set-cookie']).toBeUndefined();
    await new Promise((r) => setTimeout(r, 1100));
    expect((await login(s.ownerEmail, 'wrong again', '203.0.113.51')).statusCode).toBe(401);
    // The seventh failure doubled the delay.
    expect((await login(s.ownerEmail, s.password, '203.0.113.52')).headers['retry-after']).toBe('2');
    await new Promise((r) => setTimeout(r, 2100));
    expect((await login(s.ownerEmail, s.password, '203.0.113.53')).statusCode).toBe(200);
    // Success clears the account's failures: one more failure does not lock it.
    expect((await login(s.ownerEmail, 'wrong', '203.0.113.54')).statusCode).toBe(401);
    expect((await login(s.ownerEmail, s.password, '203.0.113.55')).statusCode).toBe(200);
  });

  it('unknown accounts are throttled the same way (no hint that an email exists)', async () => {
    for (let i = 0; i < 6; i++) {
      expect((await login('nobody@example.com', 'x', `203.0.114.${i}`)).statusCode).toBe(401);
    }
    expect((await login('nobody@example.com', 'x', '203.0.114.99')).statusCode).toBe(429);
  });
});

describe('login attempts per address', async () => {
  const ctx = await setupApp({ env: { LOGIN_ATTEMPTS_PER_MINUTE: '3' } });
  const s = await createSchool(ctx);
  const login = (ip: string) =>
    call(ctx.app, 'POST', '/api/v1/auth/login', { body: { email: s.ownerEmail, password: s.password }, ...from(ip) });

  it('an address gets 3 attempts a minute; IPv6 counts by /64', async () => {
    for (let i = 0; i < 3; i++) expect((await login(`2001:db8:1:2::${i + 1}`)).statusCode).toBe(200);
    const refused = await login('2001:db8:1:2:ffff:ffff:ffff:ffff');
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await login('2001:db8:1:3::1')).statusCode).toBe(200);
  });
});

describe('client address behind proxies', () => {
  it('a forged X-Forwarded-For from a peer that is not a trusted proxy changes nothing', async () => {
    const ctx = await setupApp({ env: { LOGIN_ATTEMPTS_PER_MINUTE: '2', TRUST_PROXY: '10.0.0.1' } });
    const s = await createSchool(ctx);
    const login = (remoteAddress: string, forwarded: string) =>
      call(ctx.app, 'POST', '/api/v1/auth/login', {
        body: { email: s.ownerEmail, password: s.password },
        headers: { 'x-forwarded-for': forwarded },
        remoteAddress,
      });
    // A client talking directly names a new address each time: still one budget.
    expect((await login('198.51.100.1', '1.1.1.1')).statusCode).toBe(200);
    expect((await login('198.51.100.1', '2.2.2.2')).statusCode).toBe(200);
    expect((await login('198.51.100.1', '3.3.3.3')).statusCode).toBe(429);
    // Through the trusted proxy the forwarded address is the client's.
    expect((await login('10.0.0.1', '198.51.100.9')).statusCode).toBe(200);
    expect((await login('10.0.0.1', '198.51.100.10')).statusCode).toBe(200);
  });

  it('with a hop count only the proxy-appended address counts, not what the client wrote first', async () => {
    const ctx = await setupApp({ env: { LOGIN_ATTEMPTS_PER_MINUTE: '2', TRUST_PROXY: '1' } });
    const s = await createSchool(ctx);
    const login = (forwarded: string) =>
      call(ctx.app, 'POST', '/api/v1/auth/login', {
        body: { email: s.ownerEmail, password: s.password },
        headers: { 'x-forwarded-for': forwarded },
        remoteAddress: '10.0.0.1',
      });
    expect((await login('6.6.6.1, 198.51.100.3')).statusCode).toBe(200);
    expect((await login('6.6.6.2, 198.51.100.3')).statusCode).toBe(200);
    expect((await login('6.6.6.3, 198.51.100.3')).statusCode).toBe(429);
  });

  it('TRUST_PROXY=true is refused: it would let any client name its own address', () => {
    expect(() => loadConfig({ TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY/);
    expect(() => loadConfig({ TRUST_PROXY: 'proxy.example.com' })).toThrow(/TRUST_PROXY/);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.1, 10.1.0.0/16' }).trustProxy).toBe('10.0.0.1, 10.1.0.0/16');
  });

  it('address keys: IPv4 as is, IPv4-mapped IPv6 as IPv4, IPv6 by /64', () => {
    expect(addressKey('198.51.100.7')).toBe('198.51.100.7');
    expect(addressKey('::ffff:198.51.100.7')).toBe('198.51.100.7');
    expect(addressKey('2001:db8:1:2::1')).toBe(addressKey('2001:db8:1:2:ffff::9'));
    expect(addressKey('2001:db8:1:2::1')).not.toBe(addressKey('2001:db8:1:3::1'));
  });
});

describe('certificate verification per address', async () => {
  const ctx = await setupApp({ env: { VERIFY_PER_MINUTE: '3' } });

  it('GET /verify/{code} has its own lower per-address budget', async () => {
    for (let i = 0; i < 3; i++) {
      expect((await call(ctx.app, 'GET', `/api/v1/verify/guess${i}`, from('198.51.100.40'))).statusCode).toBe(404);
    }
    const refused = await call(ctx.app, 'GET', '/api/v1/verify/guess9', from('198.51.100.40'));
    expect(refused.statusCode).toBe(429);
    expect(refused.json().message).toContain('certificate look-ups');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await call(ctx.app, 'GET', '/api/v1/verify/guess9', from('198.51.100.41'))).statusCode).toBe(404);
  });
});
