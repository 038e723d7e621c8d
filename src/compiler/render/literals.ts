/**
 * The ONLY place that turns values into source text for generated Python, shell and Jinja.
 * Every user-supplied string that lands in a generated file goes through one of these.
 *
 * Escaping rules (all functions work on code points; a lone UTF-16 surrogate is one code point):
 *
 * - pyStr: Python 3 str literal, quoted as Python's repr quotes (single unless the text has
 *   `'` and no `"`). `\`, the quote, `\n` `\r` `\t` get their short escapes. Code points in the categories Cc, Cf, Cs, Zl, Zp, Co, Cn (controls, format
 *   chars such as BOM/ZWJ, lone surrogates, U+2028/2029, private use, unassigned) become
 *   `\xNN` / `\uNNNN` / `\UNNNNNNNN`. Everything else (printable non-ASCII included) stays
 *   literal: generated files are UTF-8. So the literal never spans lines and no invisible char
 *   can hide in it. `{{ }}`, `$(…)`, `"` need nothing: inside a Python str they are inert.
 * - pyValue: JSON-like data → Python literal on one line (`, ` and `: ` separators).
 *   Integers print as Python ints (no exponent); other finite numbers use JS's shortest
 *   round-trip form, which is always valid Python float syntax (`0.1`, `1.5e-7`, `5e-324`).
 *   -0 prints as `0` (as in JSON). Anything not JSON-like throws a TypeError naming its path.
 * - shellQuote: POSIX single quotes; an embedded `'` becomes `'\''`. Strings of only
 *   [A-Za-z0-9_/.,:@%+-] stay bare (`=` is quoted so a word can never be read as an
 *   assignment). NUL throws: no shell word can carry it.
 * - jinjaStr: Jinja2 single-quoted string literal for use inside `{{ … }}`. Jinja's lexer
 *   normalises raw newlines and then decodes with `encode('ascii','backslashreplace')
 *   .decode('unicode-escape')`, so we emit printable ASCII only: `\` `'` and everything
 *   outside 0x20–0x7E is escaped (`\n` `\r` `\t`, else `\xNN`/`\uNNNN`/`\UNNNNNNNN`). As no raw
 *   CR/LF is ever emitted, newline normalisation cannot alter the value.
 */
import type Handlebars from 'handlebars';

/** A raw Python expression written by the compiler itself; emitted verbatim by pyValue. */
export class PyCode {
  constructor(readonly code: string) {}
  toString(): string {
    return this.code;
  }
}

export function py(code: string): PyCode {
  return new PyCode(code);
}

/** A dict literal that starts by unpacking other dicts: `{**BASE, 'key': value}`. */
export class PyDict {
  constructor(
    /** Python expressions of the dicts to unpack, in order. */
    readonly spreads: readonly PyCode[],
    readonly entries: Readonly<Record<string, unknown>>,
  ) {}
}

export function pyDict(spreads: readonly PyCode[], entries: Readonly<Record<string, unknown>>): PyDict {
  return new PyDict(spreads, entries);
}

const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  "'": "\\'",
  '"': '\\"',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

/** `\xNN`, `\uNNNN` or `\UNNNNNNNN` for one code point: valid in Python and Jinja literals. */
function hexEscape(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  if (cp < 0x100) return '\\x' + cp.toString(16).padStart(2, '0');
  if (cp < 0x10000) return '\\u' + cp.toString(16).padStart(4, '0');
  return '\\U' + cp.toString(16).padStart(8, '0');
}

function escapeChar(ch: string): string {
  return SHORT_ESCAPES[ch] ?? hexEscape(ch);
}

