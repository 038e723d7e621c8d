/**
 * Adaptive micro-batching of inference. One ONNX run of the exported pipeline costs a fixed
 * ~100–200 µs (44 inputs, ≈45–65 graph nodes) plus a few µs per row, so scoring concurrent
 * requests one by one wastes most of the time. Requests that arrive while a run is queued or
 * in progress are scored together in the next run: an idle service scores a request at once
 * (one event-loop turn later), a busy one in batches as large as its load, up to `maxRows`.
 */
import type { FeatureVector } from '../evaluation/onnx-scorer.ts';

export type ScoreFn = (rows: readonly FeatureVector[]) => Promise<Float64Array>;

interface Job {
  readonly rows: readonly FeatureVector[];
  readonly resolve: (scores: Float64Array) => void;
  readonly reject: (error: unknown) => void;
}

export interface BatcherOptions {
  /** Rows per run; a single job larger than this still runs whole. */
  readonly maxRows: number;
  /** Called with the row count of every run (metrics). */
  readonly onRun?: (rows: number) => void;
}

export class MicroBatcher {
  private queue: Job[] = [];
  private scheduled = false;
  private running = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly scoreRows: ScoreFn,
    private readonly options: BatcherOptions,
  ) {
    if (!Number.isInteger(options.maxRows) || options.maxRows < 1) throw new RangeError(`maxRows must be a positive integer, got ${options.maxRows}`);
  }

  /** p(positive) for each row, in order. */
  score(rows: readonly FeatureVector[]): Promise<Float64Array> {
    return new Promise((resolve, reject) => {
      this.queue.push({ rows, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once every queued job has been scored (or failed). */
  drain(): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    // setImmediate runs after this turn's I/O callbacks, so requests that arrived together share a run.
    setImmediate(() => {
      this.scheduled = false;
      void this.runNext();
    });
  }

  private async runNext(): Promise<void> {
    const jobs = this.take();
    if (jobs.length === 0) return this.settleIdle();
    this.running = true;
    const rows = jobs.length === 1 ? jobs[0]!.rows : jobs.flatMap((job) => job.rows);
    this.options.onRun?.(rows.length);
    try {
      const scores = await this.scoreRows(rows);
      let start = 0;
      for (const job of jobs) {
        job.resolve(scores.subarray(start, start + job.rows.length));
        start += job.rows.length;
      }
    } catch (error) {
      for (const job of jobs) job.reject(error);
    } finally {
      this.running = false;
    }
    if (this.queue.length > 0) this.schedule();
    else this.settleIdle();
  }

  private take(): Job[] {
    let rows = 0;
    let count = 0;
    while (count < this.queue.length && (count === 0 || rows + this.queue[count]!.rows.length <= this.options.maxRows)) {
      rows += this.queue[count]!.rows.length;
      count++;
    }
    return this.queue.splice(0, count);
  }

  private settleIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
