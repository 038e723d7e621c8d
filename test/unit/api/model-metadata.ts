/** Model metadata as the trainer writes it, for tests that need no ONNX file. */
import { CATEGORICAL_FEATURES, NUMERIC_FEATURES, TARGET } from '../../../src/data/schema.ts';
import { parseModelMetadata, type ModelMetadata } from '../../../src/evaluation/onnx-scorer.ts';

export function metadataFor(features: { numeric?: readonly string[]; categorical?: readonly string[] } = {}): ModelMetadata {
  const numeric = [...(features.numeric ?? NUMERIC_FEATURES)];
  const categorical = [...(features.categorical ?? CATEGORICAL_FEATURES)];
  return parseModelMetadata({
    model_type: 'xgb',
    threshold: 0.4,
    features: { numeric, categorical, target: TARGET },
    input_names: [...numeric, ...categorical].map((c) => c.replaceAll('-', '_')),
    probability_output: 'probabilities',
    positive_class_index: 1,
  });
}