const PY_UNSAFE_SINGLE = /[\\'\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}\p{Co}\p{Cn}]/gu;
const PY_UNSAFE_DOUBLE = /[\\"\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}\p{Co}\p{Cn}]/gu;
const JINJA_UNSAFE = /[\\']|[^\x20-\x7e]/gu;

/**
 * Python 3 str literal evaluating to exactly `s` (lone surrogates included). Quotes are
 * chosen as Python's repr does: single, unless `s` has a `'` and no `"`.
 */
export function pyStr(s: string): string {
  if (s.includes("'") && !s.includes('"')) return '"' + s.replace(PY_UNSAFE_DOUBLE, escapeChar) + '"';
  return "'" + s.replace(PY_UNSAFE_SINGLE, escapeChar) + "'";
}

/** Jinja2 string literal (ASCII only) for use inside a `{{ … }}` expression. */
export function jinjaStr(s: string): string {
  return "'" + s.replace(JINJA_UNSAFE, escapeChar) + "'";
}

/**
 * JSON text of `value` that a Jinja template renders back unchanged. Jinja only acts on `{{`,
 * `{%` and `{#`; JSON's own syntax never puts one of those together (an object's `{` is followed
 * by `"` or `}`), so only strings can hold them, and there the `{` is written `\u007b`, which
 * JSON decodes to the same character.
 */
export function jinjaJsonText(value: unknown): string {
  return JSON.stringify(value).replace(/\{(?=[{%#])/g, '\\u007b');
}

const SHELL_BARE = /^[A-Za-z0-9_/.,:@%+-]+$/;

/** One POSIX shell word that expands to exactly `s`. */
export function shellQuote(s: string): string {
  if (s.includes('\0')) throw new TypeError('shellQuote: a shell argument cannot contain NUL');
  if (SHELL_BARE.test(s)) return s;
  return "'" + s.replace(/'/g, "'\\''") + "'";
}

function pyNumber(n: number, path: string): string {
  if (!Number.isFinite(n)) throw new TypeError(`pyValue: ${path} is ${n}; only finite numbers have a Python literal`);
  if (Number.isInteger(n)) return Math.abs(n) < 1e21 ? String(n) : BigInt(n).toString();
  return String(n); // shortest round-trip; `d.ddd`, `d.ddde-N` or `de-N`: all valid Python floats
}

function childPath(path: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function isPlainObject(v: object): boolean {
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function describe(v: unknown): string {
  if (typeof v !== 'object' || v === null) return typeof v;
  return v.constructor?.name ? `a ${v.constructor.name} instance` : 'an exotic object';
}

function toPy(v: unknown, path: string, seen: Set<object>): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return pyNumber(v, path);
  if (typeof v === 'string') return pyStr(v);
  if (v instanceof PyCode) return v.code;
  if (v instanceof PyDict) return '{' + dictItems(v, path, (item, itemPath) => toPy(item, itemPath, seen)).join(', ') + '}';
  if (typeof v !== 'object' || !(Array.isArray(v) || isPlainObject(v))) {
    throw new TypeError(`pyValue: ${path} is ${describe(v)}, which has no Python literal (use py() for code)`);
  }
  if (seen.has(v)) throw new TypeError(`pyValue: ${path} is a circular reference`);
  seen.add(v);
  let out: string;
  if (Array.isArray(v)) {
    out = '[' + Array.from(v, (item, i) => toPy(item, `${path}[${i}]`, seen)).join(', ') + ']';
  } else {
    if (Object.getOwnPropertySymbols(v).length > 0) throw new TypeError(`pyValue: ${path} has symbol keys`);
    const entries = Object.entries(v).map(([k, item]) => `${pyStr(k)}: ${toPy(item, childPath(path, k), seen)}`);
    out = '{' + entries.join(', ') + '}';
  }
  seen.delete(v);
  return out;
}

function dictItems(d: PyDict, path: string, render: (item: unknown, path: string) => string): string[] {
  return [...d.spreads.map((spread) => `**${spread.code}`), ...Object.entries(d.entries).map(([k, item]) => `${pyStr(k)}: ${render(item, childPath(path, k))}`)];
}

/** JSON-like value (or PyCode) → single-line Python literal. `path` names the root in errors. */
export function pyValue(v: unknown, path = 'value'): string {
  return toPy(v, path, new Set());
}

/** Single-line literals longer than this are laid out one entry per line by pyBlock. */
const BLOCK_WIDTH = 60;

/**
 * Like pyValue, but a long top-level dict or list is written one entry per line with a
 * trailing comma, and a long string with line breaks as adjacent literals in parentheses, one
 * per line of text (Python joins them); indented for a value that starts at column `indent`.
 */
export function pyBlock(v: unknown, indent: number, path = 'value'): string {
  const flat = pyValue(v, path);
  if (flat.length > BLOCK_WIDTH && typeof v === 'string' && v.includes('\n')) {
    const pad = ' '.repeat(indent + 4);
    const lines = v.match(/[^\n]*\n|[^\n]+$/g)!.map((line) => `${pad}${pyStr(line)}`);
    return `(\n${lines.join('\n')}\n${' '.repeat(indent)})`;
  }
  if (flat.length <= BLOCK_WIDTH || typeof v !== 'object' || v === null || v instanceof PyCode) return flat;
  const pad = ' '.repeat(indent + 4);
  if (v instanceof PyDict) return `{\n${dictItems(v, path, pyValue).map((item) => `${pad}${item},`).join('\n')}\n${' '.repeat(indent)}}`;
  const lines = Array.isArray(v)
    ? v.map((item, i) => `${pad}${pyValue(item, `${path}[${i}]`)},`)
    : Object.entries(v).map(([k, item]) => `${pad}${pyStr(k)}: ${pyValue(item, childPath(path, k))},`);
  if (!lines.length) return flat;
  const [open, close] = Array.isArray(v) ? ['[', ']'] : ['{', '}'];
  return `${open}\n${lines.join('\n')}\n${' '.repeat(indent)}${close}`;
}

/** Registers `py` (pyValue), `pyblock` (pyBlock), `pystr` (pyStr) and `shq` (shellQuote) on a Handlebars instance. */
export function registerLiteralHelpers(hbs: typeof Handlebars): void {
  const helper = (name: string, render: (v: never) => string) =>
    hbs.registerHelper(name, function (this: unknown, ...args: unknown[]) {
      if (args.length !== 2) throw new Error(`{{${name}}} takes exactly one argument, got ${args.length - 1}`);
      return new hbs.SafeString(render(args[0] as never));
    });
  helper('py', (v: unknown) => pyValue(v, 'template value'));
  hbs.registerHelper('pyblock', (value: unknown, indent: unknown) => {
    if (typeof indent !== 'number') throw new Error('{{pyblock}} takes a value and an indent (number of spaces)');
    return new hbs.SafeString(pyBlock(value, indent, 'template value'));
  });
  helper('pystr', (v: unknown) => {
    if (typeof v !== 'string') throw new TypeError(`{{pystr}} expects a string, got ${describe(v)}`);
    return pyStr(v);
  });
  helper('shq', (v: unknown) => {
    if (typeof v !== 'string') throw new TypeError(`{{shq}} expects a string, got ${describe(v)}`);
    return shellQuote(v);
  });
}
