/**
 * Brute-force defences that the per-key rate limit cannot give (API.md §1 Auth): failed
 * authentications per client address, login attempts per address and per account with growing
 * delays after failures, and the public certificate check per address. Counters live in Redis
 * when REDIS_URL is set (every instance shares them), in memory otherwise.
 */

import type { Redis } from 'ioredis';
import ipaddr from 'ipaddr.js';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from './errors.js';

/** Per-address budgets per minute; the operator sets them (config: AUTH_FAILURES_PER_MINUTE …). */
export type ThrottleLimits = {
  /** Presented credentials (key or session) that fail authentication; then 429 until the minute ends. */
  failedAuthPerMinute: number;
  /** Login attempts, whatever their outcome. */
  loginPerMinute: number;
  /** Public certificate look-ups (below the general limit). */
  verifyPerMinute: number;
};

/** The fixed parts of the login delays (documented in docs/security.md). */
export const LOGIN_DELAYS = {
  /** Failed logins of one account (or from one address) allowed before delays start. */
  freeLoginFailures: { account: 5, address: 20 },
  /** After that, each failure doubles the wait (1 s, 2 s, 4 s …) up to this many seconds. */
  maxLoginDelaySeconds: 15 * 60,
  /** Failures are counted over a day (a fixed window from the first failure). */
  failureMemorySeconds: 24 * 3600,
} as const;

/**
 * The key that identifies a client address: an IPv4 address as it is, an IPv6 address by its /64
 * (one subscriber usually holds a whole /64, so counting single IPv6 addresses is no limit at all).
 */
export function addressKey(ip: string): string {
  if (!ipaddr.isValid(ip)) return ip;
  const parsed = ipaddr.process(ip); // IPv4-mapped IPv6 becomes IPv4
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const parts = (parsed as ipaddr.IPv6).parts.slice(0, 4);
  return `${parts.map((p) => p.toString(16)).join(':')}::/64`;
}

function tooMany(message: string, msBeforeNext: number): AppError {
  const seconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
  return new AppError('rate_limited', `${message} Retry in ${seconds} s.`, undefined, {
    'retry-after': String(seconds),
  });
}

export function createThrottle({ limits, redis }: { limits: ThrottleLimits; redis?: Redis | undefined }) {
  const limiter = (keyPrefix: string, points: number, duration: number): RateLimiterAbstract =>
    redis
      ? new RateLimiterRedis({ storeClient: redis, keyPrefix: `syllabus-${keyPrefix}`, points, duration })
      : new RateLimiterMemory({ keyPrefix, points, duration });

  const failedAuth = limiter('auth-fail', limits.failedAuthPerMinute, 60);
  const loginAttempts = limiter('login-ip', limits.loginPerMinute, 60);
  // Failures are counted (no limit of their own) and turned into a lock that grows with the count.
  const loginFailures = limiter('login-fail', 1_000_000, LOGIN_DELAYS.failureMemorySeconds);
  const loginLock = limiter('login-lock', 1, LOGIN_DELAYS.maxLoginDelaySeconds);
  const verify = limiter('verify', limits.verifyPerMinute, 60);

  /** Consumes a point; a refusal becomes 429 with Retry-After. */
  async function take(l: RateLimiterAbstract, key: string, message: string) {
    try {
      await l.consume(key);
    } catch (res) {
      if (res instanceof RateLimiterRes) throw tooMany(message, res.msBeforeNext);
      throw res;
    }
  }

  async function assertUnlocked(key: string) {
    const res = await loginLock.get(key);
    if (res && res.consumedPoints > 1) {
      throw tooMany('Too many failed logins; wait before trying again.', res.msBeforeNext);
    }
  }

  async function fail(key: string, free: number) {
    const res = await loginFailures.penalty(key, 1);
    const over = res.consumedPoints - free;
    if (over > 0) await loginLock.block(key, Math.min(2 ** (over - 1), LOGIN_DELAYS.maxLoginDelaySeconds));
  }

  const accountKey = (email: string) => `account:${email.trim().toLowerCase()}`;
  const addrKey = (ip: string) => `address:${addressKey(ip)}`;

  return {
    /** Before any look-up of a presented credential: refuses an address that failed too often. */
    async assertMayAuthenticate(ip: string) {
      const res = await failedAuth.get(addressKey(ip));
      if (res && res.consumedPoints >= limits.failedAuthPerMinute) {
        throw tooMany('Too many failed authentications from this address.', res.msBeforeNext);
      }
    },
    async authenticationFailed(ip: string) {
      await failedAuth.penalty(addressKey(ip), 1);
    },

    /** Before a password is checked: the address's attempt budget and both locks. */
    async beforeLogin(ip: string, email: string) {
      await take(loginAttempts, addressKey(ip), 'Too many login attempts from this address.');
      await assertUnlocked(addrKey(ip));
      await assertUnlocked(accountKey(email));
    },
    async loginFailed(ip: string, email: string) {
      await fail(accountKey(email), LOGIN_DELAYS.freeLoginFailures.account);
      await fail(addrKey(ip), LOGIN_DELAYS.freeLoginFailures.address);
    },
    /** A correct password clears the account's failures (not the address's: others may share it). */
    async loginSucceeded(email: string) {
      await loginFailures.delete(accountKey(email));
    },

    async beforeVerify(ip: string) {
      await take(verify, addressKey(ip), 'Too many certificate look-ups from this address.');
    },
  };
}
export type Throttle = ReturnType<typeof createThrottle>;
