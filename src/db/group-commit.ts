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
 * lone write waits for nothing.
 *
 * `write` must give each input the result it would have had alone, after the ones before it. If
 * the shared transaction fails, it is rolled back and each input runs again alone in its own
 * transaction, so one failing write gets its own error and never fails another. `write` must
 * therefore be safe to run twice (everything it does is in the transaction) and should report
 * expected outcomes (e.g. "no such section") by its results, not by throwing.
 *
 * Per process: several server processes still serialise on the row lock itself.
 */
import type { Db, Tx } from './client.js';

/** At most this many writes share a transaction, so one batch holds the lock for a bounded time. */
const MAX_BATCH = 50;

type Write<In, Out> = { input: In; resolve: (value: Out) => void; reject: (err: unknown) => void };

export function createGroupCommit<In, Out>(
  db: Db,
  steps: {
    /** Takes the key's lock (the first input says which); may throw, e.g. "no such course". */
    lock: (tx: Tx, first: In) => Promise<void>;
    /** The writes, in arrival order, under the lock; one result for each input. */
    write: (tx: Tx, inputs: In[]) => Promise<Out[]>;
  },
) {
  /** Per key, the writes of the transaction that is waiting for the lock (at most one). */
  const gathering = new Map<string, Write<In, Out>[]>();

  /** Later writes go to the next transaction. */
  function close(key: string, batch: Write<In, Out>[]) {
    if (gathering.get(key) === batch) gathering.delete(key);
  }

  async function run(key: string, batch: Write<In, Out>[]) {
    try {
      const results = await db.transaction(async (tx) => {
        try {
          await steps.lock(tx, batch[0]!.input);
        } finally {
          close(key, batch);
        }
        return steps.write(
          tx,
          batch.map((w) => w.input),
        );
      });
      for (const [i, write] of batch.entries()) write.resolve(results[i] as Out);
    } catch (err) {
      close(key, batch);
      if (batch.length === 1) batch[0]!.reject(err);
      else for (const write of batch) await runAlone(write);
    }
  }

  async function runAlone(write: Write<In, Out>) {
    try {
      const [result] = await db.transaction(async (tx) => {
        await steps.lock(tx, write.input);
        return steps.write(tx, [write.input]);
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
      const batch = gathering.get(key);
      if (batch && batch.length < MAX_BATCH) {
        batch.push(entry);
        return;
      }
      const fresh = [entry];
      gathering.set(key, fresh);
      void run(key, fresh);
    });
  };
}
