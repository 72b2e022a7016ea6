/**
 * The key cache cannot re-cache a key revoked while its look-up was in flight (issue 11). The
 * look-up is held open at a gate (the repo function is wrapped), the key is revoked meanwhile,
 * then the look-up completes: the next request must be refused, not served from the cache.
 */
import { describe, expect, it, vi } from 'vitest';
import { AUTH_CHANNEL } from '../src/modules/api-keys/api-keys.repo.js';
import { call, createKey, createSchool, setupApp } from './helpers.js';

type Gate = { reached: () => void; release: Promise<void> };
const gate = vi.hoisted(() => ({ next: null as Gate | null }));

vi.mock('../src/modules/api-keys/api-keys.repo.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/modules/api-keys/api-keys.repo.js')>();
  return {
    ...real,
    /** The real look-up; when a gate is set, its answer waits there before it is returned. */
    async findApiKeyByHash(...args: Parameters<typeof real.findApiKeyByHash>) {
      const found = await real.findApiKeyByHash(...args);
      const held = gate.next;
      if (held) {
        gate.next = null;
        held.reached();
        await held.release;
      }
      return found;
    },
  };
});

const ctx = await setupApp();
const A = await createSchool(ctx);

/** Every revocation notification this instance receives (the cache's own eviction signal). */
const notified: string[] = [];
ctx.database.notifier.subscribe(AUTH_CHANNEL, { onMessage: (target) => notified.push(target), onReset: () => {} });
async function notificationOf(target: string) {
  for (let i = 0; i < 200 && !notified.includes(target); i++) await new Promise((r) => setTimeout(r, 10));
  expect(notified).toContain(target);
}

/** Holds the next key look-up after it has read the database, until `release` is called. */
function holdNextLookUp() {
  let release!: () => void;
  let reached!: () => void;
  const atGate = new Promise<void>((r) => {
    reached = r;
  });
  gate.next = { reached, release: new Promise<void>((r) => (release = r)) };
  return { atGate, release };
}

describe('key cache and revocation racing', () => {
  it('a completed look-up is cached: the next request costs no key query (the cache this guards)', async () => {
    const key = await createKey(ctx, A.id, ['*']);
    const held = holdNextLookUp();
    const first = call(ctx.app, 'GET', '/api/v1/categories', { key: key.key });
    await held.atGate;
    held.release();
    expect((await first).statusCode).toBe(200);
    const before = ctx.database.queryCount();
    expect((await call(ctx.app, 'GET', '/api/v1/categories', { key: key.key })).statusCode).toBe(200);
    expect(ctx.database.queryCount() - before).toBe(1); // the page only
  });

  it('a key revoked while its look-up was in flight is refused on the next request', async () => {
    const key = await createKey(ctx, A.id, ['*']);
    const held = holdNextLookUp();
    const inFlight = call(ctx.app, 'GET', '/api/v1/categories', { key: key.key });
    await held.atGate; // the look-up has read the key, not yet revoked
    await ctx.services.apiKeys.revoke(A.id, key.id);
    // Every eviction, local and by notification, has happened before the look-up returns.
    await notificationOf(`key:${key.id}`);
    held.release();
    // It began before the revocation; it may finish, but must not leave the key cached.
    expect((await inFlight).statusCode).toBe(200);
    const next = await call(ctx.app, 'GET', '/api/v1/categories', { key: key.key });
    expect(next.statusCode).toBe(401);
    expect(next.json().message).toMatch(/revoked/);
  });
});
