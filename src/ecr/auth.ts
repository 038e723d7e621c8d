/** ECR's registry login: GetAuthorizationToken → base64 "AWS:<password>" for the proxy endpoint. */
import { type ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import type { ImageLog } from '../images/docker.ts';
import { NonRetryableError } from '../runtime/errors.ts';
import { callEcr } from './client.ts';
import type { EcrConfig, RegistryLogin } from './config.ts';

export interface EcrAuthorization extends RegistryLogin {
  expiresAt?: Date;
}

/** Splits a decoded token at its first colon (passwords may contain colons). */
export function decodeAuthorizationToken(token: string): { username: string; password: string } {
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0 || colon === decoded.length - 1) throw new NonRetryableError('ECR returned an authorization token that is not base64 "user:password".');
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export async function getAuthorization(ecr: ECRClient, config: EcrConfig, log?: ImageLog): Promise<EcrAuthorization> {
  const response = await callEcr(config, 'getting a registry authorization token', () => ecr.send(new GetAuthorizationTokenCommand({})), log);
  const data = response.authorizationData?.[0];
  if (!data?.authorizationToken || !data.proxyEndpoint) throw new NonRetryableError('ECR returned no authorization data (token and proxy endpoint).');
  const { username, password } = decodeAuthorizationToken(data.authorizationToken);
  return { address: new URL(data.proxyEndpoint).host, username, password, expiresAt: data.expiresAt };
}
