/**
 * A small strict XML well-formedness checker for the SVG tests (no XML package is installed):
 * one root element, properly nested and matching tags, quoted attributes without duplicates
 * or raw '<', only the five predefined or numeric entity references, valid XML 1.0 characters,
 * an optional XML declaration, comments. Returns the element tree with entities decoded.
 */
export interface XmlElement {
  readonly name: string;
  readonly attributes: Record<string, string>;
  readonly children: XmlElement[];
  /** Concatenated decoded text directly inside this element. */
  text: string;
}

const NAME = '[A-Za-z_:][-A-Za-z0-9_:.]*';
const ENTITY = /&(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/y;
const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const INVALID_CHAR = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export class XmlError extends Error {}

function decode(raw: string, at: number): string {
  let out = '';
  for (let i = 0; i < raw.length; ) {
    const c = raw[i]!;
    if (c === '<') throw new XmlError(`raw '<' at ${at + i}`);
    if (c !== '&') {
      out += c;
      i++;
      continue;
    }
    ENTITY.lastIndex = i;
    const m = ENTITY.exec(raw);
    if (!m) throw new XmlError(`bad entity reference at ${at + i}: ${JSON.stringify(raw.slice(i, i + 12))}`);
    const body = m[1]!;
    out += body.startsWith('#x')
      ? String.fromCodePoint(parseInt(body.slice(2), 16))
      : body.startsWith('#') ? String.fromCodePoint(parseInt(body.slice(1), 10)) : PREDEFINED[body]!;
    i += m[0].length;
  }
  return out;
}

export function parseXml(text: string): XmlElement {
  const bad = INVALID_CHAR.exec(text);
  if (bad) throw new XmlError(`character U+${bad[0].charCodeAt(0).toString(16)} is not allowed in XML (at ${bad.index})`);
  let i = 0;
  const decl = /^<\?xml\s+version="1\.[0-9]"(\s+encoding="[A-Za-z0-9._-]+")?(\s+standalone="(yes|no)")?\s*\?>/.exec(text);
  if (decl) i = decl[0].length;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const startTag = new RegExp(`<(${NAME})((?:\\s+${NAME}\\s*=\\s*(?:"[^"]*"|'[^']*'))*)\\s*(/?)>`, 'y');
  const endTag = new RegExp(`</(${NAME})\\s*>`, 'y');
  const attribute = new RegExp(`(${NAME})\\s*=\\s*(?:"([^"]*)"|'([^']*)')`, 'g');
  while (i < text.length) {
    if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end < 0) throw new XmlError(`unterminated comment at ${i}`);
      if (text.slice(i + 4, end).includes('--')) throw new XmlError(`'--' inside a comment at ${i}`);
      i = end + 3;
      continue;
    }
    if (text.startsWith('</', i)) {
      endTag.lastIndex = i;
      const m = endTag.exec(text);
      if (!m) throw new XmlError(`malformed end tag at ${i}`);
      const open = stack.pop();
      if (!open || open.name !== m[1]) throw new XmlError(`end tag </${m[1]}> at ${i} does not match <${open?.name ?? '(none)'}>`);
      i += m[0].length;
      continue;
    }
    if (text[i] === '<') {
      startTag.lastIndex = i;
      const m = startTag.exec(text);
      if (!m) throw new XmlError(`malformed tag at ${i}: ${JSON.stringify(text.slice(i, i + 40))}`);
      const attributes: Record<string, string> = {};
      for (const a of m[2]!.matchAll(attribute)) {
        if (a[1]! in attributes) throw new XmlError(`duplicate attribute ${a[1]} at ${i}`);
        attributes[a[1]!] = decode(a[2] ?? a[3] ?? '', i);
      }
      const element: XmlElement = { name: m[1]!, attributes, children: [], text: '' };
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(element);
      else if (root) throw new XmlError(`a second root element <${element.name}> at ${i}`);
      else root = element;
      if (m[3] !== '/') stack.push(element);
      i += m[0].length;
      continue;
    }
    const next = text.indexOf('<', i);
    const end = next < 0 ? text.length : next;
    const chunk = decode(text.slice(i, end), i);
    const parent = stack[stack.length - 1];
    if (parent) parent.text += chunk;
    else if (chunk.trim() !== '') throw new XmlError(`text outside the root element at ${i}`);
    i = end;
  }
  if (stack.length > 0) throw new XmlError(`unclosed <${stack[stack.length - 1]!.name}>`);
  if (!root) throw new XmlError('no root element');
  return root;
}

/** Every element of the tree, depth first. */
export function elements(root: XmlElement): XmlElement[] {
  return [root, ...root.children.flatMap(elements)];
}
