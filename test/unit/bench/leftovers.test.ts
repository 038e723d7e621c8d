/**
 * Nothing left behind: each benchmark and each service-starting command, run as a user runs it,
 * either fails early (another cluster running, an unreachable Docker daemon, a service that does
 * not come up) or is interrupted with SIGINT right after it started something; afterwards no
 * process it started is alive and its temporary directories are gone. The machine's own stack
 * and cluster are never touched: state dirs, TMPDIR and ports are this file's own, and the
 * cases that could reach the machine's cluster hold the cluster test lock.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { binariesPresent } from '../../../src/cluster/build.ts';
import { clusterDown, clusterStatus } from '../../../src/cluster/cluster.ts';
import { otherClusters } from '../../../src/cluster/host.ts';
import { defaultStateDir as defaultClusterDir } from '../../../src/cluster/layout.ts';
import { mountsUnder } from '../../../src/host/mounts.ts';
import { defaultStateDir, dockerUnavailableReason, readState, stackStatus } from '../../../src/stack/index.ts';
import { holdClusterTestLock } from '../../harness/cluster-lock.ts';
import { ML_PYTHON } from '../evaluation/onnx-fixture.ts';
import { k8sSkipReason } from '../k8s/k8s-fixture.ts';
import { ROOT, type Watched, survivors, watchCommand } from './watch-command.ts';

const CLI = [path.join(ROOT, 'bin/health-predict.mjs')];
const TSX = ['--import', 'tsx'];
const work = mkdtempSync(path.join(os.tmpdir(), 'hp-leftovers-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let counter = 0;
/** A fresh directory of this file's (a state dir, or the TMPDIR a benchmark makes its temporary directories in). */
function freshDir(name: string): string {
  const dir = path.join(work, `${name}-${++counter}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * The project's temporary directories (all named hp-…) left in a benchmark's TMPDIR. Not counted:
 * the Python bytecode cache the fixture keeps there, and what libraries leave (tsx's cache, logs).
 */
const leftIn = (dir: string) => readdirSync(dir).filter((entry) => entry.startsWith('hp-') && entry !== 'hp-pycache');

async function expectNothingAlive(watched: Watched): Promise<void> {
  const alive = await survivors(watched);
  expect(alive.map((p) => `${p.pid}: ${p.command}`), `processes left running\n${watched.stderr.slice(-2_000)}`).toEqual([]);
}

const hasMlPython = existsSync(ML_PYTHON);
const isRoot = process.getuid?.() === 0;
const bench = (name: string) => path.join(ROOT, 'bench', `${name}.ts`);

describe('stack up', { timeout: 240_000 }, () => {
  it.skipIf(!hasMlPython)('interrupted while its services start: stops what it started', async () => {
    const stateDir = freshDir('stack');
    const watched = await watchCommand(process.execPath, [...CLI, 'stack', 'up', '--state-dir', stateDir, '--services', 'moto,mlflow', '--moto-port', '0', '--mlflow-port', '0'], {
      interruptWhen: (p) => p.command.includes('moto_server'),
    });
    expect(watched.interrupted, watched.stderr).toBe(true);
    expect(watched.code, watched.stderr).toBe(130);
    await expectNothingAlive(watched);
    expect(readState(stateDir).services).toEqual({});
  });

  it.skipIf(!hasMlPython)('failing half-way (MLflow does not come up in time): stops the service that did', async () => {
    const stateDir = freshDir('stack');
    const watched = await watchCommand(process.execPath, [...CLI, 'stack', 'up', '--state-dir', stateDir, '--services', 'moto,mlflow', '--moto-port', '0', '--mlflow-port', '0', '--timeout', '6']);
    expect(watched.code, watched.stderr).toBe(1);
    expect(watched.seen.some((p) => p.command.includes('mlflow server')), `MLflow was started\n${watched.stderr}\n${watched.seen.map((p) => p.command).join('\n')}`).toBe(true);
    await expectNothingAlive(watched);
    expect(readState(stateDir).services).toEqual({});
  });
});

describe('cluster up', { timeout: 240_000 }, () => {
  const foreign = otherClusters(path.join(work, 'no-such-cluster')).length > 0;
  it.skipIf(!isRoot || !foreign)('refuses on another running cluster before it installs, builds or starts anything', async () => {
    const stateDir = path.join(freshDir('cluster'), 'state');
    const watched = await watchCommand(process.execPath, [...CLI, 'cluster', 'up', '--state-dir', stateDir], { markers: [stateDir] });
    expect(watched.code, watched.stderr).toBe(1);
    expect(watched.stderr).toMatch(/Another local cluster is running/);
    expect(watched.seen.filter((p) => p.command.includes(stateDir))).toEqual([]);
    expect(existsSync(stateDir), 'no state dir was made').toBe(false);
  });

  // A second cluster start shares the machine's node interface with the machine's cluster (and
  // `down` removes it when no other cluster runs), so this case runs only when asked for, on a
  // machine where nothing else starts a cluster meanwhile: HP_LEFTOVERS_CLUSTER=1.
  const canStart = process.env.HP_LEFTOVERS_CLUSTER === '1' && isRoot && binariesPresent() && otherClusters(path.join(work, 'no-such-cluster')).length === 0;
  it('interrupted after containerd started: stops it and releases its mounts', async (ctx) => {
    if (!canStart) ctx.skip('runs only as root with the cluster binaries built, no cluster running and HP_LEFTOVERS_CLUSTER=1: make test runs it first (test-cluster-interrupt), before its own cluster starts');
    const lock = await holdClusterTestLock();
    const stateDir = freshDir('cluster');
    try {
      const watched = await watchCommand(process.execPath, [...CLI, 'cluster', 'up', '--state-dir', stateDir], {
        markers: [`${stateDir}/`],
        interruptWhen: (p) => p.command.startsWith(`containerd --config ${stateDir}/`),
      });
      expect(watched.interrupted, watched.stderr).toBe(true);
      expect(watched.code, watched.stderr).toBe(130);
      await expectNothingAlive(watched);
      expect(mountsUnder(stateDir)).toEqual([]);
    } finally {
      await clusterDown({ stateDir }).catch(() => {});
      lock.release();
    }
  });
});

describe('bench:rollout', { timeout: 240_000 }, () => {
  const skip = k8sSkipReason(dockerUnavailableReason(path.join(os.tmpdir(), 'hp-bench-rollout-XXXXXX')));
  const elsewhere = path.join(work, 'no-such-cluster');
  it.skipIf(skip !== undefined || otherClusters(elsewhere).length === 0)('refuses on another running cluster before it starts its own dockerd, containerd and registry', async () => {
    const tmp = freshDir('tmp');
    const watched = await watchCommand(process.execPath, [...TSX, bench('rollout')], {
      env: { ...process.env, TMPDIR: tmp, HP_CLUSTER_DIR: elsewhere, HP_STACK_DIR: freshDir('stack') },
      markers: [tmp],
    });
    expect(watched.code, watched.stderr).toBe(1);
    expect(watched.stderr).toMatch(/Another local cluster is running/);
    expect(watched.seen.filter((p) => /dockerd|containerd|docker-registry/.test(p.command))).toEqual([]);
    expect(leftIn(tmp)).toEqual([]);
  });

  it.skipIf(skip !== undefined || otherClusters(defaultClusterDir()).length > 0)('interrupted once its dockerd runs: stops dockerd, containerd and the registry and removes the temporary stack', async ({ skip }) => {
    // It uses the machine's cluster, only when that is Ready (so the benchmark would reuse it and
    // never stop it); the lock keeps the cluster tests from restarting it meanwhile.
    const lock = await holdClusterTestLock();
    try {
      if (!(await clusterStatus({ stateDir: defaultClusterDir() })).nodeReady) skip('the local cluster is not running: the benchmark would start it (and stop it again) beside whatever else uses the machine');
      const running = await stackStatus({ stateDir: defaultStateDir(), services: ['docker', 'registry'] });
      if (running.services.docker.healthy && running.services.registry.healthy) skip('the stack in HP_STACK_DIR runs dockerd and the registry: the benchmark would reuse them and start nothing');
      const tmp = freshDir('tmp');
      const watched = await watchCommand(process.execPath, [...TSX, bench('rollout')], {
        env: { ...process.env, TMPDIR: tmp },
        markers: [tmp],
        interruptWhen: (p) => p.command.includes('dockerd') && p.command.includes(tmp),
      });
      expect(watched.interrupted, watched.stderr).toBe(true);
      expect(watched.code, watched.stderr).toBe(130);
      await expectNothingAlive(watched);
      expect(mountsUnder(tmp)).toEqual([]);
      expect(leftIn(tmp)).toEqual([]);
    } finally {
      lock.release();
    }
  });
});

describe('bench:pipeline', { timeout: 300_000 }, () => {
  const data = process.env.HP_REAL_DATA ?? '/work/shared/data/diabetes-130/diabetic_data.csv';
  const skip = k8sSkipReason(dockerUnavailableReason(path.join(os.tmpdir(), 'hp-bench-pipeline-XXXXXX')));
  it.skipIf(skip !== undefined || !hasMlPython || !existsSync(data))('interrupted once Airflow runs the DAG: stops Airflow, the stack and its dockerd, removes its bundles and directories', async ({ skip }) => {
    // It needs the machine's cluster Ready (it never starts one); the lock keeps the cluster tests from restarting it meanwhile.
    const lock = await holdClusterTestLock();
    try {
      if (!(await clusterStatus({ stateDir: defaultClusterDir() })).nodeReady) skip('the local cluster is not running: bench:pipeline refuses to start without it');
      // Directly under /tmp: the stack's socket paths under this file's deeper directories are too long for containerd.
      const tmp = mkdtempSync(path.join(os.tmpdir(), 'hpl-'));
      // A fresh checkout has no dist/ until something bundles (the benchmark makes it then).
      const benchBundles = () => (existsSync(path.join(ROOT, 'dist')) ? readdirSync(path.join(ROOT, 'dist')).filter((entry) => entry.startsWith('hp-bench-pipeline-')) : []);
      const bundlesBefore = benchBundles();
      const watched = await watchCommand(process.execPath, [...TSX, bench('pipeline'), '--health-window-s', '10'], {
        env: { ...process.env, TMPDIR: tmp },
        markers: [tmp],
        interruptWhen: (p) => p.command.includes('dags test health_predict_continuous_improvement'),
      });
      expect(watched.interrupted, watched.stderr).toBe(true);
      expect(watched.code, watched.stderr).toBe(130);
      expect(watched.seen.some((p) => p.command.includes('dockerd') && p.command.includes(tmp)), 'its own dockerd had started').toBe(true);
      await expectNothingAlive(watched);
      expect(mountsUnder(tmp)).toEqual([]);
      expect(leftIn(tmp)).toEqual([]);
      expect(benchBundles()).toEqual(bundlesBefore);
      rmSync(tmp, { recursive: true, force: true });
    } finally {
      lock.release();
    }
  });
});

describe('the API benchmarks', { timeout: 240_000 }, () => {
  it.skipIf(!hasMlPython)('bench:api interrupted once its server runs: stops it, removes its bundle and fixture', async () => {
    const tmp = freshDir('tmp');
    const watched = await watchCommand(process.execPath, [...TSX, bench('api'), '--duration', '60'], {
      env: { ...process.env, TMPDIR: tmp },
      interruptWhen: (p) => /hp-api-bench-\w+\/server\.mjs/.test(p.command),
    });
    expect(watched.interrupted, watched.stderr).toBe(true);
    expect(watched.code, watched.stderr).toBe(130);
    await expectNothingAlive(watched);
    expect(leftIn(tmp)).toEqual([]);
    const bundle = /(\S*hp-api-bench-\w+)\//.exec(watched.seen.find((p) => p.command.includes('hp-api-bench-'))!.command)![1]!;
    expect(existsSync(bundle), `${bundle} removed`).toBe(false);
  });

  it.skipIf(!hasMlPython)('bench:api --container with an unreachable Docker daemon: fails and removes its fixture', async () => {
    const tmp = freshDir('tmp');
    const watched = await watchCommand(process.execPath, [...TSX, bench('api'), '--container'], {
      env: { ...process.env, TMPDIR: tmp, DOCKER_HOST: `unix://${path.join(tmp, 'no-docker.sock')}` },
    });
    expect(watched.code, watched.stderr).toBe(1);
    await expectNothingAlive(watched);
    expect(leftIn(tmp)).toEqual([]);
  });

  it.skipIf(!hasMlPython)('bench:origin-peer interrupted once the peer runs: stops both services, removes bundle and fixture', async () => {
    const tmp = freshDir('tmp');
    const watched = await watchCommand(process.execPath, [...TSX, bench('origin-peer'), '--duration', '60'], {
      env: { ...process.env, TMPDIR: tmp },
      interruptWhen: (p) => p.command.includes('origin_peer.py'),
    });
    expect(watched.interrupted, watched.stderr).toBe(true);
    expect(watched.code, watched.stderr).toBe(130);
    expect(watched.seen.some((p) => p.command.includes('hp-api-bench-')), 'our server had started').toBe(true);
    await expectNothingAlive(watched);
    expect(leftIn(tmp)).toEqual([]);
  });
});

