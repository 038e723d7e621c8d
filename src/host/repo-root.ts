/** The checkout this code runs from: src/host → ../.., and a task bundle in dist/tasks → ../.. too. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
