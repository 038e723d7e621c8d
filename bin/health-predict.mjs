#!/usr/bin/env node
// The `health-predict` command: runs the TypeScript CLI through tsx (DAG sources are TypeScript).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
