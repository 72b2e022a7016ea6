/**
 * `npm run bench`: every benchmark, one after another, each in its own process so that none
 * disturbs another's numbers; the exit code is 1 when any of them misses its target.
 *
 * - bench/richtext.ts: rich-text conversions per second (target 2,000 HTML documents/s);
 * - bench/run.ts: requests/s of each scenario against a bare route doing the same with one SQL
 *   statement (the ratio has a target), then single large requests (imports) timed against their
 *   targets with the longest event-loop stall;
 * - bench/upload-memory.ts: server memory growth while a 512 MB file is uploaded (< 64 MB);
 * - bench/webhooks.ts: what events add to a transaction and to POST /courses (≤ 10 %), and
 *   webhook deliveries per second to a local receiver through the real queue.
 *
 * BENCH_ONLY=<scenario name> runs that one scenario of bench/run.ts; BENCH_ONLY=richtext,
 * BENCH_ONLY=upload-memory or BENCH_ONLY=webhooks runs that benchmark alone.
 */
import { spawnSync } from 'node:child_process';

const BENCHES = ['richtext', 'run', 'upload-memory', 'webhooks'];
const only = process.env.BENCH_ONLY;
const selected = only ? (BENCHES.includes(only) ? [only] : ['run']) : BENCHES;

const missed: string[] = [];
for (const name of selected) {
  console.log(`\n== bench/${name}.ts`);
  const { status } = spawnSync(process.execPath, ['--import', 'tsx', `bench/${name}.ts`], {
    stdio: 'inherit',
    env: name === 'run' || !only ? process.env : { ...process.env, BENCH_ONLY: '' },
  });
  if (status !== 0) missed.push(name);
}
console.log(missed.length ? `\nTargets missed in: ${missed.join(', ')}` : '\nEvery target met.');
process.exitCode = missed.length ? 1 : 0;
