/**
 * Scores feature rows with an exported ONNX model (the Python trainer's graph) in
 * onnxruntime-node, so what is evaluated and gated is exactly what is served.
 *
 * Graph contract (trainer/src/health_predict_trainer/onnx_export.py). Each input is a
 * row-major [N, k] tensor of k feature columns, float32 when they are numeric, string when they
 * are categorical (an input never mixes the two). Two layouts:
 * - packed (what the trainer exports): `metadata.input_columns[i]` lists the columns of
 *   `input_names[i]` in order, e.g. `numeric` [N, 12] and `categorical` [N, 32];
 * - one input per column (models exported before packing): `input_names[i]` is [N, 1], fed from
 *   `metadata.columns[i]`, or from `[...features.numeric, ...features.categorical][i]` without
 *   `columns`;
 * - output `probabilities` (float32 [N, 2]); the positive class is column
 *   `positive_class_index`. The `label` output (argmax, i.e. threshold 0.5) is never used:
 *   labels here are `p >= metadata.threshold`.
 *
 * The model is checked against its metadata when the scorer is created (every input present
 * with the right element type and rank, no input the metadata does not feed, the probability
 * output present), so a mismatched pair fails early with a message naming the input.
 */
import { readFile } from 'node:fs/promises';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { z } from 'zod';
import { BadDataError, NonRetryableError } from '../runtime/errors.ts';
import { applyThreshold } from './metrics.ts';

/** `metadata.json`, written next to `model.onnx` by the trainer. Extra keys are kept. */
export const modelMetadataSchema = z
  .looseObject({
    model_type: z.enum(['lr', 'rf', 'xgb']),
    threshold: z.number().min(0).max(1),
    features: z.object({
      numeric: z.array(z.string().min(1)),
      categorical: z.array(z.string().min(1)),
      target: z.string().min(1),
    }),
    input_names: z.array(z.string().min(1)).min(1),
    /** One input per column: `columns[i]` is the data column feeding `input_names[i]`. */
    columns: z.array(z.string().min(1)).optional(),
    /** Packed inputs: `input_columns[i]` are the columns of `input_names[i]`, in tensor order. */
    input_columns: z.array(z.array(z.string().min(1)).min(1)).optional(),
    probability_output: z.literal('probabilities'),
    positive_class_index: z.number().int().min(0),
    onnx_opset: z.number().int().positive().optional(),
    sklearn_version: z.string().optional(),
    parity_max_abs_diff: z.number().nonnegative().optional(),
    val_f1: z.number().min(0).max(1).optional(),
    val_auc: z.number().min(0).max(1).optional(),
  })
  .superRefine((m, ctx) => {
    const { numeric, categorical, target } = m.features;
    const features = [...numeric, ...categorical];
    const issue = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    duplicates(features).forEach((c) => issue(['features'], `column "${c}" is listed more than once in features`));
    if (features.includes(target)) issue(['features', 'target'], `the target "${target}" is also a feature`);
    duplicates(m.input_names).forEach((n) => issue(['input_names'], `input "${n}" is listed more than once`));
    if (m.input_columns) {
      if (m.columns) issue(['columns'], 'columns (one input per column) and input_columns (packed inputs) exclude each other');
      checkPackedInputs(m.input_names, m.input_columns, m.features, issue);
      return;
    }
    const columns = m.columns ?? features;
    const where = m.columns ? 'columns' : 'features.numeric + features.categorical';
    if (columns.length !== m.input_names.length) {
      issue([m.columns ? 'columns' : 'input_names'],
        `${m.input_names.length} input_names but ${columns.length} columns in ${where}; each input needs exactly one column`);
      return;
    }
    if (m.columns) {
      duplicates(m.columns).forEach((c) => issue(['columns'], `column "${c}" feeds more than one input`));
      m.columns.forEach((c, i) => {
        if (!features.includes(c)) issue(['columns', i], `column "${c}" is neither in features.numeric nor in features.categorical`);
      });
      features.filter((f) => !m.columns!.includes(f))
        .forEach((f) => issue(['columns'], `feature column "${f}" feeds no input`));
    }
  });
