/**
 * The words of a notification for each medium: a mail subject, a plain-text and an HTML body,
 * and a Slack Block Kit payload. Every piece of notification text is escaped for where it lands.
 */
import type { Notification } from './notification.ts';

const SEVERITY_LABEL = { info: 'INFO', warning: 'WARNING', error: 'ERROR' } as const;
const SEVERITY_EMOJI = { info: ':white_check_mark:', warning: ':warning:', error: ':rotating_light:' } as const;

/** Slack Block Kit limits. */
const SLACK_HEADER_MAX = 150;
const SLACK_TEXT_MAX = 3_000;
const SLACK_FIELD_MAX = 2_000;
const SLACK_FIELDS_PER_SECTION = 10;

export function subjectLine(n: Notification): string {
  return `[${SEVERITY_LABEL[n.severity]}] ${n.title}`;
}

/** Airflow 3's page of the DAG run, when Airflow's base URL is known. */
export function runLink(n: Notification, airflowBaseUrl: string | undefined): string | undefined {
  if (!airflowBaseUrl) return undefined;
  return airflowRunUrl(airflowBaseUrl, n.dagId, n.runId);
}

/** Airflow 3's page of one DAG run under `airflowBaseUrl` (no trailing slash). */
export function airflowRunUrl(airflowBaseUrl: string, dagId: string, runId: string): string {
  return `${airflowBaseUrl}/dags/${encodeURIComponent(dagId)}/runs/${encodeURIComponent(runId)}`;
}

function footer(n: Notification): string {
  return `DAG ${n.dagId} · run ${n.runId} · ${n.kind}`;
}

export function plainTextBody(n: Notification, link?: string): string {
  const width = Math.min(28, Math.max(0, ...n.facts.map((fact) => fact.label.length)));
  const facts = n.facts.map(({ label, value }) => `  ${`${label}:`.padEnd(width + 2)}${value.replace(/\n/g, `\n${' '.repeat(width + 4)}`)}`);
  const lines = [n.title, '', n.summary.trim()];
  if (facts.length) lines.push('', ...facts);
  lines.push('', '--', footer(n));
  if (link) lines.push(link);
  return `${lines.join('\n')}\n`;
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

export function htmlBody(n: Notification, link?: string): string {
  const paragraphs = n.summary
    .trim()
    .split(/\n\s*\n/)
    .filter(Boolean)
    .map((paragraph) => `<p>${escapeHtml(paragraph).replace(/\n/g, '<br>')}</p>`);
  const rows = n.facts.map(
    ({ label, value }) =>
      `<tr><th style="text-align:left;padding:2px 12px 2px 0;vertical-align:top">${escapeHtml(label)}</th><td style="padding:2px 0">${escapeHtml(value).replace(/\n/g, '<br>')}</td></tr>`,
  );
  const table = rows.length ? `<table style="border-collapse:collapse">${rows.join('')}</table>` : '';
  const linkHtml = link ? ` · <a href="${escapeHtml(link)}">open in Airflow</a>` : '';
  return [
    '<!doctype html>',
    `<html><head><meta charset="utf-8"><title>${escapeHtml(subjectLine(n))}</title></head>`,
    '<body style="font-family:sans-serif">',
    `<h2>${escapeHtml(n.title)}</h2>`,
    ...paragraphs,
    table,
    `<p style="color:#666;font-size:smaller">${escapeHtml(footer(n))}${linkHtml}</p>`,
    '</body></html>',
    '',
  ].join('\n');
}

/** Slack's rule: &, < and > are control characters in message text and must be entities. */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Escaped text of at most `max` characters, cut between characters, never inside an entity. */
function escapedWithin(text: string, max: number): string {
  const escaped = escapeSlack(text);
  if (escaped.length <= max) return escaped;
  let cut = '';
  for (const char of text) {
    const piece = escapeSlack(char);
    if (cut.length + piece.length + 1 > max) break;
    cut += piece;
  }
  return `${cut}…`;
}

function mrkdwn(text: string, max: number): { type: 'mrkdwn'; text: string } {
  return { type: 'mrkdwn', text: escapedWithin(text, max) };
}

export interface SlackPayload {
  text: string;
  blocks: object[];
}

export function slackPayload(n: Notification, link?: string): SlackPayload {
  const blocks: object[] = [
    // plain_text is shown verbatim (no links, no mentions), so it is not entity-escaped
    { type: 'header', text: { type: 'plain_text', text: truncate(`${SEVERITY_EMOJI[n.severity]} ${n.title}`, SLACK_HEADER_MAX), emoji: true } },
  ];
  if (n.summary.trim()) blocks.push({ type: 'section', text: mrkdwn(n.summary.trim(), SLACK_TEXT_MAX) });
  for (let i = 0; i < n.facts.length; i += SLACK_FIELDS_PER_SECTION) {
    const fields = n.facts.slice(i, i + SLACK_FIELDS_PER_SECTION).map(({ label, value }) => {
      const heading = `*${escapedWithin(label, 200)}*\n`;
      return { type: 'mrkdwn', text: heading + escapedWithin(value, SLACK_FIELD_MAX - heading.length) };
    });
    blocks.push({ type: 'section', fields });
  }
  const context = escapedWithin(footer(n), 1_000) + (link ? ` · <${escapeSlack(link)}|open in Airflow>` : '');
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: context }] });
  return { text: escapedWithin(subjectLine(n), SLACK_TEXT_MAX), blocks };
}
