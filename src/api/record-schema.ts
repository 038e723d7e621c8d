/**
 * The request record of `POST /predict`, derived from the model's metadata: one field per
 * model feature, named as the raw UCI column it comes from (`age_ordinal` is fed from the
 * `age` bracket string, as in src/data/clean.ts). The origin API's request stays valid:
 * its optional fields may be omitted or null, and every field may be sent by its name or by
 * the origin's alias, the name with each underscore replaced by a hyphen (`time-in-hospital`,
 * `diag-1`; the medication columns, hyphenated in the UCI file, are also accepted with
 * underscores: `glyburide_metformin`). One spelling per field: both is a 422. Values are
 * cleaned the way training data was: a missing categorical value (absent, null, '' or '?')
 * becomes 'Unknown'.
 *
 * The record is declared once, in zod. Its JSON Schema is what Fastify validates with (ajv
 * compiles it: ~2 µs a record where zod's own parse takes ~20 µs, on the hot path of every
 * prediction), and the same JSON Schema plus the alternative spellings is what the OpenAPI
 * document shows, so validation and documentation cannot drift apart.
 */
import { z } from 'zod';
import {
  AGE_BRACKETS,
  INTEGER_COLUMNS,
  MISSING_MARKER,
  RAW_COLUMNS,
  UNKNOWN_CATEGORY,
} from '../data/schema.ts';
import type { FeatureVector, ModelMetadata } from '../evaluation/onnx-scorer.ts';
import { featureColumns, ModelContractError } from '../evaluation/onnx-scorer.ts';

/** The origin API declared these Optional; omitting them means "missing" ('Unknown'). */
const OPTIONAL_FIELDS: ReadonlySet<string> = new Set(['race', 'diag_1', 'diag_2', 'diag_3', 'max_glu_serum', 'A1Cresult']);
/** The model feature fed from a request field of another name. */
const DERIVED_FEATURES: Readonly<Record<string, string>> = { age_ordinal: 'age' };

/** Counts and ids in the UCI file are small non-negative integers; beyond this is an input error. */
export const MAX_COUNT = 10_000;
/** Category values are short codes (ICD-9, 'Steady', …); longer text is not a category. */
export const MAX_CATEGORY_LENGTH = 64;

export type FieldKind = 'integer' | 'number' | 'category' | 'age';
export interface RequestField {
  /** Canonical name: the raw column, e.g. `glyburide-metformin`. */
  readonly name: string;
  /** The model column it feeds, e.g. `age_ordinal` for `age`. */
  readonly feature: string;
  readonly kind: FieldKind;
  readonly optional: boolean;
  /** Alternative spelling accepted on input (hyphens for underscores, or the other way round), if any. */
  readonly alias?: string;
}

export type RecordValue = string | number | null | undefined;
export type CanonicalRecord = Readonly<Record<string, RecordValue>>;

/** One offending field of a request: `records[2].age`, and what is wrong with it. */
export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

export type JsonSchema = Record<string, unknown>;

export interface RecordSchema {
  readonly fields: readonly RequestField[];
  /** The record's definition. */
  readonly record: z.ZodType<CanonicalRecord>;
  /** JSON Schema (OpenAPI 3.0 dialect) of a canonical record: what requests are validated with, after `normalise`. */
  readonly canonicalJsonSchema: JsonSchema;
  /** JSON Schema of one record as clients may send it (either spelling): what the OpenAPI document shows. */
  readonly jsonSchema: JsonSchema;
  /** Moves alternative spellings to their canonical name, in place; returns conflicts. */
  normalise(body: Record<string, unknown>, at: string): FieldProblem[];
  /** The model's feature columns in input order (`featureColumns`): the positions of a feature vector. */
  readonly featureColumns: readonly string[];
  /** A validated record → its feature values in `featureColumns` order. */
  toFeatureVector(record: CanonicalRecord): FeatureVector;
}

/** Builds the request schema for a model; throws ModelContractError for a feature no request field can feed. */
export function buildRecordSchema(metadata: ModelMetadata): RecordSchema {
  const fields = requestFields(metadata);
  const shape: Record<string, z.ZodType<RecordValue>> = {};
  for (const field of fields) shape[field.name] = fieldSchema(field);
  const record = z.object(shape) as unknown as z.ZodType<CanonicalRecord>;
  const aliased = fields.filter((f) => f.alias !== undefined);
  const canonicalJsonSchema = z.toJSONSchema(record, { target: 'openapi-3.0', io: 'input' }) as CanonicalJsonSchema;
  const columns = featureColumns(metadata);
  return {
    fields,
    record,
    canonicalJsonSchema,
    jsonSchema: wireJsonSchema(canonicalJsonSchema, aliased),
    normalise: (body, at) => normaliseSpellings(body, aliased, at),
    featureColumns: columns,
    toFeatureVector: featureVectorBuilder(fields, columns),
  };
}

