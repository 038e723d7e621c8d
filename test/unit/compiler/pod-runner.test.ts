/**
 * The Kubernetes runner as the compiler emits it: secrets from a Kubernetes Secret (names only in
 * the DAG file), settings passed on from the worker, the deployment's image and network from the
 * build flags, the XCom sidecar on the task image, and the failure handler as a pod. The pods
 * themselves run in test/airflow/test_cluster_profile.py.
 */
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { compileDag, DagValidationError } from '../../../src/compiler/index.ts';
import { dag, param, type Runner } from '../../../src/dsl/index.ts';
import { PROJECT_ROOT } from '../../../src/cli/project.ts';
import { noInput, onFailureHandler } from '../../fixtures/tasks.ts';

const base = { schedule: null, startDate: '2024-01-01', params: { channels: param(z.array(z.string()).default(['log'])) } } as const;
const cluster = {
  kind: 'kubernetes' as const,
  image: 'tasks:1',
  namespace: 'hp',
  secretEnv: { secretName: 'task-secrets', names: ['AWS_SECRET_ACCESS_KEY', 'SLACK_WEBHOOK_URL'] },
  workerEnv: ['MLFLOW_TRACKING_URI', 'AWS_ENDPOINT_URL_S3'],
} satisfies Runner;
const withHandler = (runner: Runner = cluster) =>
  dag('pods', { ...base, profiles: { local: { kind: 'bash' }, cluster: runner } }, (d) => {
    d.task(noInput, {});
    d.onFailure(onFailureHandler, { inputs: { channels: d.params.channels } });
  });
const compile = (target: ReturnType<typeof withHandler>, options: Partial<Parameters<typeof compileDag>[1]> = {}) =>
  compileDag(target, { root: PROJECT_ROOT, profile: 'cluster', scriptExists: () => true, ...options }).contents;