export type ModelMetadata = z.infer<typeof modelMetadataSchema>;

/** Every feature in exactly one packed input, and no input mixing numeric and categorical columns. */
function checkPackedInputs(
  names: readonly string[],
  inputColumns: readonly (readonly string[])[],
  features: { numeric: readonly string[]; categorical: readonly string[] },
  issue: (path: PropertyKey[], message: string) => void,
): void {
  if (inputColumns.length !== names.length) {
    issue(['input_columns'], `${names.length} input_names but ${inputColumns.length} lists in input_columns; each input needs its list of columns`);
    return;
  }
  const numeric = new Set(features.numeric);
  const all = new Set([...features.numeric, ...features.categorical]);
  const packed = inputColumns.flat();
  duplicates(packed).forEach((c) => issue(['input_columns'], `column "${c}" is packed more than once`));
  packed.filter((c) => !all.has(c))
    .forEach((c) => issue(['input_columns'], `column "${c}" is neither in features.numeric nor in features.categorical`));
  [...all].filter((c) => !packed.includes(c)).forEach((c) => issue(['input_columns'], `feature column "${c}" is in no input`));
  inputColumns.forEach((columns, i) => {
    const kinds = new Set(columns.filter((c) => all.has(c)).map((c) => (numeric.has(c) ? 'numeric' : 'categorical')));
    if (kinds.size > 1) issue(['input_columns', i], `input "${names[i]}" mixes numeric and categorical columns; one tensor has one element type`);
  });
}

function duplicates(values: readonly string[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const v of values) (seen.has(v) ? dup : seen).add(v);
  return [...dup];
}

/** The ONNX model and its metadata disagree (or the file is not a loadable model): retrying cannot help. */
export class ModelContractError extends NonRetryableError {}

