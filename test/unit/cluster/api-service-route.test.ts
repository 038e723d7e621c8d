/**
 * The `kubernetes` Service's route on the local cluster (no kube-proxy): apiServiceIp:443 reaches
 * the API server, as pods' in-cluster config expects; routing again changes nothing, a rule to an
 * old API server port is replaced, and unrouting removes exactly this project's rules. Against
 * the local cluster when it is up; the route is always left in place (the cluster needs it).
 */
import { existsSync, readFileSync } from 'node:fs';
import https from 'node:https';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithService } from '../../harness/skip.ts';
import { routeApiService, unrouteApiService } from '../../../src/cluster/host.ts';
import { NETWORK, defaultStateDir, layoutOf } from '../../../src/cluster/layout.ts';
import { runCommand } from '../../../src/cluster/run.ts';
import { readState } from '../../../src/cluster/state.ts';

const layout = layoutOf(defaultStateDir());
const skipReason =
  process.getuid?.() !== 0 ? 'not running as root: the local cluster and iptables need it'
  : !existsSync(layout.kubeconfig) ? `the local cluster has no kubeconfig (${layout.kubeconfig}); run \`node bin/health-predict.mjs cluster up\``
  : !readState(layout.stateFile).ports ? `the local cluster has no ports recorded in ${layout.stateFile}; run \`node bin/health-predict.mjs cluster up\``
  : undefined;
const COMMENT = 'health-predict-cluster';

/** The nat rules of `chain` that DNAT apiServiceIp (any comment). */
async function serviceRules(chain: string): Promise<string[]> {
  const listing = await runCommand('iptables', ['-t', 'nat', '-S', chain]);
  expect(listing.code).toBe(0);
  return listing.stdout.split('\n').filter((line) => line.includes(`-d ${NETWORK.apiServiceIp}/32`) && line.includes('DNAT'));
}

async function hasServiceAddress(): Promise<boolean> {
  const addresses = await runCommand('ip', ['-o', 'addr', 'show', 'dev', NETWORK.dummyInterface]);
  return addresses.stdout.includes(`inet ${NETWORK.apiServiceIp}/32`);
}

/** GET https://apiServiceIp:443/version, verified against the cluster CA (the serving cert has that IP). */
function serviceVersion(): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = https.get(`https://${NETWORK.apiServiceIp}:443/version`, { ca: readFileSync(layout.cert('ca')), timeout: 5_000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    request.on('timeout', () => request.destroy(new Error(`no answer from ${NETWORK.apiServiceIp}:443 within 5 s`)));
    request.on('error', reject);
  });
}

describeWithService(skipReason, 'the kubernetes Service route on the local cluster', () => {
  let apiserverPort: number;

  beforeAll(() => {
    apiserverPort = readState(layout.stateFile).ports!.apiserver;
  });
  afterAll(async () => {
    if (apiserverPort) await routeApiService(apiserverPort);
  });

  it('routes apiServiceIp:443 to the API server, once per chain however often it runs', async () => {
    await routeApiService(apiserverPort);
    await routeApiService(apiserverPort);
    for (const chain of ['OUTPUT', 'PREROUTING']) {
      const rules = await serviceRules(chain);
      expect(rules, chain).toHaveLength(1);
      expect(rules[0]).toContain(`--comment ${COMMENT}`);
      expect(rules[0]).toContain(`--dport 443`);
      expect(rules[0]).toContain(`--to-destination ${NETWORK.nodeIp}:${apiserverPort}`);
    }
    expect(await hasServiceAddress()).toBe(true);
    const answer = await serviceVersion();
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toHaveProperty('gitVersion');
  });

  it('replaces a rule to an old API server port', async () => {
    const stale = ['OUTPUT', '-d', `${NETWORK.apiServiceIp}/32`, '-p', 'tcp', '--dport', '443', '-m', 'comment', '--comment', COMMENT, '-j', 'DNAT', '--to-destination', `${NETWORK.nodeIp}:1`];
    expect((await runCommand('iptables', ['-t', 'nat', '-I', ...stale])).code).toBe(0);
    try {
      await routeApiService(apiserverPort);
      const rules = await serviceRules('OUTPUT');
      expect(rules).toHaveLength(1);
      expect(rules[0]).toContain(`--to-destination ${NETWORK.nodeIp}:${apiserverPort}`);
    } finally {
      await runCommand('iptables', ['-t', 'nat', '-D', ...stale]);
    }
    expect((await serviceVersion()).status).toBe(200);
  });

  it('unroutes only its own rules, and the route comes back', async () => {
    const foreign = ['OUTPUT', '-d', '10.96.255.254/32', '-p', 'tcp', '--dport', '443', '-m', 'comment', '--comment', `not-${COMMENT}`, '-j', 'DNAT', '--to-destination', `${NETWORK.nodeIp}:1`];
    expect((await runCommand('iptables', ['-t', 'nat', '-A', ...foreign])).code).toBe(0);
    try {
      const removed = await unrouteApiService();
      expect(removed).toEqual([`nat OUTPUT rule for ${NETWORK.apiServiceIp}:443`, `nat PREROUTING rule for ${NETWORK.apiServiceIp}:443`, `address ${NETWORK.apiServiceIp}`]);
      expect(await serviceRules('OUTPUT')).toEqual([]);
      expect(await serviceRules('PREROUTING')).toEqual([]);
      expect(await hasServiceAddress()).toBe(false);
      expect((await runCommand('iptables', ['-t', 'nat', '-C', ...foreign])).code).toBe(0);
    } finally {
      await runCommand('iptables', ['-t', 'nat', '-D', ...foreign]);
      await routeApiService(apiserverPort);
    }
    expect((await serviceVersion()).status).toBe(200);
  });
});
