/**
 * Run artifacts through the tracking server's artifact proxy (`mlflow server` serves them by
 * default; `--artifacts-destination` says where they land). A run's artifact_uri is
 * `mlflow-artifacts:/<experiment>/<run>/artifacts`; its path after the scheme is the proxy
 * path: PUT/GET /api/2.0/mlflow-artifacts/artifacts/<that path>/<artifact path> (raw bytes),
 * GET /api/2.0/mlflow-artifacts/artifacts?path=<that path>/<dir> to list. The server does not
 * check that the run exists; we take the path from the run itself, so it is always the run's.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { MlflowBadRequestError, MlflowError } from './errors.ts';
import { artifactEntry } from './schemas.ts';
import type { RunsApi } from './runs.ts';
import type { Transport } from './transport.ts';

const API = '/api/2.0/mlflow-artifacts/artifacts';

/** A run id, or a run's info (saves looking up its artifact URI). */
export type RunRef = string | { runId: string; artifactUri: string };

export interface ArtifactEntry {
  /** Relative to the run's artifact root, '/'-separated. */
  path: string;
  isDir: boolean;
  fileSize?: number;
}

/** Checks and URL-encodes a relative artifact path (`model/model.onnx`). */
export function encodeArtifactPath(artifactPath: string): string {
  const segments = artifactPath.split('/');
  if (!artifactPath || artifactPath.startsWith('/') || segments.some((s) => s === '' || s === '.' || s === '..') || artifactPath.includes('\\')) {
    throw new MlflowBadRequestError(`Artifact path '${artifactPath}' must be relative, '/'-separated, without empty, '.' or '..' segments.`, { method: '-', path: API });
  }
  return segments.map(encodeURIComponent).join('/');
}

/** The proxy path of an artifact root: `mlflow-artifacts:/1/abc/artifacts` (or `mlflow-artifacts://host:port/1/…`) → `1/abc/artifacts`. */
export function proxyRoot(artifactUri: string, runId: string): string {
  const match = /^mlflow-artifacts:(?:\/\/[^/]*)?\/+(.*?)\/*$/.exec(artifactUri);
  if (!match?.[1]) {
    throw new MlflowError(
      `Run ${runId} keeps its artifacts at '${artifactUri}', not behind the tracking server's artifact proxy (mlflow-artifacts:/…). Start the server with artifact serving (the default, with --artifacts-destination) and use an experiment created under it.`,
      { method: '-', path: API },
    );
  }
  return match[1];
}

export function artifactsApi(t: Transport, runs: Pick<RunsApi, 'get'>) {
  const roots = new Map<string, string>();

  async function root(ref: RunRef): Promise<string> {
    if (typeof ref !== 'string') return proxyRoot(ref.artifactUri, ref.runId);
    let cached = roots.get(ref);
    if (!cached) {
      const { info } = await runs.get(ref);
      cached = proxyRoot(info.artifactUri, ref);
      roots.set(ref, cached);
    }
    return cached;
  }

  const url = async (ref: RunRef, artifactPath: string) => `${API}/${(await root(ref)).split('/').map(encodeURIComponent).join('/')}/${encodeArtifactPath(artifactPath)}`;

  const api = {
    /** Writes `data` as `artifactPath` of the run (overwriting an existing file). */
    async upload(ref: RunRef, artifactPath: string, data: Uint8Array | string): Promise<void> {
      const body = typeof data === 'string' ? Buffer.from(data) : data;
      await t.json('PUT', await url(ref, artifactPath), z.unknown(), { body, artifact: true });
    },

    /** Uploads a local file; `artifactPath` defaults to its base name. */
    async uploadFile(ref: RunRef, localFile: string, artifactPath = path.basename(localFile)): Promise<void> {
      await api.upload(ref, artifactPath, await readFile(localFile));
    },

    /** Uploads every file under `localDir` to `artifactDir` (default: the root). Returns the artifact paths. */
    async uploadDir(ref: RunRef, localDir: string, artifactDir?: string): Promise<string[]> {
      const uploaded: string[] = [];
      const entries = await readdir(localDir, { recursive: true, withFileTypes: true });
      for (const entry of entries.filter((e) => e.isFile()).sort((a, b) => a.name.localeCompare(b.name))) {
        const file = path.join(entry.parentPath ?? (entry as { path?: string }).path ?? localDir, entry.name); // parentPath: Node ≥20.12
        const relative = path.relative(localDir, file).split(path.sep).join('/');
        const artifactPath = artifactDir ? `${artifactDir}/${relative}` : relative;
        await api.uploadFile(ref, file, artifactPath);
        uploaded.push(artifactPath);
      }
      return uploaded;
    },

    /** The bytes of one artifact file; MlflowNotFoundError when it does not exist, MlflowBadRequestError for a directory. */
    async download(ref: RunRef, artifactPath: string): Promise<Buffer> {
      return t.bytes('GET', await url(ref, artifactPath));
    },

    async downloadFile(ref: RunRef, artifactPath: string, destination: string): Promise<void> {
      const data = await api.download(ref, artifactPath);
      await mkdir(path.dirname(destination), { recursive: true });
      await writeFile(destination, data);
    },

    /** Direct children of `dir` (default: the root); paths relative to the run's artifact root. A missing dir lists empty. */
    async list(ref: RunRef, dir?: string): Promise<ArtifactEntry[]> {
      const base = await root(ref);
      if (dir) encodeArtifactPath(dir); // validates; the query string does the encoding
      const target = dir ? `${base}/${dir}` : base;
      const body = await t.json('GET', API, z.object({ files: z.array(artifactEntry).default([]) }), { query: { path: target } });
      // The proxy answers names relative to the listed directory.
      return body.files.map((f) => ({ ...f, path: dir ? `${dir}/${f.path}` : f.path }));
    },
  };
  return api;
}
export type ArtifactsApi = ReturnType<typeof artifactsApi>;