/** Parses metadata (already-read JSON), naming `source` and every problem in the error. */
export function parseModelMetadata(value: unknown, source = 'model metadata'): ModelMetadata {
  const parsed = modelMetadataSchema.safeParse(value);
  if (!parsed.success) {
    throw new ModelContractError(`${source} does not match the model metadata contract:\n${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

/** Reads and validates a `metadata.json` file. */
export async function readModelMetadata(path: string): Promise<ModelMetadata> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ModelContractError(`cannot read model metadata ${path}: ${(error as Error).message}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ModelContractError(`model metadata ${path} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  return parseModelMetadata(json, path);
}

export type FeatureKind = 'numeric' | 'categorical';
/** One graph input: an [N, columns.length] tensor of the data columns that feed it, in order. */
export interface ModelInput {
  readonly name: string;
  readonly columns: readonly string[];
  readonly kind: FeatureKind;
}

/** The graph inputs in `input_names` order, each with its columns and kind. */
export function resolveModelInputs(metadata: ModelMetadata): ModelInput[] {
  const numeric = new Set(metadata.features.numeric);
  const perColumn = metadata.columns ?? [...metadata.features.numeric, ...metadata.features.categorical];
  const columnsOf = (i: number): readonly string[] | undefined => {
    if (metadata.input_columns) return metadata.input_columns[i];
    return perColumn[i] === undefined ? undefined : [perColumn[i]];
  };
  return metadata.input_names.map((name, i) => {
    const columns = columnsOf(i);
    if (columns === undefined || columns.length === 0) throw new ModelContractError(`input "${name}" has no column (metadata not parsed?)`);
    return { name, columns, kind: numeric.has(columns[0]!) ? 'numeric' : 'categorical' };
  });
}

const describeColumns = (input: ModelInput) =>
  input.columns.length === 1 ? `column "${input.columns[0]}"` : `${input.columns.length} columns "${input.columns[0]}"…"${input.columns.at(-1)}"`;

const ELEMENT_TYPE: Record<FeatureKind, string> = { numeric: 'float32', categorical: 'string' };

/**
 * Checks a loaded session against the metadata's inputs and probability output. Uses the
 * session's input/output metadata where onnxruntime provides it (names are always checked).
 * Throws one ModelContractError listing every problem.
 */
export function checkSessionAgainstMetadata(
  session: Pick<InferenceSession, 'inputNames' | 'outputNames'> & Partial<Pick<InferenceSession, 'inputMetadata' | 'outputMetadata'>>,
  metadata: ModelMetadata,
  source = 'the ONNX model',
): void {
  const problems: string[] = [];
  const inputs = resolveModelInputs(metadata);
  const declared = new Set(inputs.map((i) => i.name));
  const inputMeta = new Map((session.inputMetadata ?? []).map((m) => [m.name, m]));
  for (const input of inputs) {
    if (!session.inputNames.includes(input.name)) {
      problems.push(`input "${input.name}" (${describeColumns(input)}, ${input.kind}) is missing from the model; its inputs are ${list(session.inputNames)}`);
      continue;
    }
    const meta = inputMeta.get(input.name);
    if (!meta) continue;
    const width = input.columns.length;
    if (!meta.isTensor) {
      problems.push(`input "${input.name}" is not a tensor in the model; expected a ${ELEMENT_TYPE[input.kind]} tensor [N, ${width}]`);
      continue;
    }
    if (meta.type !== ELEMENT_TYPE[input.kind]) {
      problems.push(`input "${input.name}" (${describeColumns(input)}) is ${meta.type} in the model but the metadata declares it ${input.kind} (${ELEMENT_TYPE[input.kind]})`);
    }
    if (meta.shape.length > 0 && (meta.shape.length !== 2 || !dimMatches(meta.shape[1], width))) {
      problems.push(`input "${input.name}" has shape [${meta.shape.map(showDim).join(', ')}] in the model; expected [N, ${width}] (${describeColumns(input)})`);
    }
  }
  for (const name of session.inputNames) {
    if (!declared.has(name)) problems.push(`model input "${name}" is not in metadata.input_names, so nothing would feed it`);
  }
  const output = metadata.probability_output;
  if (!session.outputNames.includes(output)) {
    problems.push(`output "${output}" is missing from the model; its outputs are ${list(session.outputNames)}`);
  } else {
    const meta = (session.outputMetadata ?? []).find((m) => m.name === output);
    if (meta?.isTensor) {
      if (meta.type !== 'float32' && meta.type !== 'float64') problems.push(`output "${output}" is ${meta.type}; expected float32 probabilities`);
      const classes = meta.shape[1];
      if (meta.shape.length > 0 && meta.shape.length !== 2) {
        problems.push(`output "${output}" has shape [${meta.shape.map(showDim).join(', ')}]; expected [N, classes] (a ZipMap output cannot be scored)`);
      } else if (typeof classes === 'number' && metadata.positive_class_index >= classes) {
        problems.push(`positive_class_index ${metadata.positive_class_index} is out of range: "${output}" has ${classes} columns`);
      }
    } else if (meta && !meta.isTensor) {
      problems.push(`output "${output}" is not a tensor (exported with ZipMap?); export with options {'zipmap': False}`);
    }
  }
  if (problems.length > 0) {
    throw new ModelContractError(`${source} does not match its metadata:\n- ${problems.join('\n- ')}`);
  }
}

const dimMatches = (dim: number | string | undefined, expected: number) => typeof dim !== 'number' || dim === expected;
const showDim = (dim: number | string) => (typeof dim === 'number' ? String(dim) : dim === '' ? '?' : dim);
const list = (names: readonly string[]) => (names.length ? names.map((n) => `"${n}"`).join(', ') : '(none)');

/**
 * A feature row: column → value; extra keys (e.g. the target) are ignored. Numeric columns take
 * finite numbers or numeric strings. Categorical columns take strings (numbers are converted
 * with String(), so 250 becomes "250" — pass the category text as it was in training).
 */
export type FeatureValue = string | number;
export type FeatureRow = Readonly<Record<string, FeatureValue | null | undefined>>;
/**
 * A row as its values in the order of `featureColumns(metadata)` (= `Scorer.columns`): the
 * serving path builds these straight from a request, with no object keyed by column.
 */
export type FeatureVector = readonly (FeatureValue | null | undefined)[];

/** Every feature column in the order of the model's inputs: the positions of a FeatureVector. */
export function featureColumns(metadata: ModelMetadata): string[] {
  return resolveModelInputs(metadata).flatMap((input) => input.columns);
}

export interface Prediction {
  /** p(positive class) per row, in row order. */
  readonly probabilities: Float64Array;
  /** 1 where `probability >= threshold`, else 0. */
  readonly labels: Uint8Array;
}

export interface Scorer {
  readonly metadata: ModelMetadata;
  readonly inputs: readonly ModelInput[];
  /** The feature columns in input order: what position i of a FeatureVector holds. */
  readonly columns: readonly string[];
  /** The decision threshold from the metadata. */
  readonly threshold: number;
  /** p(positive) per row. Rows are fed in batches of `batchSize`. */
  score(rows: readonly FeatureRow[]): Promise<Float64Array>;
  /** p(positive) per row given as values in `columns` order. */
  scoreVectors(vectors: readonly FeatureVector[]): Promise<Float64Array>;
  /** Probabilities and labels at `threshold` (default: the metadata's). */
  predict(rows: readonly FeatureRow[], threshold?: number): Promise<Prediction>;
  /** Releases the native session; idempotent. The scorer cannot be used afterwards. */
  dispose(): Promise<void>;
}

export interface ScorerOptions {
  /** Rows per `session.run` (bounds the tensors' memory). Default 4096. */
  readonly batchSize?: number;
  /** Passed to onnxruntime (defaults: CPU, all graph optimisations, warnings and above logged). */
  readonly sessionOptions?: InferenceSession.SessionOptions;
}

export const DEFAULT_BATCH_SIZE = 4096;

/**
 * Loads `model` (the ONNX bytes, or a file path) with its metadata (parsed with
 * `modelMetadataSchema` if not already), checks one against the other and returns a scorer.
 */
export async function createScorer(model: Uint8Array | string, metadata: unknown, options: ScorerOptions = {}): Promise<Scorer> {
  const meta = parseModelMetadata(metadata);
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const source = typeof model === 'string' ? `ONNX model ${model}` : `the ONNX model (${model.byteLength} bytes)`;
  const bytes = typeof model === 'string' ? await readModelFile(model) : model;
  let session: InferenceSession;
  try {
    session = await InferenceSession.create(bytes, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      logSeverityLevel: 2,
      ...options.sessionOptions,
    });
  } catch (error) {
    throw new ModelContractError(`cannot load ${source}: ${(error as Error).message}`, { cause: error });
  }
  try {
    checkSessionAgainstMetadata(session, meta, source);
  } catch (error) {
    await session.release();
    throw error;
  }
  return new OnnxScorer(session, meta, batchSize);
}

async function readModelFile(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new ModelContractError(`cannot read ONNX model ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** The value of row `row`'s feature at `position` (an index into `Scorer.columns`). */
type ValueAt = (row: number, position: number) => FeatureValue | null | undefined;

class OnnxScorer implements Scorer {
  readonly inputs: readonly ModelInput[];
  readonly columns: readonly string[];
  /** Position in `columns` of each input's first column. */
  private readonly offsets: readonly number[];
  private session: InferenceSession | undefined;

  constructor(session: InferenceSession, readonly metadata: ModelMetadata, private readonly batchSize: number) {
    this.session = session;
    this.inputs = resolveModelInputs(metadata);
    this.columns = featureColumns(metadata);
    let offset = 0;
    this.offsets = this.inputs.map((input) => {
      const first = offset;
      offset += input.columns.length;
      return first;
    });
  }

  get threshold(): number {
    return this.metadata.threshold;
  }

  score(rows: readonly FeatureRow[]): Promise<Float64Array> {
    const columns = this.columns;
    return this.scoreAll(rows.length, (i, p) => {
      const row = rows[i];
      if (row === undefined || row === null) throw new BadDataError(`row ${i} is not an object; every row needs all feature columns`);
      return row[columns[p]!];
    });
  }

  scoreVectors(vectors: readonly FeatureVector[]): Promise<Float64Array> {
    return this.scoreAll(vectors.length, (i, p) => vectors[i]![p]);
  }

  private async scoreAll(count: number, valueAt: ValueAt): Promise<Float64Array> {
    const out = new Float64Array(count);
    for (let start = 0; start < count; start += this.batchSize) {
      await this.scoreBatch(valueAt, start, Math.min(count, start + this.batchSize), out);
    }
    return out;
  }

  async predict(rows: readonly FeatureRow[], threshold = this.metadata.threshold): Promise<Prediction> {
    const probabilities = await this.score(rows);
    return { probabilities, labels: applyThreshold(probabilities, threshold) };
  }

  async dispose(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    if (session) await session.release();
  }

  private async scoreBatch(valueAt: ValueAt, start: number, end: number, out: Float64Array): Promise<void> {
    const session = this.session;
    if (!session) throw new Error('this scorer has been disposed');
    const n = end - start;
    const feeds: Record<string, Tensor> = {};
    this.inputs.forEach(({ name, columns, kind }, input) => {
      const k = columns.length;
      const offset = this.offsets[input]!;
      const data = kind === 'numeric' ? new Float32Array(n * k) : new Array<string>(n * k);
      const value = kind === 'numeric' ? numericValue : categoricalValue;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < k; j++) data[i * k + j] = value(valueAt(start + i, offset + j), columns[j]!, start + i);
      }
      feeds[name] = kind === 'numeric' ? new Tensor('float32', data as Float32Array, [n, k]) : new Tensor('string', data as string[], [n, k]);
    });
    const name = this.metadata.probability_output;
    const result = await session.run(feeds, [name]);
    const tensor = result[name];
    if (!tensor || !(tensor instanceof Tensor)) throw new ModelContractError(`the model returned no "${name}" tensor`);
    const [rowsOut, classes] = tensor.dims;
    const data = tensor.data;
    const k = this.metadata.positive_class_index;
    if (tensor.dims.length !== 2 || rowsOut !== n || classes === undefined || k >= classes
      || !(data instanceof Float32Array || data instanceof Float64Array)) {
      throw new ModelContractError(
        `the model's "${name}" output is ${tensor.type} [${tensor.dims.join(', ')}] for ${n} rows; expected float32 [${n}, >${k}]`);
    }
    for (let i = 0; i < n; i++) {
      const p = data[i * classes + k]!;
      if (!Number.isFinite(p)) throw new BadDataError(`the model returned a non-finite probability (${p}) for row ${start + i}`);
      out[start + i] = p;
    }
  }
}

function missing(column: string, index: number): never {
  throw new BadDataError(`row ${index} has no value for column "${column}"; every row needs all feature columns`);
}

function numericValue(raw: FeatureValue | null | undefined, column: string, index: number): number {
  if (raw === undefined || raw === null) missing(column, index);
  const value = typeof raw === 'number' ? raw : raw.trim() === '' ? Number.NaN : Number(raw);
  if (!Number.isFinite(value)) {
    const shown = typeof raw === 'string' ? JSON.stringify(raw) : String(raw);
    throw new BadDataError(`row ${index}, column "${column}": ${shown} is not a finite number (numeric feature)`);
  }
  return value;
}

function categoricalValue(raw: FeatureValue | null | undefined, column: string, index: number): string {
  if (raw === undefined || raw === null) missing(column, index);
  if (typeof raw === 'string') return raw;
  if (!Number.isFinite(raw)) throw new BadDataError(`row ${index}, column "${column}": ${raw} is not a category value`);
  return String(raw);
}
