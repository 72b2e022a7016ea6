/**
 * Group commit for writes that serialise on one row lock (a course's curriculum: the course row).
 *
 * With the lock held until COMMIT returns, and COMMIT waiting for the WAL flush, writes to one
 * course could never go faster than one flush each. Here writes for one key share transactions:
 * a write that finds no transaction gathering for its key opens one, which asks for the lock at
 * once; every write for that key that arrives until the lock is granted joins it. `write` then gets
 * all of their inputs (so it can place them in one statement) and one COMMIT ends them all.
 *
 * While one transaction holds the lock, the next is already open and waiting for it inside
 * PostgreSQL, which hands the lock over the moment COMMIT ends: no round trip between the two. A
 * lone write waits for nothing. A key holds at most two connections (one holding the lock, one
 * waiting for it), and the second only while the pool has connections to spare; writes beyond a
 * full waiting batch wait in memory. Batches keep arrival order among themselves.
 *
 * `write` must give each input the result it would have had alone, after the ones before it. If
 * `lock` fails (no such course, no connection), every write of the batch gets that error. If
 * `write` fails, the transaction is rolled back and each input runs again alone in its own
 * transaction, so one failing write gets its own error and never fails another. `write` must
 * therefore be safe to run twice (everything it does is in the transaction) and should report
 * expected outcomes (e.g. "no such section") by its results, not by throwing.
 *
 * Per process: several server processes still serialise on the row lock itself.
 */
import type pg from 'pg';
import type { Db, Tx } from './client.js';

/** At most this many writes share a transaction, so one batch holds the lock for a bounded time. */
const MAX_BATCH = 50;

type Write<In, Out> = { input: In; resolve: (value: Out) => void; reject: (err: unknown) => void };

type KeyState<In, Out> = {
  /** Transactions of this key that are open (at most two). */
  open: number;
  /** The writes of the open transaction that waits for the lock, if any. */
  gathering: Write<In, Out>[] | undefined;
  /** Writes waiting in memory for a transaction. */
  backlog: Write<In, Out>[];
};

export function createGroupCommit<In, Out>(
  db: Db,
  steps: {
    /** Takes the key's lock (the first input says which); may throw, e.g. "no such course". */
    lock: (tx: Tx, first: In) => Promise<void>;
    /** The writes, in arrival order, under the lock; one result for each input. */
    write: (tx: Tx, inputs: In[]) => Promise<Out[]>;
  },
) {
  const keys = new Map<string, KeyState<In, Out>>();
  const pool = (db as unknown as { $client: pg.Pool }).$client;

  /** A second connection for one key only when others are left over for everything else. */
  const spare = () => pool.waitingCount === 0 && pool.idleCount + ((pool.options.max ?? 10) - pool.totalCount) >= 2;

  /** Opens the key's next transaction when one may be opened. */
  function pump(key: string, state: KeyState<In, Out>) {
    if (state.gathering || state.backlog.length === 0) {
      if (state.open === 0 && !state.gathering) keys.delete(key);
      return;
    }
    if (state.open >= 2 || (state.open === 1 && !spare())) return;
    const batch = state.backlog.splice(0, MAX_BATCH);
    state.gathering = batch;
    state.open++;
    void run(key, state, batch);
  }

  async function run(key: string, state: KeyState<In, Out>, batch: Write<In, Out>[]) {
    let locked = false;
    try {
      const results = await db.transaction(async (tx) => {
        try {
          await steps.lock(tx, batch[0]!.input);
          locked = true;
        } finally {
          // Later writes go to the next transaction, which may already open and wait for the lock.
          if (state.gathering === batch) state.gathering = undefined;
          pump(key, state);
        }
        return writeAll(
          tx,
          batch.map((w) => w.input),
        );
      });
      for (const [i, write] of batch.entries()) write.resolve(results[i] as Out);
    } catch (err) {
      if (state.gathering === batch) state.gathering = undefined;
      // Nothing was written yet (no such course, no connection): the same answer for every write.
      if (!locked || batch.length === 1) for (const write of batch) write.reject(err);
      else for (const write of batch) await runAlone(write);
    } finally {
      state.open--;
      pump(key, state);
    }
  }

  /** The write step, checked to answer for every input (never `undefined` for a committed write). */
  async function writeAll(tx: Tx, inputs: In[]): Promise<Out[]> {
    const out = await steps.write(tx, inputs);
    if (out.length !== inputs.length) throw new Error('group commit: one result per input expected');
    return out;
  }

  async function runAlone(write: Write<In, Out>) {
    try {
      const [result] = await db.transaction(async (tx) => {
        await steps.lock(tx, write.input);
        return writeAll(tx, [write.input]);
      });
      write.resolve(result as Out);
    } catch (err) {
      write.reject(err);
    }
  }

  /** Runs `input` in a transaction for `key`; resolves with its result after COMMIT. */
  return function write(key: string, input: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      const entry = { input, resolve, reject };
      let state = keys.get(key);
      if (!state) {
        state = { open: 0, gathering: undefined, backlog: [] };
        keys.set(key, state);
      }
      if (state.gathering && state.gathering.length < MAX_BATCH) {
        state.gathering.push(entry);
        return;
      }
      state.backlog.push(entry);
      pump(key, state);
    });
  };
}
