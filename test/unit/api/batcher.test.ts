import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { MicroBatcher } from '../../../src/api/batcher.ts';
import type { FeatureVector } from '../../../src/evaluation/onnx-scorer.ts';

/** A scorer that records the size of every run and scores a row [x] as x / 100. */
function recordingScorer() {
  const runs: number[] = [];
  const score = async (rows: readonly FeatureVector[]) => {
    runs.push(rows.length);
    await sleep(5);
    return Float64Array.from(rows, (row) => Number(row[0]) / 100);
  };
  return { runs, score };
}
const rows = (...xs: number[]) => xs.map((x) => [x]);

describe('MicroBatcher', () => {
  it('scores requests that arrive together in one run and gives each its own scores', async () => {
    const { runs, score } = recordingScorer();
    const batcher = new MicroBatcher(score, { maxRows: 64 });
    const results = await Promise.all([batcher.score(rows(1)), batcher.score(rows(2, 3)), batcher.score(rows(4))]);
    expect(results.map((r) => Array.from(r))).toEqual([[0.01], [0.02, 0.03], [0.04]]);
    expect(runs).toEqual([4]);
  });

  it('collects requests that arrive during a run into the next run', async () => {
    const { runs, score } = recordingScorer();
    const batcher = new MicroBatcher(score, { maxRows: 64 });
    const first = batcher.score(rows(1));
    await sleep(1); // the first run is in progress
    const later = [batcher.score(rows(2)), batcher.score(rows(3)), batcher.score(rows(4))];
    expect(Array.from(await first)).toEqual([0.01]);
    expect((await Promise.all(later)).map((r) => r[0])).toEqual([0.02, 0.03, 0.04]);
    expect(runs).toEqual([1, 3]);
  });

  it('caps a run at maxRows but never splits a request', async () => {
    const { runs, score } = recordingScorer();
    const batcher = new MicroBatcher(score, { maxRows: 3 });
    await Promise.all([batcher.score(rows(1, 2)), batcher.score(rows(3, 4)), batcher.score(rows(5, 6, 7, 8, 9))]);
    expect(runs).toEqual([2, 2, 5]);
  });

  it('fails every request of a failed run, and keeps serving afterwards', async () => {
    let fail = true;
    const batcher = new MicroBatcher(async (batch) => {
      if (fail) throw new Error('the session broke');
      return new Float64Array(batch.length).fill(0.5);
    }, { maxRows: 8 });
    const outcomes = await Promise.allSettled([batcher.score(rows(1)), batcher.score(rows(2))]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(Array.from(await batcher.score(rows(3)))).toEqual([0.5]);
  });

  it('drain() waits for queued work', async () => {
    const { score } = recordingScorer();
    const batcher = new MicroBatcher(score, { maxRows: 8 });
    let done = 0;
    for (let i = 0; i < 5; i++) void batcher.score(rows(i)).then(() => done++);
    await batcher.drain();
    await Promise.resolve();
    expect(done).toBe(5);
    await batcher.drain(); // idle: resolves at once
  });
});
