import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import Handlebars from 'handlebars';
import { afterAll, describe, expect, it } from 'vitest';
import {
  PyCode,
  jinjaStr,
  py,
  pyStr,
  pyBlock,
  pyDict,
  pyValue,
  registerLiteralHelpers,
  shellQuote,
} from '../../../../src/compiler/render/literals.ts';

const PYTHON = process.env.HP_PYTHON ?? new URL('../../../../.venv/airflow/bin/python', import.meta.url).pathname;
const SENTINEL = join(tmpdir(), `hp-pwned-${randomBytes(6).toString('hex')}`);
const workDir = mkdtempSync(join(tmpdir(), 'hp-literals-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** Payloads that would be harmful if they escaped their literal; several try to create SENTINEL. */
const NASTY = [
  "'", '"', '"""', "'''", '\\', '\\\\', '\\n', '\n', '\r\n', '\r', '\0', '\u2028', '\u2029', '\ufeff',
  '\ud800', '\udfff', '\udbff\udc00', '\ud83d\ude00', '\u0085', '\x7f', '\u200d', '\uffff', '\ue000', '',
  '{{ ti }}', '{% raw %}', '{% endraw %}', '{# x #}', '}}', "{{ '", '$(touch /tmp/pwned)', '`id`',
  `$(touch ${SENTINEL})`, `\`touch ${SENTINEL}\``, `'; touch ${SENTINEL}; '`, `"; touch ${SENTINEL}; "`,
  `'; import os; os.system("touch ${SENTINEL}") #`, `'''; import os; os.system("touch ${SENTINEL}") #`,
  `\\'; import os; os.system("touch ${SENTINEL}") #`, `\\N{LATIN SMALL LETTER A}`, '\\x41', '\\u0041',
  `' ~ cycler.__init__.__globals__.os.system('touch ${SENTINEL}') ~ '`, 'a=b', '-n', '~', '*', '!!', 'é',
];

function requirePython(): string {
  if (!existsSync(PYTHON)) {
    throw new Error(`Python interpreter not found at ${PYTHON}: run \`make setup\` (or set HP_PYTHON)`);
  }
  return PYTHON;
}

/** Runs a generated Python file; returns stdout. Each literal sits on its own line so a SyntaxError names it. */
function runPython(source: string): string {
  const file = join(workDir, `prog-${randomBytes(4).toString('hex')}.py`);
  writeFileSync(file, source, 'utf8');
  const r = spawnSync(requirePython(), ['-I', file], { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 20_000 });
  if (r.error) throw new Error(`failed to run ${PYTHON}: ${r.error.message} (run \`make setup\`)`);
  if (r.status !== 0 || r.stderr !== '') {
    throw new Error(`python exited ${r.status}\n${r.stderr}\n--- source (${file}) ---\n${source.slice(0, 4000)}`);
  }
  return r.stdout;
}

/** Evaluates VALUES = [<lit>, ...] in Python and returns json.dumps(VALUES) parsed back. */
function evalPythonLiterals(literals: string[]): unknown[] {
  const src = ['VALUES = [', ...literals.map((l) => `    ${l},`), ']',
    'import json, sys', 'sys.stdout.write(json.dumps(VALUES))', ''].join('\n');
  return JSON.parse(runPython(src)) as unknown[];
}

/** Element-wise comparison that points at the first failing sample (no shrinking needed). */
function expectAllEqual(inputs: unknown[], outputs: unknown[], literals: string[]): void {
  expect(outputs).toHaveLength(inputs.length);
  inputs.forEach((input, i) => {
    expect(outputs[i], `sample ${i}: input ${JSON.stringify(input)} literal ${literals[i]}`).toStrictEqual(input);
  });
}

function expectNoSentinel(): void {
  const created = existsSync(SENTINEL);
  rmSync(SENTINEL, { force: true }); // so one injection is reported once, and nothing is left behind
  expect(created, `payload created ${SENTINEL}`).toBe(false);
}

const BATCH = 400;
const RUNS = 5;
const fcOpts = { numRuns: RUNS, endOnFailure: true } as const;
const binaryStr = fc.string({ unit: 'binary', maxLength: 40 });
const graphemeStr = fc.string({ unit: 'grapheme', maxLength: 20 });
const nastyMix = fc.array(fc.constantFrom(...NASTY), { maxLength: 4 }).map((xs) => xs.join(''));
const anyStr = fc.oneof(binaryStr, graphemeStr, fc.constantFrom(...NASTY), nastyMix);

/** `quote` turns each input into the literal beside it. */
function expectLiterals(quote: (s: string) => string, cases: readonly (readonly [input: string, literal: string])[]): void {
  for (const [input, literal] of cases) expect(quote(input), JSON.stringify(input)).toBe(literal);
}

/**
 * Each batch, after the NASTY strings, quoted by `quote` and read back by `evaluate`, comes back
 * unchanged, and no payload ran.
 */
function expectStringsRoundTrip(batches: fc.Arbitrary<string[]>, quote: (s: string) => string, evaluate: (literals: string[]) => unknown[]): void {
  fc.assert(fc.property(batches, (batch) => {
    const inputs = [...NASTY, ...batch];
    const literals = inputs.map((s) => quote(s));
    const outputs = evaluate(literals);
    expectNoSentinel();
    expectAllEqual(inputs, outputs, literals);
  }), fcOpts);
}

/** -0 becomes 0 in JSON; normalise so comparisons are meaningful. */
function normZero(v: unknown): unknown {
  if (typeof v === 'number') return Object.is(v, -0) ? 0 : v;
  if (Array.isArray(v)) return v.map(normZero);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normZero(x)]));
  }
  return v;
}

