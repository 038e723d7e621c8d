/** Synthetic feature rows for the drift tests, drawn from the project's seeded PRNG. */
import { gaussian, picker, type Random } from '../../../src/runtime/random.ts';

export const SCHEMA = { numeric: ['age', 'visits'], categorical: ['group', 'code'] } as const;

export interface Population {
  readonly ageMean: number;
  readonly groupWeights: readonly number[];
}

export const BASE: Population = { ageMean: 60, groupWeights: [0.5, 0.3, 0.2] };

/** `n` rows: age ~ N(mean, 10), visits ~ a skewed count with many zeros, group by the weights, code uniform over 50. */
export function rows(random: Random, n: number, population: Population = BASE): Record<string, string>[] {
  const group = picker(['A', 'B', 'C'], population.groupWeights);
  return Array.from({ length: n }, () => ({
    age: (population.ageMean + 10 * gaussian(random)).toFixed(1),
    visits: String(Math.max(0, Math.floor(3 * gaussian(random)))),
    group: group(random),
    code: `c${Math.floor(random() * 50)}`,
  }));
}
