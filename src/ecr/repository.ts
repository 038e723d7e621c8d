/** Makes sure the ECR repository exists: created with scan-on-push and the configured tag mutability, or found. */
import { CreateRepositoryCommand, DescribeRepositoriesCommand, type ECRClient, type Repository } from '@aws-sdk/client-ecr';
import type { ImageLog } from '../images/docker.ts';
import { NonRetryableError } from '../runtime/errors.ts';
import { callEcr } from './client.ts';
import type { EcrConfig } from './config.ts';

export interface EnsuredRepository {
  name: string;
  uri: string;
  registryId: string;
  tagMutability: string;
  scanOnPush: boolean;
  created: boolean;
}

function ensured(repository: Repository | undefined, created: boolean, name: string): EnsuredRepository {
  if (!repository?.repositoryUri || !repository.registryId) throw new NonRetryableError(`ECR answered without a URI for repository ${name}.`);
  return {
    name,
    uri: repository.repositoryUri,
    registryId: repository.registryId,
    tagMutability: repository.imageTagMutability ?? 'MUTABLE',
    scanOnPush: repository.imageScanningConfiguration?.scanOnPush ?? false,
    created,
  };
}

const isNamed = (error: unknown, name: string) => (error as { name?: string })?.name === name;

async function describe(ecr: ECRClient, config: EcrConfig, log?: ImageLog): Promise<Repository | undefined> {
  const name = config.repositoryName;
  return callEcr(config, `describing repository ${name}`, async () => {
    try {
      return (await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [name] }))).repositories?.[0];
    } catch (error) {
      if (isNamed(error, 'RepositoryNotFoundException')) return undefined;
      throw error;
    }
  }, log);
}

export async function ensureRepository(ecr: ECRClient, config: EcrConfig, log?: ImageLog): Promise<EnsuredRepository> {
  const name = config.repositoryName;
  const existing = await describe(ecr, config, log);
  if (existing) {
    const repository = ensured(existing, false, name);
    if (repository.tagMutability !== config.tagMutability || repository.scanOnPush !== config.scanOnPush) {
      log?.warn(
        { repository: name, tag_mutability: repository.tagMutability, scan_on_push: repository.scanOnPush },
        `ECR repository ${name} exists with tag mutability ${repository.tagMutability} and scan-on-push ${repository.scanOnPush}, not the configured ${config.tagMutability} / ${config.scanOnPush}; it is used as it is`,
      );
    }
    return repository;
  }
  const created = await callEcr(config, `creating repository ${name}`, async () => {
    try {
      const response = await ecr.send(new CreateRepositoryCommand({
        repositoryName: name,
        imageTagMutability: config.tagMutability,
        imageScanningConfiguration: { scanOnPush: config.scanOnPush },
      }));
      return response.repository;
    } catch (error) {
      if (isNamed(error, 'RepositoryAlreadyExistsException')) return undefined; // another run created it meanwhile
      throw error;
    }
  }, log);
  if (created) {
    log?.info({ repository: name, uri: created.repositoryUri }, `created ECR repository ${name} (tag mutability ${config.tagMutability}, scan on push ${config.scanOnPush})`);
    return ensured(created, true, name);
  }
  return ensured(await describe(ecr, config, log), false, name);
}