describe('pyStr', () => {
  it('unit cases', () => {
    expectLiterals(pyStr, [
      ['', "''"],
      ["it's", '"it\'s"'],
      [`it's "x"`, `'it\\'s "x"'`],
      ['say "hi"', `'say "hi"'`],
      ['a\\b\n\r\t', "'a\\\\b\\n\\r\\t'"],
      ['\0\x7f\u2028\ufeff\ud800', "'\\x00\\x7f\\u2028\\ufeff\\ud800'"],
      ['\u{10ffff}\ue000', "'\\U0010ffff\\ue000'"],
      ['héllo 日本 😀 {{ x }}', "'héllo 日本 😀 {{ x }}'"],
    ]);
    expect(pyStr('a\ud83d\ude00b')).toBe(pyStr('a😀b'));
  });

  it('every output is a single line of printable text (no invisible chars)', () => {
    fc.assert(fc.property(anyStr, (s) => {
      const lit = pyStr(s);
      expect(lit).not.toMatch(/[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}\p{Co}\p{Cn}]/u);
      expect(pyStr(s)).toBe(lit);
    }), { numRuns: 2000 });
  });

  it('round-trips through Python for binary, grapheme and nasty strings', () => {
    const strings = (arb: fc.Arbitrary<string>) => fc.array(arb, { minLength: BATCH, maxLength: BATCH });
    const batches = fc.tuple(strings(binaryStr), strings(graphemeStr), strings(nastyMix)).map(([a, b, c]) => [...a, ...b, ...c]);
    expectStringsRoundTrip(batches, pyStr, evalPythonLiterals);
  }, 30_000);
});

