/**
 * Model evaluation on ONNX models: scoring (onnxruntime-node), metrics, seeded bootstrap,
 * SVG plots and the evaluation result. Pure modules except `onnx-scorer.ts` (native session);
 * import a module directly to avoid loading onnxruntime where only metrics are needed.
 */
export * from './onnx-scorer.ts';
export * from './metrics.ts';
export * from './bootstrap.ts';
export * from './plots.ts';
export * from './evaluate.ts';