describe('a Kubernetes runner', () => {
  const python = compile(withHandler());

  it("fills each secret from the Secret's key of its name, optional, and passes the settings on from the worker", () => {
    expect(python).toContain("\nTASK_SECRETS = _secret_env('task-secrets', 'AWS_SECRET_ACCESS_KEY', 'SLACK_WEBHOOK_URL')\n");
    expect(python).toContain('from airflow.providers.cncf.kubernetes.secret import Secret');
    expect(python).toContain('env.value_from.secret_key_ref.optional = True');
    expect(python).toContain("\nWORKER_ENV = ('MLFLOW_TRACKING_URI', 'AWS_ENDPOINT_URL_S3',)\n");
    // spelled once, used by the task and the failure handler
    expect(python.match(/secrets=TASK_SECRETS,\n\s+worker_env=WORKER_ENV,/g)).toHaveLength(2);
    expect(python).not.toMatch(/'AWS_SECRET_ACCESS_KEY': /); // a name, never an env entry with a value
  });

  it('runs the XCom sidecar on the task image, logs, deletes the pod, and keeps the pod spec out of the error', () => {
    expect(python).toContain('container.image = self.hook.get_xcom_sidecar_container_image() or self.image');
    expect(python).toMatch(/get_logs=True,\n\s+on_finish_action='delete_pod',\n\s+log_pod_spec_on_failure=False,\n\s+termination_message_policy='FallbackToLogsOnError',\n\s+startup_check_interval_seconds=1,/);
    expect(python).not.toContain('hostnetwork=');
  });

  it('runs the failure handler in a pod of the task image, not as node on the worker', () => {
    expect(python).toContain('handler = NodeTaskPodOperator(');
    expect(python).toMatch(/handler = NodeTaskPodOperator\([^)]*'\/opt\/health-predict\/dist\/tasks\/on-failure-handler.mjs'/);
    expect(python).toContain('handler.execute({**context, "ti": _NoXComPush(ti)})');
    expect(python).not.toContain('import subprocess');
    expect(python).not.toContain('TASKS_DIR');
  });

  it('takes the image, namespace and network from the build flags (dag build --task-image, --namespace, --host-network)', () => {
    const deployed = compile(withHandler(), { pod: { image: 'registry:5000/tasks@sha256:abc', namespace: 'prod-tasks', hostNetwork: true } });
    expect(deployed.match(/image='registry:5000\/tasks@sha256:abc',/g)).toHaveLength(2); // the task and the handler
    expect(deployed.match(/namespace='prod-tasks',/g)).toHaveLength(2);
    expect(deployed).not.toContain("image='tasks:1'");
    expect(deployed.match(/hostnetwork=True,/g)).toHaveLength(2);
    expect(compile(withHandler(), { profile: 'local', pod: { image: 'x:1' } })).toContain('subprocess.run(command');
  });

  it('names each distinct value of runners that differ once', () => {
    const other = { ...cluster, workerEnv: ['MODEL_NAME'] };
    const mixed = dag('mixed', { ...base, profiles: { local: { kind: 'bash' }, cluster } }, (d) => {
      d.task(noInput, { id: 'a' });
      d.task(noInput, { id: 'b', runner: other });
    });
    const python = compileDag(mixed, { root: PROJECT_ROOT, profile: 'cluster', scriptExists: () => true }).contents;
    expect(python).toContain("\nWORKER_ENV = ('MLFLOW_TRACKING_URI', 'AWS_ENDPOINT_URL_S3',)\nWORKER_ENV_2 = ('MODEL_NAME',)\n");
    expect(python.match(/^TASK_SECRETS = /gm)).toHaveLength(1);
  });

  describe("a task's pod needs", () => {
    const needs = dag('needs', { ...base, profiles: { local: { kind: 'bash' }, cluster } }, (d) => {
      d.task(noInput, { id: 'plain' });
      d.task(noInput, { id: 'deployer', pod: { serviceAccountName: 'health-predict-deployer' } });
      d.task(noInput, { id: 'builder', pod: { docker: true } });
    });
    const operator = (python: string, id: string) => python.slice(python.indexOf(`task_id='${id}'`)).split('\n    )\n')[0]!;

    it('runs only that task as its service account', () => {
      const python = compileDag(needs, { root: PROJECT_ROOT, profile: 'cluster', scriptExists: () => true }).contents;
      expect(operator(python, 'deployer')).toContain("service_account_name='health-predict-deployer',");
      expect(operator(python, 'plain')).not.toContain('service_account_name=');
      expect(operator(python, 'builder')).not.toContain('service_account_name=');
    });

    it("mounts the node's Docker socket (dag build --docker-socket) only where a task needs Docker, with its group and DOCKER_HOST", () => {
      const pod = { dockerSocket: { path: '/run/stack/docker.sock', group: 106 } };
      const python = compileDag(needs, { root: PROJECT_ROOT, profile: 'cluster', scriptExists: () => true, pod }).contents;
      const builder = operator(python, 'builder');
      expect(builder).toContain("volumes=[k8s.V1Volume(name='docker-socket', host_path=k8s.V1HostPathVolumeSource(path='/run/stack/docker.sock', type='Socket'))],");
      expect(builder).toContain("volume_mounts=[k8s.V1VolumeMount(name='docker-socket', mount_path='/var/run/docker.sock')],");
      expect(builder).toContain('security_context=k8s.V1PodSecurityContext(supplemental_groups=[106]),');
      expect(builder).toContain("'DOCKER_HOST': literal('unix:///var/run/docker.sock'),"); // declared, so the worker's DOCKER_HOST is not passed
      for (const id of ['plain', 'deployer']) expect(operator(python, id)).not.toMatch(/volumes=|DOCKER_HOST|security_context=/);
    });

    it("leaves Docker to DOCKER_HOST when the runner names no socket, and a bash task to the worker's environment", () => {
      const python = compileDag(needs, { root: PROJECT_ROOT, profile: 'cluster', scriptExists: () => true }).contents;
      expect(operator(python, 'builder')).not.toMatch(/volumes=|'DOCKER_HOST'/);
      const local = compileDag(needs, { root: PROJECT_ROOT, profile: 'local', scriptExists: () => true }).contents;
      expect(local).not.toMatch(/service_account_name|volumes=|'DOCKER_HOST'/);
    });

    it('refuses a need it does not know', () => {
      const bad = dag('bad', { ...base, profiles: { local: { kind: 'bash' }, cluster } }, (d) => {
        d.task(noInput, { pod: { gpu: true } as never });
      });
      expect(() => compileDag(bad, { root: PROJECT_ROOT, profile: 'cluster', scriptExists: () => true })).toThrow(/gpu/);
    });
  });

  it('refuses a secret that is also a setting from the worker or a static env value', () => {
    for (const clash of [{ workerEnv: ['SLACK_WEBHOOK_URL'] }, { env: { SLACK_WEBHOOK_URL: 'https://x' } }]) {
      expect(() => compile(withHandler({ ...cluster, ...clash }))).toThrow(DagValidationError);
      expect(() => compile(withHandler({ ...cluster, ...clash }))).toThrow(/a secret \(secretEnv\) must not also be in env or workerEnv/);
    }
  });
});
