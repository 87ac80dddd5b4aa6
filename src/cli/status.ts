// `ionworks-edge status`: what the status page shows, in the terminal. It asks the running daemon over HTTP
// (/api/status) instead of opening the state directory, so it works for any user who can reach the port.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { configSchema } from '../config/schema.js';
import { applyEnvOverrides } from '../config/env.js';
import type { StationView, StatusView } from '../ops/status-model.js';
import { ACTION_HEADER, RESUME_PATH } from '../ops/uploader-routes.js';
import type { UploaderState } from '../uploader/uploader.js';
import type { Command } from './commands.js';

export const DEFAULT_CONFIG = '/etc/ionworks-edge/config.yaml';
const TOKEN_ENV = 'IONWORKS_EDGE_HTTP__ACCESS_TOKEN';
const EX_USAGE = 64;
const EX_UNAVAILABLE = 69;
const EX_NOPERM = 77;

const HELP = `usage: ionworks-edge status [--config <file> | --url <url>] [--token <token>] [--json] [--resume]

Shows each station (active cell, readings, what is missing, last saved), the upload queue and the devices, as
the running daemon reports them on its status API (GET /api/status). It only talks HTTP to the daemon, so it
works whether or not you run it as the service's user; nothing is read from the state directory.

  --config <file>  find the daemon's address (and access token) in this config (default ${DEFAULT_CONFIG}
                   when readable, else http://127.0.0.1:8787)
  --url <url>      the daemon's address, e.g. http://127.0.0.1:8787
  --token <token>  access token when the daemon is bound beyond loopback (or ${TOKEN_ENV})
  --json           print the status as JSON
  --resume         first resume uploads halted after rows kept being rejected the same way (upload.halted), once
                   the cause is fixed; works only on the PC the daemon runs on (POST ${RESUME_PATH})
`;

export interface StatusDeps {
  fetch: typeof fetch;
  env: NodeJS.ProcessEnv;
  readFile: (path: string) => string;
  out: (s: string) => void;
  err: (s: string) => void;
}

const defaultDeps: StatusDeps = {
  fetch: (input, init) => fetch(input, init),
  env: process.env,
  readFile: (p) => readFileSync(p, 'utf8'),
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
};

export const statusCommand: Command = {
  summary: 'show stations, uploads and devices of the running daemon: status [--config F | --url U] [--json] [--resume]',
  run: (args) => runStatus(args, defaultDeps),
};

export async function runStatus(args: string[], deps: StatusDeps): Promise<number> {
  let values: { config?: string; url?: string; token?: string; json?: boolean; resume?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        config: { type: 'string', short: 'c' },
        url: { type: 'string' },
        token: { type: 'string' },
        json: { type: 'boolean' },
        resume: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    deps.err(`ionworks-edge status: ${(e as Error).message}\n\n${HELP}`);
    return EX_USAGE;
  }
  if (values.help) {
    deps.out(HELP);
    return 0;
  }
  if (values.config && values.url) {
    deps.err('ionworks-edge status: give --config or --url, not both\n');
    return EX_USAGE;
  }
  let target: { url: string; token?: string | undefined };
  try {
    target = values.url ? { url: values.url } : daemonAddress(values.config, deps);
  } catch (e) {
    deps.err(`ionworks-edge status: ${(e as Error).message}\n`);
    return EX_USAGE;
  }
  const token = values.token ?? deps.env[TOKEN_ENV] ?? target.token;
  const base = target.url.replace(/\/+$/, '');
  if (values.resume) {
    const code = await resumeUploads(base, deps, values.json === true);
    if (code !== 0) return code;
  }
  let res: Response;
  try {
    res = await deps.fetch(`${base}/api/status`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      signal: AbortSignal.timeout(5_000),
    });
  } catch (e) {
    deps.err(
      `The ionworks-edge daemon is not running, or not answering at ${base} (${reason(e)}).\n` +
        'Check it with: systemctl status ionworks-edge\n',
    );
    return EX_UNAVAILABLE;
  }
  if (res.status === 401) {
    deps.err(`The daemon at ${base} wants its access token: pass --token, set ${TOKEN_ENV}, or use --config with a readable config.\n`);
    return EX_NOPERM;
  }
  if (!res.ok) {
    deps.err(`The daemon at ${base} answered HTTP ${res.status} to /api/status.\n`);
    return EX_UNAVAILABLE;
  }
  const view = (await res.json()) as StatusView;
  deps.out(values.json ? `${JSON.stringify(view, null, 2)}\n` : formatStatus(view));
  return 0;
}

