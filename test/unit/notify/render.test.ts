import { describe, expect, it } from 'vitest';
import { escapeHtml, escapeSlack, htmlBody, plainTextBody, slackPayload, subjectLine } from '../../../src/notify/index.ts';
import { runLink } from '../../../src/notify/render.ts';
import { SAMPLE } from './sinks.ts';

type Field = { type: string; text: string };
type Block = { type: string; text?: Field; fields?: Field[]; elements?: Field[] };

describe('notification rendering', () => {
  it('prefixes the subject with the severity', () => {
    expect(subjectLine(SAMPLE)).toBe('[INFO] Model v7 deployed (DEPLOY, ΔF1 +0.031)');
    expect(subjectLine({ ...SAMPLE, severity: 'warning' })).toMatch(/^\[WARNING\] /);
    expect(subjectLine({ ...SAMPLE, severity: 'error' })).toMatch(/^\[ERROR\] /);
  });

  it('lists every fact in the plain-text body, with the run in the footer', () => {
    const text = plainTextBody(SAMPLE);
    expect(text).toContain('  Decision:      DEPLOY\n');
    expect(text).toContain('  ΔF1:           +0.031\n');
    expect(text).toContain('<script>alert("x")</script> & <!channel>');
    expect(text).toContain('It is now served as version 7.');
    expect(text).toContain('DAG health_predict_continuous_improvement · run manual__2026-01-01T00:00:00+00:00');
  });

  it('escapes everything in the HTML body', () => {
    const html = htmlBody({ ...SAMPLE, title: 'Deployed <b>v7</b>' }, 'https://airflow.example/dags/x/runs/a"b');
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>v7');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;!channel&gt;');
    expect(html).toContain('<h2>Deployed &lt;b&gt;v7&lt;/b&gt;</h2>');
    expect(html).toContain('href="https://airflow.example/dags/x/runs/a&quot;b"');
    expect(escapeHtml(`<a href='x'>&</a>`)).toBe('&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;');
  });

  it('builds a Slack header, a summary and fact fields escaped by Slack rules', () => {
    const payload = slackPayload(SAMPLE);
    const blocks = payload.blocks as Block[];
    expect(payload.text).toBe('[INFO] Model v7 deployed (DEPLOY, ΔF1 +0.031)');
    expect(blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: ':white_check_mark: Model v7 deployed (DEPLOY, ΔF1 +0.031)', emoji: true } });
    expect(blocks[1]?.text?.type).toBe('mrkdwn');
    expect(blocks[2]?.fields?.map((field) => field.text)).toEqual([
      '*Decision*\nDEPLOY',
      '*ΔF1*\n+0.031',
      '*Model version*\n7',
      '*Note*\n&lt;script&gt;alert("x")&lt;/script&gt; &amp; &lt;!channel&gt;',
    ]);
    expect(JSON.stringify(payload)).not.toMatch(/<script|<!channel/);
    expect(escapeSlack('a & <b> c')).toBe('a &amp; &lt;b&gt; c');
  });

  it('splits facts into sections of ten fields and cuts long values without breaking an entity', () => {
    const facts = Array.from({ length: 23 }, (_, i) => ({ label: `fact ${i}`, value: i === 0 ? '<'.repeat(1500) : `value ${i}` }));
    const blocks = slackPayload({ ...SAMPLE, facts }).blocks as Block[];
    const sections = blocks.filter((block) => block.fields);
    expect(sections.map((section) => section.fields?.length)).toEqual([10, 10, 3]);
    const first = sections[0]?.fields?.[0]?.text ?? '';
    expect(first.length).toBeLessThanOrEqual(2000);
    expect(first).toMatch(/^\*fact 0\*\n(&lt;)+…$/);
  });

  it('links the Airflow run when the base URL is known', () => {
    const link = runLink(SAMPLE, 'http://airflow.local:8080');
    expect(link).toBe('http://airflow.local:8080/dags/health_predict_continuous_improvement/runs/manual__2026-01-01T00%3A00%3A00%2B00%3A00');
    expect(runLink(SAMPLE, undefined)).toBeUndefined();
    const context = (slackPayload(SAMPLE, link).blocks as Block[]).at(-1);
    expect(context?.elements?.[0]?.text).toContain(`<${link}|open in Airflow>`);
    expect(plainTextBody(SAMPLE, link)).toContain(link);
  });
});
