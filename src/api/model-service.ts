/**
 * The served model's life cycle: loading → warm-up → ready → stopping, or failed. Readiness
 * is true only when the ONNX session is loaded AND a warm-up prediction returned a
 * probability, and turns false as soon as shutdown starts, so a load balancer stops sending
 * traffic before the listener closes. Predictions go through the micro-batcher.
 */
import type { InferenceSession } from 'onnxruntime-node';
import { createScorer, type FeatureVector, type ModelMetadata, type Scorer } from '../evaluation/onnx-scorer.ts';
import { applyThreshold } from '../evaluation/metrics.ts';
import { MicroBatcher } from './batcher.ts';
import { NotReadyError } from './errors.ts';
import type { RecordSchema, RequestField } from './record-schema.ts';

export type ModelState = 'not-loaded' | 'loading' | 'ready' | 'failed' | 'stopping';

export interface ModelServiceOptions {
  /** Rows per ONNX run when concurrent requests are batched together. */
  readonly maxBatchRows: number;
  readonly sessionOptions?: InferenceSession.SessionOptions;
  readonly onRun?: (rows: number) => void;
  readonly onStateChange?: (state: ModelState) => void;
}

export interface Predictions {
  readonly probabilities: Float64Array;
  readonly labels: Uint8Array;
}

export class ModelService {
  private current: ModelState = 'not-loaded';
  private failure: string | undefined;
  private scorer: Scorer | undefined;
  private loading: Promise<void> | undefined;
  private readonly batcher: MicroBatcher;
  private loaded: Date | undefined;

  constructor(
    private readonly model: Uint8Array | string,
    readonly metadata: ModelMetadata,
    private readonly schema: RecordSchema,
    private readonly options: ModelServiceOptions,
  ) {
    this.batcher = new MicroBatcher((rows) => this.scoreNow(rows), { maxRows: options.maxBatchRows, ...(options.onRun ? { onRun: options.onRun } : {}) });
  }

  get state(): ModelState {
    return this.current;
  }

  get threshold(): number {
    return this.metadata.threshold;
  }

  /** When the model was loaded and warmed up. */
  get loadedAt(): Date | undefined {
    return this.loaded;
  }

  get ready(): boolean {
    return this.current === 'ready';
  }

  /** Why the service is not ready (undefined when it is). */
  get reason(): string | undefined {
    switch (this.current) {
      case 'ready':
        return undefined;
      case 'not-loaded':
        return 'the model has not been loaded yet';
      case 'loading':
        return 'the model is loading and warming up';
      case 'failed':
        return `the model failed to load: ${this.failure}`;
      case 'stopping':
        return 'the service is shutting down';
    }
  }

  /** Loads the session and runs the warm-up prediction; idempotent. Never rejects: failure is a state. */
  load(): Promise<void> {
    this.loading ??= this.loadAndWarmUp();
    return this.loading;
  }

  /** The start of shutdown: readiness turns false; in-flight and late requests are still scored. */
  beginShutdown(): void {
    this.setState('stopping');
  }

  async predict(rows: readonly FeatureVector[]): Promise<Predictions> {
    if (!this.scorer || (this.current !== 'ready' && this.current !== 'stopping')) throw new NotReadyError(this.reason ?? 'unknown');
    const probabilities = await this.batcher.score(rows);
    return { probabilities, labels: applyThreshold(probabilities, this.metadata.threshold) };
  }

  /** Waits for queued predictions, then releases the native session. */
  async close(): Promise<void> {
    if (this.current !== 'failed') this.setState('stopping');
    await this.loading;
    await this.batcher.drain();
    const scorer = this.scorer;
    this.scorer = undefined;
    await scorer?.dispose();
  }

  private async loadAndWarmUp(): Promise<void> {
    this.setState('loading');
    try {
      const { sessionOptions } = this.options;
      const scorer = await createScorer(this.model, this.metadata, sessionOptions ? { sessionOptions } : {});
      const [p] = await scorer.scoreVectors([warmUpVector(this.schema)]);
      if (p === undefined || !(p >= 0 && p <= 1)) {
        await scorer.dispose();
        throw new Error(`the warm-up prediction returned ${p}, not a probability in [0, 1]`);
      }
      this.scorer = scorer;
      this.loaded = new Date();
      if (this.current === 'loading') this.setState('ready');
    } catch (error) {
      this.failure = (error as Error).message;
      this.setState('failed');
    }
  }

  private scoreNow(rows: readonly FeatureVector[]): Promise<Float64Array> {
    if (!this.scorer) return Promise.reject(new NotReadyError(this.reason ?? 'the model has been released'));
    return this.scorer.scoreVectors(rows);
  }

  private setState(state: ModelState): void {
    this.current = state;
    this.options.onStateChange?.(state);
  }
}

/** A plausible record built from the schema alone (any valid record would do). */
function warmUpVector(schema: RecordSchema): FeatureVector {
  const valueFor = (field: RequestField) => (field.kind === 'age' ? '[50-60)' : field.kind === 'category' ? 'Unknown' : 1);
  return schema.toFeatureVector(Object.fromEntries(schema.fields.map((f) => [f.name, valueFor(f)])));
}
