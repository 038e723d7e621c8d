// expect nothing: the DAG the trigger-* cases start; it has no mistakes of its own.
import { z } from 'zod';
import { dag, param } from '../../src/dsl/index.ts';

export default dag(
  'misuse_trigger_target',
  {
    schedule: null,
    startDate: '2024-01-01',
    params: { raw_data_uri: param(z.string().default('s3://bucket/raw.csv')), rows: param(z.number().int().default(100)) },
  },
  (d) => {
    d.empty('start');
  },
);
