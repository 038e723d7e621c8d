/** A small line diff for `dag build --check`: enough to see what changed, no dependency. */
export function lineDiff(before: string, after: string, context = 2): string {
  const a = before.split('\n');
  const b = after.split('\n');
  // Longest common subsequence table, from the end (files are a few hundred lines).
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i -= 1) {
    for (let j = b.length - 1; j >= 0; j -= 1) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const ops: { kind: ' ' | '-' | '+'; line: string; at: number }[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) ops.push({ kind: ' ', line: a[i++]!, at: j++ });
    else if (j < b.length && (i >= a.length || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) ops.push({ kind: '+', line: b[j]!, at: j++ });
    else ops.push({ kind: '-', line: a[i++]!, at: j });
  }
  const keep = new Set<number>();
  ops.forEach((op, index) => {
    if (op.kind === ' ') return;
    for (let k = Math.max(0, index - context); k <= Math.min(ops.length - 1, index + context); k += 1) keep.add(k);
  });
  const out: string[] = [];
  let previous = -2;
  for (const index of [...keep].sort((x, y) => x - y)) {
    if (index !== previous + 1) out.push(`@@ line ${ops[index]!.at + 1} @@`);
    out.push(`${ops[index]!.kind} ${ops[index]!.line}`);
    previous = index;
  }
  return out.join('\n');
}
