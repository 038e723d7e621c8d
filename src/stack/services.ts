/**
 * What each stack service is: how to start it, which port it prefers, how to tell it is
 * healthy, and how to recognise its process. Nothing here starts anything.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { HealthCheck } from './health.ts';
import type { ServiceName } from './state.ts';

export interface LaunchContext {
  /** Python environment holding `mlflow` and `moto_server` (its `bin/` is used). */
  venv: string;
  stateDir: string;
  port: number;
  /** Extra Host headers MLflow should accept besides 127.0.0.1:<port> and localhost:<port>. */
  allowedHosts: readonly string[];
  env: NodeJS.ProcessEnv;
}

export interface Launch {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

export interface ServiceSpec {
  readonly name: ServiceName;
  readonly title: string;
  readonly defaultPort: number;
  /** How long a cold start may take before we give up. */
  readonly startTimeoutMs: number;
  /** A substring of the service's command line, to tell its pid from a reused one. */
  readonly marker: string;
  readonly healthPath: string;
  readonly healthy: HealthCheck;
  launch(context: LaunchContext): Launch;
}

export const mlflowService: ServiceSpec = {
  name: 'mlflow',
  title: 'MLflow tracking server',
  defaultPort: 5000,
  // Importing mlflow takes ~25 s on a 2-core machine, longer when other services start alongside.
  startTimeoutMs: 180_000,
  marker: 'mlflow server',
  healthPath: '/health',
  healthy: (status, body) => status === 200 && body.trim() === 'OK',
  launch({ venv, stateDir, port, allowedHosts, env }) {
    const home = path.join(stateDir, 'mlflow');
    const artifacts = path.join(home, 'artifacts');
    mkdirSync(artifacts, { recursive: true });
    const hosts = [`127.0.0.1:${port}`, `localhost:${port}`, ...allowedHosts];
    return {
      command: path.join(venv, 'bin', 'mlflow'),
      args: [
        'server',
        '--backend-store-uri', `sqlite:///${path.join(home, 'mlflow.db')}`,
        '--artifacts-destination', artifacts,
        '--host', '127.0.0.1',
        '--port', String(port),
        '--workers', '1',
        '--allowed-hosts', hosts.join(','),
      ],
      // No job-execution runner: it forks eight huey consumers, each importing mlflow again.
      env: { ...env, MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false', PYTHONUNBUFFERED: '1' },
    };
  },
};

export const motoService: ServiceSpec = {
  name: 'moto',
  title: 'moto server (S3, ECR APIs)',
  defaultPort: 5001,
  startTimeoutMs: 30_000,
  marker: 'moto_server',
  healthPath: '/moto-api/',
  healthy: (status) => status === 200,
  launch({ venv, port, env }) {
    return {
      command: path.join(venv, 'bin', 'moto_server'),
      args: ['-H', '127.0.0.1', '-p', String(port)],
      env: { ...env, PYTHONUNBUFFERED: '1' },
    };
  },
};

export const SERVICES: Readonly<Record<ServiceName, ServiceSpec>> = { mlflow: mlflowService, moto: motoService };
