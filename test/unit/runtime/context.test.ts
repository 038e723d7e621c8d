import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createContext, readRunInfo } from '../../../src/runtime/context.ts';

const log = pino({ level: 'silent' });

describe('TaskContext.origin', () => {
  it('names the Airflow DAG and run the task belongs to', () => {
    const ctx = createContext(readRunInfo({ HP_DAG_ID: 'health_predict', HP_RUN_ID: 'scheduled__2024' }, 'train'), log);
    expect(ctx.origin).toEqual({ dagId: 'health_predict', runId: 'scheduled__2024' });
  });

  it("is 'manual' for each id outside Airflow", () => {
    const ctx = createContext(readRunInfo({}, 'train'), log);
    expect(ctx.origin).toEqual({ dagId: 'manual', runId: 'manual' });
    expect(ctx.dagId).toBeUndefined();
  });
});
