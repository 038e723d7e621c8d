/**
 * The compose platform's `.env`: parsing as Compose reads it, the secrets `ensureEnvFile` writes once
 * (0600, a header, nothing regenerated, users' lines kept), and Fernet keys that Python's
 * cryptography accepts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../src/host/repo-root.ts';
import { PLATFORM_SECRETS, type PlatformSecret, ensureEnvFile, fernetKey, parseEnvFile } from '../../../src/platform/env-file.ts';
import { describeWithService } from '../../harness/skip.ts';

const SECRETS = Object.keys(PLATFORM_SECRETS) as PlatformSecret[];
const AIRFLOW_PYTHON = path.join(REPO_ROOT, '.venv', 'airflow', 'bin', 'python');

const dirs: string[] = [];
const tempEnvFile = () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hp-env-file-'));
  dirs.push(dir);
  return path.join(dir, '.env');
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const mode = (file: string) => statSync(file).mode & 0o777;

describe('parseEnvFile', () => {
  it('skips comments and blank lines, and reads `export KEY=value`', () => {
    const text = ['# a comment', '', '   ', '  # indented comment', 'A=1', 'export B=2', '  C = 3  '].join('\n');
    expect(parseEnvFile(text)).toEqual({ A: '1', B: '2', C: '3' });
  });

  it('removes matching single or double quotes and keeps what is inside as written', () => {
    const text = ['A="two words"', "B='# not a comment'", 'C=""', 'D="unbalanced', "E='a=b'"].join('\n');
    expect(parseEnvFile(text)).toEqual({ A: 'two words', B: '# not a comment', C: '', D: '"unbalanced', E: 'a=b' });
  });

  it('drops a trailing ` # comment` from an unquoted value, but not a # inside the value', () => {
    expect(parseEnvFile('A=value # the comment\nB=val#ue\nC=x\t# tab comment')).toEqual({ A: 'value', B: 'val#ue', C: 'x' });
  });

  it('keeps every `=` after the first in the value (base64 padding, URLs)', () => {
    expect(parseEnvFile('KEY=abc==\nURL=http://h/?a=1&b=2')).toEqual({ KEY: 'abc==', URL: 'http://h/?a=1&b=2' });
  });

  it('ignores lines that are not KEY=VALUE, and a later line wins', () => {
    expect(parseEnvFile('not a setting\n1BAD=x\nA=first\nA=second')).toEqual({ A: 'second' });
  });
});

describe('ensureEnvFile', () => {
  it('writes every secret on the first call, readable by its owner only, under a header', () => {
    const file = tempEnvFile();
    const { values, generated } = ensureEnvFile(file);
    expect(generated).toEqual(SECRETS);
    expect(mode(file)).toBe(0o600);
    const text = readFileSync(file, 'utf8');
    expect(text.startsWith('# Secrets of the local Airflow platform')).toBe(true);
    expect(text).toContain('Never commit this file');
    const parsed = parseEnvFile(text);
    expect(Object.keys(parsed).sort()).toEqual([...SECRETS].sort());
    for (const name of SECRETS) expect(parsed[name], name).toMatch(/\S{16,}/);
    expect(parsed).toEqual(values);
  });

  it('generates nothing on a second call and leaves the bytes as they were', () => {
    const file = tempEnvFile();
    const first = ensureEnvFile(file);
    const before = readFileSync(file);
    const second = ensureEnvFile(file);
    expect(second.generated).toEqual([]);
    expect(second.values).toEqual(first.values);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('keeps a line the user added and a secret the user changed; appends only what is missing', () => {
    const file = tempEnvFile();
    const own = '# mine\nSLACK_WEBHOOK_URL=https://hooks.example/x\nPOSTGRES_PASSWORD=chosen-by-me';
    writeFileSync(file, own, { mode: 0o644 });
    const { values, generated } = ensureEnvFile(file);
    expect(generated).toEqual(SECRETS.filter((name) => name !== 'POSTGRES_PASSWORD'));
    expect(values.POSTGRES_PASSWORD).toBe('chosen-by-me');
    expect(values.SLACK_WEBHOOK_URL).toBe('https://hooks.example/x');
    const text = readFileSync(file, 'utf8');
    expect(text.startsWith(`${own}\n`)).toBe(true);
    expect(text).not.toContain('# Secrets of the local Airflow platform');
    expect(mode(file)).toBe(0o600);
  });

  it('generates a deleted line again, and only that one', () => {
    const file = tempEnvFile();
    const first = ensureEnvFile(file);
    const kept = readFileSync(file, 'utf8').split('\n').filter((line) => !line.startsWith('AIRFLOW_JWT_SECRET=')).join('\n');
    writeFileSync(file, kept);
    const second = ensureEnvFile(file);
    expect(second.generated).toEqual(['AIRFLOW_JWT_SECRET']);
    expect(second.values.AIRFLOW_JWT_SECRET).toMatch(/^[0-9a-f]{64}$/);
    expect(second.values.AIRFLOW_JWT_SECRET).not.toBe(first.values.AIRFLOW_JWT_SECRET);
    const { AIRFLOW_JWT_SECRET: _new, ...rest } = second.values;
    const { AIRFLOW_JWT_SECRET: _old, ...before } = first.values;
    expect(rest).toEqual(before);
    expect(parseEnvFile(readFileSync(file, 'utf8'))).toEqual(second.values);
  });

  it('treats an empty value as missing', () => {
    const file = tempEnvFile();
    writeFileSync(file, 'AIRFLOW_FERNET_KEY=\n');
    const { values, generated } = ensureEnvFile(file);
    expect(generated).toContain('AIRFLOW_FERNET_KEY');
    expect(values.AIRFLOW_FERNET_KEY).not.toBe('');
    expect(parseEnvFile(readFileSync(file, 'utf8')).AIRFLOW_FERNET_KEY).toBe(values.AIRFLOW_FERNET_KEY);
  });

  it('gives two files different values for every secret', () => {
    const a = ensureEnvFile(tempEnvFile()).values;
    const b = ensureEnvFile(tempEnvFile()).values;
    for (const name of SECRETS) expect(a[name], name).not.toBe(b[name]);
    expect(new Set(SECRETS.map((name) => a[name])).size).toBe(SECRETS.length);
  });
});

describe('fernetKey', () => {
  it('is URL-safe base64 with its padding that decodes to exactly 32 bytes', () => {
    for (let i = 0; i < 200; i++) {
      const key = fernetKey();
      expect(key).toMatch(/^[A-Za-z0-9_-]{43}=$/);
      expect(Buffer.from(key, 'base64url')).toHaveLength(32);
    }
  });
});

describeWithService(existsSync(AIRFLOW_PYTHON) ? undefined : `no ${AIRFLOW_PYTHON} (make setup creates it)`, "fernetKey in Python's cryptography", () => {
  it('is accepted by cryptography.fernet.Fernet, which encrypts and decrypts with it', () => {
    const keys = Array.from({ length: 20 }, fernetKey);
    const script = 'import sys\nfrom cryptography.fernet import Fernet\nfor key in sys.argv[1:]:\n    f = Fernet(key.encode())\n    assert f.decrypt(f.encrypt(b"x")) == b"x"\nprint(len(sys.argv) - 1)';
    const run = spawnSync(AIRFLOW_PYTHON, ['-c', script, ...keys], { encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe(String(keys.length));
  });
});