function requestFields(metadata: ModelMetadata): RequestField[] {
  const numeric = new Set(metadata.features.numeric);
  const raw = new Set<string>(RAW_COLUMNS);
  const integers = new Set<string>(INTEGER_COLUMNS);
  const features = [...metadata.features.numeric, ...metadata.features.categorical];
  return features.map((feature) => {
    const name = DERIVED_FEATURES[feature] ?? feature;
    if (!raw.has(name)) {
      throw new ModelContractError(
        `the model's feature "${feature}" is not a column of the UCI file (src/data/schema.ts RAW_COLUMNS), ` +
          'so no request field can feed it; serve a model trained on the project\'s features or teach src/api/record-schema.ts how to derive it',
      );
    }
    const kind: FieldKind = name === 'age' ? 'age' : !numeric.has(feature) ? 'category' : integers.has(name) ? 'integer' : 'number';
    const alias = alternativeSpelling(name);
    return { name, feature, kind, optional: OPTIONAL_FIELDS.has(name), ...(alias ? { alias } : {}) };
  });
}

/** `time_in_hospital` ↔ `time-in-hospital`, `glyburide-metformin` ↔ `glyburide_metformin`; none for `race`. */
function alternativeSpelling(name: string): string | undefined {
  if (name.includes('-')) return name.replaceAll('-', '_');
  if (name.includes('_')) return name.replaceAll('_', '-');
  return undefined;
}

function fieldSchema(field: RequestField): z.ZodType<RecordValue> {
  switch (field.kind) {
    case 'age':
      return z.enum(AGE_BRACKETS).describe('Age bracket, e.g. "[70-80)"');
    case 'integer':
      return z.number().int().min(0).max(MAX_COUNT);
    case 'number':
      return z.number().min(0).max(MAX_COUNT);
    case 'category': {
      const text = z.string().max(MAX_CATEGORY_LENGTH);
      const described = field.optional
        ? text.nullable().optional().describe(`Optional; absent, null, "" or "${MISSING_MARKER}" mean missing ("${UNKNOWN_CATEGORY}")`)
        : text.describe('Any category; values the model never saw are allowed (they carry no weight)');
      return described;
    }
  }
}

interface CanonicalJsonSchema extends JsonSchema {
  properties: Record<string, JsonSchema>;
  required?: string[];
}

/** The three whole-record spellings the OpenAPI document shows (a client may also mix them, field by field). */
const SPELLINGS: readonly { readonly title: string; readonly spell: (name: string) => string }[] = [
  { title: 'the UCI file\'s column names', spell: (name) => name },
  { title: 'the origin API\'s field names (underscores)', spell: (name) => name.replaceAll('-', '_') },
  { title: 'the origin API\'s aliases (every underscore a hyphen)', spell: (name) => name.replaceAll('_', '-') },
];

/**
 * The record as sent: every field under each of its names, and one of three whole-record
 * spellings, each requiring its own names and forbidding the others (one spelling per field).
 * Unknown properties are allowed and ignored. Three branches rather than one "exactly one of
 * two names" clause per field: fuzzers and code generators cope with the former, not with
 * thirty nested oneOfs.
 */
function wireJsonSchema(schema: CanonicalJsonSchema, aliased: readonly RequestField[]): JsonSchema {
  const properties: Record<string, unknown> = { ...schema.properties };
  for (const field of aliased) {
    properties[field.alias!] = { ...schema.properties[field.name], description: `Alternative spelling of "${field.name}"` };
  }
  if (aliased.length === 0) return { type: 'object', properties, required: schema.required ?? [] };
  const names = aliased.flatMap((field) => [field.name, field.alias!]);
  return {
    type: 'object',
    properties,
    oneOf: SPELLINGS.map(({ title, spell }) => {
      const own = new Set(aliased.map((field) => spell(field.name)));
      return {
        title,
        required: (schema.required ?? []).map(spell),
        properties: Object.fromEntries(names.filter((name) => !own.has(name)).map((name) => [name, { not: {} }])),
      };
    }),
  };
}

function normaliseSpellings(body: Record<string, unknown>, aliased: readonly RequestField[], at: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const field of aliased) {
    const alias = field.alias!;
    if (!Object.hasOwn(body, alias)) continue;
    if (Object.hasOwn(body, field.name)) {
      problems.push({ field: `${at}${field.name}`, message: `given twice ("${field.name}" and "${alias}" are the same field); send one spelling` });
      continue;
    }
    body[field.name] = body[alias];
    delete body[alias];
  }
  return problems;
}

/**
 * One reader per feature column, in vector order, compiled once: a request becomes an array
 * without an intermediate object keyed by 44 column names (V8 keeps such an object as a slow
 * dictionary, and building one cost more per request than scoring its row).
 */
function featureVectorBuilder(fields: readonly RequestField[], columns: readonly string[]): (record: CanonicalRecord) => FeatureVector {
  const ages: readonly string[] = AGE_BRACKETS;
  const byFeature = new Map(fields.map((field) => [field.feature, field]));
  const readers = columns.map((column): ((record: CanonicalRecord) => string | number) => {
    const field = byFeature.get(column);
    if (!field) throw new ModelContractError(`the model's feature "${column}" has no request field`);
    const name = field.name;
    switch (field.kind) {
      case 'age':
        return (record) => ages.indexOf(record[name] as string);
      case 'integer':
      case 'number':
        return (record) => record[name] as number;
      case 'category':
        return (record) => {
          const value = record[name];
          return value === undefined || value === null || value === '' || value === MISSING_MARKER ? UNKNOWN_CATEGORY : value;
        };
    }
  });
  return (record) => {
    const vector = new Array<string | number>(readers.length);
    for (let i = 0; i < readers.length; i++) vector[i] = readers[i]!(record);
    return vector;
  };
}
