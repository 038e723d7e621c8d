/** The champion of one training run: the model type with the best validation F1. */
import type { TrainedModel } from '../training/trainer-protocol.ts';

export function pickChampion(models: readonly TrainedModel[]): TrainedModel {
  if (!models.length) throw new RangeError('no trained models to choose a champion from');
  // Ties go to the earlier model type in the trainer's order (deterministic).
  return models.reduce((best, model) => (model.val_f1 > best.val_f1 ? model : best));
}