describe('the other benchmarks', { timeout: 240_000 }, () => {
  const data = process.env.HP_REAL_DATA ?? '/work/shared/data/diabetes-130/diabetic_data.csv';
  it.skipIf(!hasMlPython || !existsSync(data))('bench:train interrupted once the trainer runs: stops its whole process group', async () => {
    const watched = await watchCommand(process.execPath, [...TSX, bench('train')], {
      interruptWhen: (p) => p.command.includes('bench_train.py'),
    });
    expect(watched.interrupted, watched.stderr).toBe(true);
    expect(watched.code, watched.stderr).toBe(130);
    await expectNothingAlive(watched);
  });

  it.skipIf(!hasMlPython || !existsSync(data))('bench:ray interrupted once its worker node runs: stops the head and worker nodes and MLflow, removes its directories', async () => {
    const tmp = freshDir('tmp');
    const watched = await watchCommand(process.execPath, [...TSX, bench('ray')], {
      env: { ...process.env, TMPDIR: tmp },
      markers: [tmp],
      interruptWhen: (p) => p.command.includes('raylet/raylet') && p.command.includes('/w1/'),
    });
    expect(watched.interrupted, watched.stderr).toBe(true);
    expect(watched.code, watched.stderr).toBe(130);
    expect(watched.seen.some((p) => p.command.includes('gcs_server')), 'the head node had started').toBe(true);
    await expectNothingAlive(watched);
    expect(leftIn(tmp)).toEqual([]);
    // the cluster's temp dir falls back to /tmp when TMPDIR is too long for Ray's socket paths
    const clusterDir = /(\/\S*hp-ray-\w+)\//.exec(watched.seen.find((p) => p.command.includes('hp-ray-'))!.command)![1]!;
    expect(existsSync(clusterDir), `${clusterDir} removed`).toBe(false);
  });

  it.skipIf(!hasMlPython || !existsSync(data))('bench:loop interrupted once the trainer runs: stops the trainer and its private stack, removes its directories', async () => {
    const tmp = freshDir('tmp');
    const watched = await watchCommand(process.execPath, [...TSX, bench('loop'), '--plot', path.join(tmp, 'loop.svg')], {
      env: { ...process.env, TMPDIR: tmp },
      markers: [tmp],
      interruptWhen: (p) => p.command.includes('health_predict_trainer'),
    });
    expect(watched.interrupted, watched.stderr).toBe(true);
    expect(watched.code, watched.stderr).toBe(130);
    expect(watched.seen.some((p) => p.command.includes('mlflow server')), 'its own MLflow had started').toBe(true);
    await expectNothingAlive(watched);
    expect(leftIn(tmp)).toEqual([]);
  });

  it.skipIf(!hasMlPython || !existsSync(data))('bench:loop failing in training (no trainer Python): prints the JSON with the error, stops its private stack', async () => {
    const tmp = freshDir('tmp');
    const watched = await watchCommand(process.execPath, [...TSX, bench('loop'), '--plot', path.join(tmp, 'loop.svg')], {
      env: { ...process.env, TMPDIR: tmp, HEALTH_PREDICT_TRAINER_PYTHON: path.join(tmp, 'no-such-python') },
      markers: [tmp],
    });
    expect(watched.code, watched.stderr).toBe(1);
    const result = JSON.parse(watched.stdout.trim().split('\n').at(-1)!) as { error?: string; batches?: number };
    expect(result.error).toMatch(/run_training_and_hpo of bench_loop__improvement_0 exited 1/);
    expect(result.batches).toBe(0);
    await expectNothingAlive(watched);
    expect(leftIn(tmp)).toEqual([]);
  });

  it.skipIf(!hasMlPython)('bench:onnx-layout interrupted while it converts the model: removes its directories', async () => {
    const tmp = freshDir('tmp');
    const watched = await watchCommand(process.execPath, [...TSX, bench('onnx-layout')], {
      env: { ...process.env, TMPDIR: tmp },
      interruptWhen: (p) => p.command.includes('per_column_onnx.py'),
    });
    expect(watched.interrupted, watched.stderr).toBe(true);
    expect(watched.code, watched.stderr).toBe(130);
    await expectNothingAlive(watched);
    expect(leftIn(tmp)).toEqual([]);
  });

  it('bench:compile removes its work directory when it ends', async () => {
    const tmp = freshDir('tmp');
    const watched = await watchCommand(process.execPath, [...TSX, bench('compile')], { env: { ...process.env, TMPDIR: tmp, BENCH_RUNS: '1' } });
    expect(watched.code, watched.stderr).toBe(0);
    expect(leftIn(tmp)).toEqual([]);
  });
});
