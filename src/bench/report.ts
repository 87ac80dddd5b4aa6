// The benchmark table: one row per goal, printed and written to bench/results.md.
import { cpus, release } from 'node:os';

export interface Row {
  name: string;
  result: string;
  baseline: string;
  ratio: string;
  goal: string;
  /** null: the figure could not be measured on this machine (the row says why). */
  met: boolean | null;
}

const HEADER = ['Benchmark', 'Result', 'Baseline (same run)', 'Ratio / margin', 'Goal', 'Met'];

const cells = (r: Row) => [r.name, r.result, r.baseline, r.ratio, r.goal, r.met === null ? '-' : r.met ? 'yes' : 'NO'];

export function textTable(rows: Row[]): string {
  const all = [HEADER, ...rows.map(cells)];
  const widths = HEADER.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [line(HEADER), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map((r) => line(cells(r)))].join('\n');
}

export function markdown(rows: Row[], ctx: { command: string; dir: string; seconds: number; notes: string[] }): string {
  const md = (r: string[]) => `| ${r.join(' | ')} |`;
  return [
    '# Benchmark results',
    '',
    `Reproduce with \`${ctx.command}\` (see bench/README.md for what each row measures).`,
    '',
    md(HEADER),
    md(HEADER.map(() => '---')),
    ...rows.map((r) => md(cells(r))),
    '',
    `- When: ${new Date().toISOString()}; whole run ${ctx.seconds.toFixed(0)} s`,
    `- Machine: ${cpus()[0]?.model ?? 'unknown CPU'} x${cpus().length}, Linux ${release()}, Node ${process.version}`,
    `- Files: ${ctx.dir} (the save, latency and fsync figures are this disk's)`,
    ...ctx.notes.map((n) => `- ${n}`),
    '',
  ].join('\n');
}
