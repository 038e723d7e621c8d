/**
 * What each stack service is: how to start it, which port it prefers, how to tell it is
 * healthy, and how to recognise its process. Nothing here starts anything.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { dockerService } from './docker-service.ts';
import type { HealthCheck } from './health.ts';
import { registryService } from './registry-service.ts';
import type { ServiceName } from './state.ts';

export interface LaunchContext {
  /** Python environment holding `mlflow` and `moto_server` (its `bin/` is used). */
  venv: string;
  stateDir: string;
  /** The TCP port to listen on; 0 for services that listen on a unix socket. */
  port: number;
  /** Extra Host headers MLflow should accept besides 127.0.0.1:<port> and localhost:<port>. */
  allowedHosts: readonly string[];
  env: NodeJS.ProcessEnv;
}

export interface Launch {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Facts worth telling the user (written to the log and reported as events), e.g. a fallback taken. */
  notes?: string[];
}

export interface ProbeContext {
  /** The service's recorded URL. */
  url: string;
  stateDir: string;
  timeoutMs: number;
}

export interface ServiceSpec {
  readonly name: ServiceName;
  readonly title: string;
  /** Undefined for a service that listens on a unix socket in the state dir instead of a port. */
  readonly defaultPort: number | undefined;
  /** How long a cold start may take before we give up. */
  readonly startTimeoutMs: number;
  /** SIGTERM → SIGKILL grace when stopping (default 10 s). */
  readonly stopGraceMs?: number;
  /** A substring of the service's command line, to tell its pid from a reused one. */
  readonly marker: string;
  readonly healthPath: string;
  readonly healthy: HealthCheck;
  /** The URL clients use (default `http://127.0.0.1:<port>`). */
  url?(context: { stateDir: string; port: number }): string;
  /** Replaces `GET <url><healthPath>` (a unix socket, an authenticated endpoint). */
  probe?(context: ProbeContext): Promise<boolean>;
  /** Why this machine cannot run the service (not installed, not root…), or undefined when it can. */
  preflight?(context: LaunchContext): string | undefined;
  /** Cleans up after the process is gone (e.g. mounts it left); returns problems to report. */
  afterStop?(stateDir: string): string[];
  /** How to get `launch().command` when it does not exist. */
  installHint(context: LaunchContext): string;
  launch(context: LaunchContext): Launch;
}

function pythonEnvHint({ venv }: LaunchContext): string {
  return `Run \`make setup\` to create the Python environment (${venv}).`;
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
  installHint: pythonEnvHint,
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
  installHint: pythonEnvHint,
  launch({ venv, port, env }) {
    return {
      command: path.join(venv, 'bin', 'moto_server'),
      args: ['-H', '127.0.0.1', '-p', String(port)],
      env: { ...env, PYTHONUNBUFFERED: '1' },
    };
  },
};

export const SERVICES: Readonly<Record<ServiceName, ServiceSpec>> = { mlflow: mlflowService, moto: motoService, docker: dockerService, registry: registryService };
