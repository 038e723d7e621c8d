/**
 * When `airflow up` counts a service as ready (`notReady`): a one-shot service once it exited 0, a
 * long-running one while it runs and its healthcheck (if it has one) says healthy; otherwise the reason.
 */
import { describe, expect, it } from 'vitest';
import type { ComposeContainer } from '../../../src/platform/compose.ts';
import { ONE_SHOT_SERVICES, PLATFORM_SERVICES, notReady } from '../../../src/platform/platform.ts';

const container = (Service: string, State: string, Health = '', ExitCode = 0): ComposeContainer => ({ Service, Name: `health-predict-${Service}-1`, State, Health, ExitCode });

describe('notReady', () => {
  it('an absent container is not created', () => {
    expect(notReady(undefined)).toBe('not created');
  });

  describe.each(ONE_SHOT_SERVICES)('one-shot service %s', (service) => {
    it('is ready once it exited 0', () => {
      expect(notReady(container(service, 'exited', '', 0))).toBeUndefined();
    });
    it('is not ready while it runs (or is only created)', () => {
      expect(notReady(container(service, 'running'))).toBe('running');
      expect(notReady(container(service, 'created'))).toBe('created');
    });
    it('failed when it exited with another code', () => {
      expect(notReady(container(service, 'exited', '', 1))).toBe('exited with code 1');
      expect(notReady(container(service, 'exited', '', 2))).toBe('exited with code 2');
    });
  });

  describe('long-running service', () => {
    it('is ready when running and healthy', () => {
      expect(notReady(container('airflow-scheduler', 'running', 'healthy'))).toBeUndefined();
    });
    it('waits while its healthcheck says starting or unhealthy', () => {
      expect(notReady(container('airflow-scheduler', 'running', 'starting'))).toBe('starting');
      expect(notReady(container('mlflow', 'running', 'unhealthy'))).toBe('unhealthy');
    });
    it('is ready when running with no healthcheck (Health empty)', () => {
      expect(notReady(container('some-service', 'running', ''))).toBeUndefined();
    });
    it('is not ready when it exited, even with code 0, or restarts', () => {
      expect(notReady(container('postgres', 'exited', '', 0))).toBe('exited with code 0');
      expect(notReady(container('postgres', 'exited', 'unhealthy', 137))).toBe('exited with code 137');
      expect(notReady(container('registry', 'restarting', 'starting', 1))).toBe('restarting');
    });
  });

  it('the one-shot services are among the services `up` waits for', () => {
    for (const service of ONE_SHOT_SERVICES) expect(PLATFORM_SERVICES).toContain(service);
  });
});