describe('pyValue', () => {
  it('renders nested values on one line in insertion order', () => {
    const v = { b: 1, a: [true, false, null, undefined, 'x'], n: { 'k y': -1.5, e: 1e21, t: 1.5e-7 }, c: py('timedelta(seconds=300)') };
    expect(pyValue(v)).toBe(
      "{'b': 1, 'a': [True, False, None, None, 'x'], 'n': {'k y': -1.5, 'e': 1000000000000000000000, 't': 1.5e-7}, " +
        "'c': timedelta(seconds=300)}",
    );
    expect(pyValue(new PyCode('datetime(2024, 1, 1)'))).toBe('datetime(2024, 1, 1)');
    expect(pyValue([])).toBe('[]');
    expect(pyValue({})).toBe('{}');
    expect(pyValue(-0)).toBe('0');
    expect(pyValue(Object.create(null) as object)).toBe('{}');
    expect(pyValue(v)).toBe(pyValue({ ...v, n: { ...v.n }, a: [...v.a] })); // deterministic, identity-free
  });

  it('throws TypeError naming the path', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ x: [0, 1, NaN] }, /params\.x\[2\] is NaN/],
      [{ x: Infinity }, /params\.x is Infinity/],
      [{ 'a b': [10n] }, /params\["a b"\]\[0\] is bigint/],
      [{ when: new Date(0) }, /params\.when is a Date instance/],
      [{ f: () => 1 }, /params\.f is function/],
      [[Symbol('s')], /params\[0\] is symbol/],
      [{ m: new Map() }, /params\.m is a Map instance/],
      [{ c: new (class Foo {})() }, /params\.c is a Foo instance/],
    ];
    for (const [v, re] of cases) {
      expect(() => pyValue(v, 'params')).toThrow(TypeError);
      expect(() => pyValue(v, 'params')).toThrow(re);
    }
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => pyValue(cyclic, 'params')).toThrow(/params\.self is a circular reference/);
    const shared = [1];
    expect(pyValue({ a: shared, b: shared })).toBe("{'a': [1], 'b': [1]}");
  });

  it('round-trips fc.jsonValue() through Python', () => {
    const vals = fc.array(fc.jsonValue(), { minLength: BATCH, maxLength: BATCH });
    const edge = [0, -1, 1e21, -1e21, 1.7976931348623157e308, 5e-324, 2 ** 53 + 2, 0.1, 1 / 3, 123456789012345678901];
    fc.assert(fc.property(vals, (vs) => {
      const inputs = [...edge, ...vs].map(normZero);
      const literals = inputs.map((v) => pyValue(v));
      for (const l of literals) expect(l).not.toMatch(/[\n\r]/);
      expectAllEqual(inputs, evalPythonLiterals(literals), literals);
    }), fcOpts);
  }, 30_000);
});

describe('pyBlock', () => {
  it('lays out long dicts and lists one entry per line and evaluates to the same value', () => {
    const big = { alpha: 'x'.repeat(40), nested: { a: [1, 2, NASTY[0]] }, list: NASTY.slice(0, 8), 'key with space': null };
    const block = pyBlock(big, 8);
    expect(block.split('\n')).toHaveLength(Object.keys(big).length + 2);
    expect(block.endsWith('\n        }')).toBe(true);
    expect(pyBlock({ a: 1 }, 8)).toBe("{'a': 1}");
    const values = [big, NASTY, { short: 1 }, []];
    const src = ['VALUES = [', ...values.map((v) => `        ${pyBlock(v, 8)},`), ']', 'import json, sys', 'sys.stdout.write(json.dumps(VALUES))', ''].join('\n');
    expect(JSON.parse(runPython(src))).toEqual(values);
  });

  it('writes a long string with line breaks as one literal per line in parentheses, evaluating to the same text', () => {
    const text = `first line ${NASTY.slice(0, 12).join(' ')}\nsecond '''\n\n"""last"""`;
    const block = pyBlock(text, 8);
    expect(block.split('\n')).toHaveLength(text.split('\n').length + 2);
    expect(block.startsWith('(\n            ')).toBe(true);
    expect(block.endsWith('\n        )')).toBe(true);
    expect(pyBlock('short\ntext', 8)).toBe("'short\\ntext'");
    const values = [text, `${text}\n`, 'x'.repeat(70) + '\n', NASTY.join('\n')];
    const src = ['VALUES = [', ...values.map((v) => `        ${pyBlock(v, 8)},`), ']', 'import json, sys', 'sys.stdout.write(json.dumps(VALUES))', ''].join('\n');
    expect(JSON.parse(runPython(src))).toEqual(values);
  });

  it('writes a dict that unpacks others first, in one line or one entry per line', () => {
    const short = pyDict([py('BASE')], { a: 1 });
    expect(pyValue(short)).toBe("{**BASE, 'a': 1}");
    const long = pyDict([py('BASE')], { text: NASTY[0]!, more: 'y'.repeat(60) });
    const block = pyBlock(long, 4);
    expect(block.split('\n')).toEqual(['{', '        **BASE,', `        'text': ${pyValue(NASTY[0])},`, `        'more': '${'y'.repeat(60)}',`, '    }']);
    const src = ["BASE = {'text': 'old', 'kept': 1}", `VALUE = ${block}`, 'import json, sys', 'sys.stdout.write(json.dumps(VALUE))', ''].join('\n');
    expect(JSON.parse(runPython(src))).toEqual({ text: NASTY[0], kept: 1, more: 'y'.repeat(60) });
  });
});

