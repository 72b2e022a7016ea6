/**
 * Group commit for writes that serialise on one row lock (a course's curriculum: the course row).
 *
 * With the lock held until COMMIT returns, and COMMIT waiting for the WAL flush, writes to one
 * course could never go faster than one flush each. Here the writes for one key that arrive while
 * a transaction for that key is running wait, then share the next transaction: its `begin` (which
 * takes the lock) once, each write's statements in arrival order, one COMMIT for all. A write that
 * arrives when nothing is running starts at once, so a lone write waits for nothing.
 *
 * Every write sees the ones before it, as if they had run one after another. If anything throws,
 * the shared transaction is rolled back and each of its writes runs again alone in its own
 * transaction, so one failing write gets its own error and never fails another. Writes must
 * therefore be safe to run twice (everything they do is in the transaction) and should report
 * expected outcomes (e.g. "no such section") by their result, not by throwing.
 *
 * Per process: several server processes still serialise on the row lock itself.
 */
import type { Db, Tx } from './client.js';

/** At most this many writes share a transaction, so one batch holds the lock for a bounded time. */
const MAX_BATCH = 50;

type Write = {
  begin: (tx: Tx) => Promise<void>;
  run: (tx: Tx) => Promise<unknown>;
  end: ((tx: Tx, results: unknown[]) => Promise<void>) | undefined;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
};

export function createGroupCommit(db: Db) {
  /** Writes waiting per key; a key is present while a transaction for it is running. */
  const queues = new Map<string, Write[]>();

  async function drain(key: string, queue: Write[]) {
    while (queue.length > 0) {
      const batch = queue.splice(0, MAX_BATCH);
      try {
        const results = await db.transaction(async (tx) => {
          await batch[0]!.begin(tx);
          const out: unknown[] = [];
          for (const write of batch) out.push(await write.run(tx));
          await batch[0]!.end?.(tx, out);
          return out;
        });
        for (const [i, write] of batch.entries()) write.resolve(results[i]);
      } catch (err) {
        if (batch.length === 1) batch[0]!.reject(err);
        else for (const write of batch) await runAlone(write);
      }
    }
    queues.delete(key);
  }

  async function runAlone(write: Write) {
    try {
      write.resolve(
        await db.transaction(async (tx) => {
          await write.begin(tx);
          const result = await write.run(tx);
          await write.end?.(tx, [result]);
          return result;
        }),
      );
    } catch (err) {
      write.reject(err);
    }
  }

  /**
   * Runs `run` in a transaction for `key` that `begin` opened (writes of one key share one
   * `begin`, the first one's); resolves after COMMIT. `end`, the first one's too, runs once
   * before COMMIT with every result of the shared transaction (e.g. one statement for all their
   * events).
   */
  return function write<T>(
    key: string,
    begin: (tx: Tx) => Promise<void>,
    run: (tx: Tx) => Promise<T>,
    end?: (tx: Tx, results: T[]) => Promise<void>,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry = { begin, run, end, resolve, reject } as Write;
      const queue = queues.get(key);
      if (queue) {
        queue.push(entry);
        return;
      }
      const fresh = [entry];
      queues.set(key, fresh);
      void drain(key, fresh);
    });
  };
}
export type GroupCommit = ReturnType<typeof createGroupCommit>;