/** POST /api/uploader/resume and say what came of it (on stderr with --json, so stdout stays JSON). */
async function resumeUploads(base: string, deps: StatusDeps, json: boolean): Promise<number> {
  let res: Response;
  try {
    res = await deps.fetch(`${base}${RESUME_PATH}`, { method: 'POST', headers: { [ACTION_HEADER]: 'resume' }, signal: AbortSignal.timeout(5_000) });
  } catch (e) {
    deps.err(`The ionworks-edge daemon is not running, or not answering at ${base} (${reason(e)}).\n`);
    return EX_UNAVAILABLE;
  }
  if (res.status === 403) {
    deps.err(`The daemon at ${base} takes --resume only from the PC it runs on: run this command there.\n`);
    return EX_NOPERM;
  }
  if (res.status === 404) {
    deps.err(`The daemon at ${base} has no resume route (an older version): use systemctl reload ionworks-edge.\n`);
    return EX_UNAVAILABLE;
  }
  if (res.status !== 200 && res.status !== 409) {
    deps.err(`The daemon at ${base} answered HTTP ${res.status} to ${RESUME_PATH}.\n`);
    return EX_UNAVAILABLE;
  }
  const { resumed, uploader } = (await res.json()) as { resumed: boolean; uploader: UploaderState };
  (json ? deps.err : deps.out)(
    resumed
      ? 'Uploads resumed. If the cause is not fixed, they halt again after the same rejections (see upload.halted in the log).\n'
      : `Uploads were not halted (${uploader.mode}${uploader.detail ? `: ${uploader.detail}` : ''}); nothing to resume.\n`,
  );
  return 0;
}

/** The daemon's address from a config's `http` section; without --config, the default config when readable. */
function daemonAddress(configPath: string | undefined, deps: StatusDeps): { url: string; token?: string | undefined } {
  let text: string;
  try {
    text = deps.readFile(configPath ?? DEFAULT_CONFIG);
  } catch (e) {
    if (configPath === undefined) return { url: 'http://127.0.0.1:8787' };
    const code = (e as NodeJS.ErrnoException).code;
    const hint = code === 'EACCES' ? ' (not readable by this user: pass --url instead, or run as a member of the service group)' : '';
    throw new Error(`cannot read ${configPath}: ${code ?? (e as Error).message}${hint}`);
  }
  const raw: unknown = parseYaml(text);
  const withEnv = applyEnvOverrides(raw, deps.env).value as { http?: unknown } | null;
  const parsed = configSchema.shape.http.safeParse(withEnv?.http);
  if (!parsed.success) throw new Error(`${configPath ?? DEFAULT_CONFIG}: http section is invalid (run: ionworks-edge config check)`);
  const { host, port, access_token } = parsed.data;
  // A wildcard bind is reached on this machine through loopback.
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return { url: `http://${reachable}:${port}`, token: access_token };
}

function reason(e: unknown): string {
  const cause = (e as { cause?: { code?: string } }).cause;
  if (cause?.code === 'ECONNREFUSED') return 'connection refused';
  if ((e as Error).name === 'TimeoutError') return 'no answer within 5 s';
  return cause?.code ?? (e as Error).message;
}

const MARK = { ok: '✓', busy: '…', warn: '!', error: '✗' } as const;

export function formatStatus(v: StatusView): string {
  const lines = [
    `ionworks-edge ${v.version} · ${v.lab}`,
    `Uploads: ${MARK[v.upload.tone]} ${v.upload.text} (queued ${v.upload.queued}, uploaded ${v.upload.uploaded}, dead ${v.upload.dead}${v.upload.voided > 0 ? `, voided ${v.upload.voided}` : ''})`,
    ...(v.storage ? [`Storage: ${MARK[v.storage.tone]} ${v.storage.text}`] : []),
  ];
  for (const s of v.stations) lines.push('', ...stationLines(s));
  return `${lines.join('\n')}\n`;
}

function stationLines(s: StationView): string[] {
  const lines = [`${s.id}  ${MARK[s.tone]} ${s.headline}${s.operator ? `   (operator ${s.operator})` : ''}`];
  if (s.error) lines.push(`  ${s.error}`);
  if (s.notice) lines.push(`  ${MARK[s.notice.tone]} ${s.notice.text}`);
  if (s.cell) {
    lines.push(`  Cell: ${s.cell}${s.cellNote ? ` (${s.cellNote})` : ''}`);
    const width = Math.max(...s.readings.map((r) => r.label.length));
    for (const r of s.readings) {
      const value = r.value === undefined ? '—' : `${r.value} ${r.unit}`;
      lines.push(`    ${r.label.padEnd(width)}  ${value.padEnd(14)} ${r.state === 'taken' ? '✓ ' : ''}${r.text}`);
    }
    if (s.missing.length) lines.push(`  Still needed: ${s.missing.join(', ')}`);
  }
  if (s.saved) {
    const at = new Date(s.saved.at).toTimeString().slice(0, 8);
    lines.push(`  ${s.saved.voided ? 'Voided' : s.cell ? 'Last saved' : 'Saved'}: ${s.saved.cell} at ${at} as ${s.saved.name}`);
    if (s.saved.upload) lines.push(`    ${MARK[s.saved.upload.tone]} ${s.saved.upload.text}`);
  }
  lines.push(`  Devices: ${s.devices.map((d) => `${MARK[d.tone]} ${d.text}`).join(' · ')}`);
  return lines;
}
