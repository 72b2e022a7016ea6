import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * For loops whose length the request decides (a nested import's lessons, bulk items): call the
 * returned function before each item; once `sliceMs` of work has passed since the last turn, it
 * lets the event loop run everything else that is waiting (other requests, `GET /health`) before
 * going on. So no request holds the event loop much longer than one slice plus one item
 * (API.md §1: never 100 ms). Yielding by time rather than every N items keeps cheap items from
 * paying for turns they do not need and expensive ones from running long between turns.
 */
export function timeSlicer(sliceMs = 10): () => Promise<void> {
  let sliceStart = performance.now();
  return async () => {
    if (performance.now() - sliceStart < sliceMs) return;
    // Two turns: an immediate queued from an I/O callback (say, right after a query answered)
    // runs in the same loop iteration, before timers and the next poll for I/O; the second one,
    // queued from the check phase, waits for a whole iteration, so everything waiting gets its turn.
    await nextTurn();
    await nextTurn();
    sliceStart = performance.now();
  };
}
