// The status page: one HTML document with inline CSS and script, filled in live from /events. Sized to be read
// from a metre away on a bench tablet or the lab PC's screen.
import { createHash } from 'node:crypto';
import { CLIENT_JS } from './client.js';

const CSS = `
:root { --ok:#0f7b3a; --busy:#1d4ed8; --warn:#a35c00; --error:#b42318; --ink:#101828; --muted:#475467; --line:#d0d5dd; }
* { box-sizing: border-box; }
body { margin: 0; font-family: system-ui, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--ink); background: #eef1f5; }
.top { display: flex; align-items: center; gap: 1.5rem; padding: .8rem 1.5rem; background: #101828; color: #fff; font-size: 1.25rem; }
.brand { font-weight: 700; letter-spacing: .02em; white-space: nowrap; }
.brand #lab { font-weight: 400; color: #cbd5e1; margin-left: .5rem; }
.pill { flex: 1; padding: .35rem .9rem; border-radius: 999px; background: #1f2937; font-weight: 600; }
.pill.tone-ok { background: #dcfce7; color: var(--ok); }
.pill.tone-busy { background: #dbeafe; color: var(--busy); }
.pill.tone-warn { background: #fef3c7; color: var(--warn); }
.pill.tone-error { background: #fee4e2; color: var(--error); }
.link { font-size: 1rem; white-space: nowrap; }
.link.ok { color: #86efac; }
.link.lost { color: #fff; background: var(--error); padding: .3rem .7rem; border-radius: .4rem; font-weight: 700; }
#stations { display: grid; grid-template-columns: repeat(auto-fit, minmax(30rem, 1fr)); gap: 1.25rem; padding: 1.25rem 1.5rem; }
.station { background: #fff; border-radius: .9rem; border-left: .9rem solid var(--line); padding: 1.1rem 1.5rem 1.25rem; box-shadow: 0 1px 3px rgba(16,24,40,.12); }
.station.tone-ok { border-left-color: var(--ok); }
.station.tone-busy { border-left-color: var(--busy); }
.station.tone-warn { border-left-color: var(--warn); }
.station.tone-error { border-left-color: var(--error); }
.station-head { display: flex; justify-content: space-between; align-items: baseline; font-size: 1.3rem; color: var(--muted); text-transform: uppercase; letter-spacing: .08em; font-weight: 700; }
.station-head a { font-size: 1.1rem; color: var(--busy); text-decoration: none; text-transform: none; letter-spacing: 0; }
.cell { display: flex; align-items: baseline; gap: 1rem; margin-top: .4rem; }
.cell-label { font-size: 1.4rem; color: var(--muted); }
.cell-id { font-size: 3.4rem; font-weight: 800; font-family: ui-monospace, "DejaVu Sans Mono", monospace; letter-spacing: .02em; }
.headline { font-size: 2.3rem; font-weight: 700; margin: .3rem 0 .8rem; line-height: 1.15; }
.tone-ok > .headline { color: var(--ok); }
.tone-busy > .headline { color: var(--busy); }
.tone-warn > .headline { color: var(--warn); }
.tone-error > .headline { color: var(--error); }
.readings { border-top: 2px solid var(--line); }
.reading { display: grid; grid-template-columns: 10rem 1fr auto; align-items: baseline; gap: 1rem; padding: .55rem 0; border-bottom: 1px solid var(--line); }
.r-label { font-size: 1.5rem; font-weight: 600; }
.r-value .num { font-size: 2.8rem; font-weight: 800; font-variant-numeric: tabular-nums; font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
.r-value .unit { font-size: 1.6rem; margin-left: .4rem; color: var(--muted); }
.r-value .none { font-size: 2.4rem; color: #98a2b3; }
.r-state { font-size: 1.3rem; font-weight: 600; text-align: right; }
.state-taken .r-state { color: var(--ok); }
.state-live .num { color: #667085; }
.state-live .r-state, .state-waiting .r-state { color: var(--busy); }
.state-unload { background: #fffaeb; }
.state-unload .r-state { color: var(--warn); font-size: 1.5rem; }
.operator { font-size: 1.1rem; text-transform: none; letter-spacing: 0; color: var(--ink); }
.cell-note { font-size: 1.2rem; color: var(--muted); }
.notice { font-size: 1.4rem; font-weight: 600; border-radius: .5rem; padding: .6rem 1rem; margin: .6rem 0; background: #f2f4f7; }
.notice.tone-warn { background: #fef3c7; color: #7a4100; }
.notice.tone-error { background: #fee4e2; color: var(--error); }
.state-rejected { background: #fffaeb; }
.state-rejected .num { color: var(--error); text-decoration: line-through; }
.state-rejected .r-state { color: var(--warn); }
.missing { font-size: 1.4rem; margin-top: .7rem; color: var(--warn); font-weight: 700; }
.error { font-size: 1.5rem; font-weight: 700; color: #fff; background: var(--error); border-radius: .5rem; padding: .7rem 1rem; margin: .6rem 0; }
.saved { display: flex; flex-direction: column; gap: .3rem; margin-top: .9rem; padding: .9rem 1.1rem; border-radius: .6rem; background: #ecfdf3; border: 2px solid #abefc6; }
.saved-title { font-size: 2rem; font-weight: 800; color: var(--ok); }
.saved-name { font-size: 1.2rem; font-family: ui-monospace, "DejaVu Sans Mono", monospace; color: var(--muted); word-break: break-all; }
.saved.previous { background: #f9fafb; border-color: var(--line); }
.saved.previous .saved-title { font-size: 1.3rem; color: var(--muted); }
.upload { font-size: 1.4rem; font-weight: 700; }
.upload.tone-ok { color: var(--ok); } .upload.tone-busy { color: var(--busy); }
.upload.tone-warn { color: var(--warn); } .upload.tone-error { color: var(--error); }
.devices { display: flex; flex-wrap: wrap; gap: .5rem; margin-top: 1rem; }
.device { font-size: 1.1rem; padding: .3rem .75rem; border-radius: 999px; background: #f2f4f7; font-weight: 600; }
.device::before { content: "● "; }
.device.tone-ok::before { color: var(--ok); }
.device.tone-busy::before { color: var(--busy); }
.device.tone-warn { background: #fef3c7; color: var(--warn); }
.device.tone-error { background: var(--error); color: #fff; font-size: 1.4rem; }
.banner { margin: 1.25rem 1.5rem 0; padding: .8rem 1.2rem; border-radius: .6rem; font-size: 1.6rem; font-weight: 700; }
.banner[hidden] { display: none; }
.banner.tone-warn { background: #fef3c7; color: #7a4100; }
.banner.tone-error { background: var(--error); color: #fff; }
#footer { padding: 0 1.5rem 1rem; color: var(--muted); font-size: .95rem; }
body.solo #stations { grid-template-columns: 1fr; max-width: 72rem; margin: 0 auto; }
body.solo .cell-id { font-size: 4.5rem; }
body.solo .headline { font-size: 2.7rem; }
body.solo .r-value .num { font-size: 3.6rem; }
body.solo .r-label { font-size: 1.9rem; }
body.solo .reading { grid-template-columns: 13rem 1fr auto; }
`;

const hash = (s: string) => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;

/** Only this page's own script and style may run; it may connect back to this server only. */
export const PAGE_CSP = [
  "default-src 'none'",
  `script-src ${hash(CLIENT_JS)}`,
  `style-src ${hash(CSS)}`,
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The page for every station (`station` omitted) or one. Station ids are config ids ([A-Za-z0-9_-]). */
export function statusPage(station?: string): string {
  const title = station ? `${station} · ionworks-edge` : 'ionworks-edge status';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body data-station="${escapeHtml(station ?? '')}">
<header class="top"><div class="brand">ionworks-edge<span id="lab"></span></div><div id="upload" class="pill">…</div><div id="link" class="link">connecting…</div></header>
<div id="storage" class="banner" data-testid="storage" hidden></div>
<main id="stations"></main>
<div id="footer"></div>
<script>${CLIENT_JS}</script>
</body>
</html>
`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