describe('shellQuote', () => {
  it('unit cases', () => {
    expectLiterals(shellQuote, [
      ['', "''"],
      ['abc/d.e-f_1:2@3%4+5,6', 'abc/d.e-f_1:2@3%4+5,6'],
      ["it's", "'it'\\''s'"],
      ['a=b', "'a=b'"],
      ['$(x) `y` *', "'$(x) `y` *'"],
    ]);
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
  });

  it('round-trips through bash printf', () => {
    const noNul = anyStr.filter((s) => !s.includes('\0'));
    fc.assert(fc.property(fc.array(noNul, { minLength: BATCH, maxLength: BATCH }), (xs) => {
      const inputs = [...NASTY.filter((s) => !s.includes('\0')), ...xs];
      const script = `printf '%s\\0' ${inputs.map(shellQuote).join(' ')}`;
      expect(script.length).toBeLessThan(100_000); // stays under the per-argument limit of execve
      const r = spawnSync('bash', ['-c', script], { encoding: 'buffer', env: { PATH: process.env.PATH, LC_ALL: 'C' } });
      expect(r.status, r.stderr?.toString()).toBe(0);
      const outputs = r.stdout.toString('utf8').split('\0').slice(0, -1);
      // bash sees bytes: lone surrogates can only travel as UTF-8 U+FFFD, as for any process argument.
      const expected = inputs.map((s) => Buffer.from(s, 'utf8').toString('utf8'));
      expectNoSentinel();
      expectAllEqual(expected, outputs, inputs.map(shellQuote));
    }), fcOpts);
  }, 30_000);
});

describe('jinjaStr', () => {
  it('unit cases', () => {
    expectLiterals(jinjaStr, [
      ['', "''"],
      ["a'b\\c", "'a\\'b\\\\c'"],
      ['\r\n\t\0é\u2028\ud800😀', "'\\r\\n\\t\\x00\\xe9\\u2028\\ud800\\U0001f600'"],
      ['{{ x }}', "'{{ x }}'"],
    ]);
  });

  it('emits printable ASCII only', () => {
    fc.assert(fc.property(anyStr, (s) => {
      expect(jinjaStr(s)).toMatch(/^'[\x20-\x7e]*'$/);
    }), { numRuns: 2000 });
  });

  it('round-trips through a Jinja2 SandboxedEnvironment', () => {
    const renderInJinja = (lits: string[]) => {
      const src = ['LITS = [', ...lits.map((l) => `    ${pyStr(l)},`), ']',
        'import json, sys',
        'from jinja2.sandbox import SandboxedEnvironment',
        'env = SandboxedEnvironment()',
        "sys.stdout.write(json.dumps([env.from_string('{{ ' + lit + ' }}').render() for lit in LITS]))", ''].join('\n');
      return JSON.parse(runPython(src)) as unknown[];
    };
    expectStringsRoundTrip(fc.array(anyStr, { minLength: BATCH, maxLength: BATCH }), jinjaStr, renderInJinja);
  }, 30_000);
});

describe('registerLiteralHelpers', () => {
  it('renders helpers without HTML escaping', () => {
    const hbs = Handlebars.create();
    registerLiteralHelpers(hbs);
    const t = hbs.compile('x = {{py v}}\ny = {{pystr s}}\ncmd = {{shq s}}', { noEscape: true });
    expect(t({ v: { a: [1, '<&>'] }, s: "<b> & 'q'" })).toBe(
      `x = {'a': [1, '<&>']}\ny = "<b> & 'q'"\ncmd = '<b> & '\\''q'\\'''`,
    );
    const escaping = hbs.compile('{{pystr s}}'); // even with escaping on, helpers output stays raw
    expect(escaping({ s: '<&>' })).toBe("'<&>'");
    expect(() => hbs.compile('{{py}}', { noEscape: true })({})).toThrow(/exactly one argument/);
    expect(() => hbs.compile('{{pystr n}}', { noEscape: true })({ n: 1 })).toThrow(/expects a string/);
  });
});
