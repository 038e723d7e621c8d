/**
 * The Deployment and Service the deploy task applies: deploy/k8s/*.yaml with the release's
 * values set as objects (image, names, namespace, replicas, model labels/annotations, pull
 * secret, progress deadline, the previous-revision record). Pure apart from reading the files.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadYaml, type V1Deployment, type V1Service } from '@kubernetes/client-node';
import { K8sConfigError } from './errors.ts';
import { ANNOTATIONS, LABELS, type RevisionRecord } from './revision.ts';

export interface Release {
  namespace: string;
  deployment: string;
  service: string;
  image: string;
  replicas: number;
  progressDeadlineSeconds: number;
  imagePullSecret?: string;
  model: { name: string; version: string; runId?: string };
  /** What ran before this release (absent on the first deploy). */
  previous?: RevisionRecord;
  /** Who applied it, for the audit trail (dag run id). */
  appliedBy?: string;
}

export interface Manifests {
  deployment: V1Deployment;
  service: V1Service;
}

function readManifest<T>(dir: string, file: string, kind: string): T {
  const where = path.join(dir, file);
  let doc: { kind?: string } | undefined;
  try {
    doc = loadYaml<{ kind?: string }>(readFileSync(where, 'utf8'));
  } catch (error) {
    throw new K8sConfigError(`Cannot read the manifest ${where}: ${(error as Error).message}. K8S_MANIFEST_DIR must hold deployment.yaml and service.yaml.`, { cause: error });
  }
  if (doc?.kind !== kind) throw new K8sConfigError(`${where} must hold one ${kind}, found kind '${doc?.kind ?? '(none)'}'.`);
  return doc as T;
}

/** A label value: at most 63 of [A-Za-z0-9._-], starting and ending alphanumeric. */
export function labelValue(value: string): string {
  const cleaned = value.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 63).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  return cleaned || 'unknown';
}

export function renderManifests(dir: string, release: Release): Manifests {
  const deployment = readManifest<V1Deployment>(dir, 'deployment.yaml', 'Deployment');
  const service = readManifest<V1Service>(dir, 'service.yaml', 'Service');
  const template = deployment.spec?.template;
  const container = template?.spec?.containers?.[0];
  if (!deployment.spec || !template?.spec || !container) throw new K8sConfigError(`${path.join(dir, 'deployment.yaml')} needs spec.template.spec.containers[0] (the API container).`);

  const instance = { [LABELS.instance]: release.deployment };
  const modelLabels = { [LABELS.modelName]: labelValue(release.model.name), [LABELS.modelVersion]: labelValue(release.model.version) };
  const modelAnnotations = {
    [ANNOTATIONS.modelName]: release.model.name,
    [ANNOTATIONS.modelVersion]: release.model.version,
    ...(release.model.runId ? { [ANNOTATIONS.runId]: release.model.runId } : {}),
  };

  deployment.metadata = {
    ...deployment.metadata,
    name: release.deployment,
    namespace: release.namespace,
    labels: { ...deployment.metadata?.labels, ...instance, ...modelLabels },
    annotations: {
      ...deployment.metadata?.annotations,
      ...modelAnnotations,
      [ANNOTATIONS.image]: release.image,
      ...(release.previous ? { [ANNOTATIONS.previous]: JSON.stringify(release.previous) } : {}),
      ...(release.appliedBy ? { [ANNOTATIONS.appliedBy]: release.appliedBy } : {}),
    },
  };
  deployment.spec.replicas = release.replicas;
  deployment.spec.progressDeadlineSeconds = release.progressDeadlineSeconds;
  deployment.spec.selector = { matchLabels: { ...deployment.spec.selector?.matchLabels, ...instance } };
  template.metadata = {
    ...template.metadata,
    labels: { ...template.metadata?.labels, ...instance, ...modelLabels },
    annotations: { ...template.metadata?.annotations, ...modelAnnotations },
  };
  container.image = release.image;
  if (release.imagePullSecret) template.spec.imagePullSecrets = [{ name: release.imagePullSecret }];

  service.metadata = { ...service.metadata, name: release.service, namespace: release.namespace, labels: { ...service.metadata?.labels, ...instance } };
  service.spec = { ...service.spec, selector: { ...service.spec?.selector, ...instance } };
  return { deployment, service };
}
