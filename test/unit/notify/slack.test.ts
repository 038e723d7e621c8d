import { afterEach, describe, expect, it } from 'vitest';
import { NotificationDeliveryError, NotificationRefusedError, sendNotification } from '../../../src/notify/index.ts';
import { NonRetryableError } from '../../../src/runtime/errors.ts';
import { rejection, testConfig } from './helpers.ts';
import { type HttpSink, type ScriptedResponse, SAMPLE, captureLog, closedPort, startHttpSink } from './sinks.ts';

const SECRET_PATH = '/services/T000TEST/B000TEST/s3cr3tW3bh00kT0ken';
const SECRET = 's3cr3tW3bh00kT0ken';

let sink: HttpSink | undefined;
afterEach(async () => {
  await sink?.close();
  sink = undefined;
});

async function slackSink(script: readonly ScriptedResponse[]) {
  sink = await startHttpSink(script, SECRET_PATH);
  return { sink, config: testConfig({ SLACK_WEBHOOK_URL: sink.url }), capture: captureLog() };
}

function expectNoSecret(...texts: string[]): void {
  for (const text of texts) expect(text).not.toContain(SECRET);
}

describe('Slack notifications through a real HTTP webhook sink', () => {
  it('posts {text, blocks} with the title, the summary and escaped facts to the webhook path', async () => {
    const { sink, config, capture } = await slackSink([{ status: 200 }]);
    const results = await sendNotification(SAMPLE, ['slack'], { config, log: capture.log });

    expect(results[1]).toEqual({ channel: 'slack', delivered: true, attempts: 1, detail: expect.stringMatching(/^posted to the Slack webhook at 127\.0\.0\.1:\d+ \(HTTP 200\)$/) });
    expect(sink.requests).toHaveLength(1);
    const request = sink.requests[0]!;
    expect(request).toMatchObject({ method: 'POST', path: SECRET_PATH, contentType: 'application/json; charset=utf-8' });
    const payload = JSON.parse(request.body) as { text: string; blocks: { type: string; text?: { text: string }; fields?: { text: string }[] }[] };
    expect(payload.text).toBe('[INFO] Model v7 deployed (DEPLOY, ΔF1 +0.031)');
    expect(payload.blocks.map((block) => block.type)).toEqual(['header', 'section', 'section', 'context']);
    expect(payload.blocks[0]?.text?.text).toContain('Model v7 deployed (DEPLOY, ΔF1 +0.031)');
    expect(payload.blocks[1]?.text?.text).toContain('It is now served as version 7.');
    expect(payload.blocks[2]?.fields?.[3]?.text).toBe('*Note*\n&lt;script&gt;alert("x")&lt;/script&gt; &amp; &lt;!channel&gt;');
    expect(request.body).not.toMatch(/<script|<!channel/);
    expectNoSecret(capture.text(), JSON.stringify(results));
  });

  it('retries an HTTP 500 and delivers on the second attempt', async () => {
    const { sink, config, capture } = await slackSink([{ status: 500, body: 'internal_error' }, { status: 200 }]);
    const results = await sendNotification(SAMPLE, ['slack'], { config, log: capture.log });

    expect(results[1]).toMatchObject({ channel: 'slack', delivered: true, attempts: 2 });
    expect(sink.requests).toHaveLength(2);
    const retries = capture.entries().filter((entry) => entry.level === 'warn');
    expect(retries).toHaveLength(1);
    expect(retries[0]?.msg).toContain('answered HTTP 500 "internal_error"');
    expectNoSecret(capture.text());
  });

  it('does not retry an HTTP 404 and names SLACK_WEBHOOK_URL, never its secret path', async () => {
    // a proxy in front of Slack may echo the path in its answer
    const { sink, config, capture } = await slackSink([{ status: 404, body: `no_service for POST ${SECRET_PATH}` }]);
    const error = await rejection(sendNotification(SAMPLE, ['slack'], { config, log: capture.log }));

    expect(error).toBeInstanceOf(NotificationRefusedError);
    expect(error).toBeInstanceOf(NonRetryableError);
    expect(error.message).toContain('slack (1 attempt)');
    expect(error.message).toContain('HTTP 404 "no_service for POST [redacted]"');
    expect(error.message).toContain('Check SLACK_WEBHOOK_URL');
    expect(sink.requests).toHaveLength(1);
    expectNoSecret(error.message, capture.text(), JSON.stringify((error as NotificationRefusedError).results));
  });

  it('honours Retry-After on HTTP 429', async () => {
    const { sink, config, capture } = await slackSink([{ status: 429, headers: { 'retry-after': '1' }, body: 'rate_limited' }, { status: 200 }]);
    const results = await sendNotification(SAMPLE, ['slack'], { config, log: capture.log });

    expect(results[1]).toMatchObject({ channel: 'slack', delivered: true, attempts: 2 });
    expect(sink.requests).toHaveLength(2);
    const retry = capture.entries().find((entry) => entry.level === 'warn');
    expect(retry).toMatchObject({ channel: 'slack', attempt: 1, delay_ms: 1000 });
  });

  it('leaves a Retry-After beyond its patience to the task retry instead of waiting', async () => {
    const { sink, config, capture } = await slackSink([{ status: 429, headers: { 'retry-after': '3600' } }]);
    const error = await rejection(sendNotification(SAMPLE, ['slack'], { config, log: capture.log }));

    expect(error).toBeInstanceOf(NotificationDeliveryError);
    expect(error.message).toContain('asked to wait 3600 s, longer than the 5 s a task waits');
    expect(sink.requests).toHaveLength(1);
  });

  it('retries an unreachable webhook three times and names only its host', async () => {
    const port = await closedPort();
    const capture = captureLog();
    const config = testConfig({ SLACK_WEBHOOK_URL: `http://127.0.0.1:${port}${SECRET_PATH}` });
    const error = await rejection(sendNotification(SAMPLE, ['slack'], { config, log: capture.log }));

    expect(error).toBeInstanceOf(NotificationDeliveryError);
    expect(error.message).toContain(`could not reach the Slack webhook at 127.0.0.1:${port}: ECONNREFUSED (gave up after 3 attempts)`);
    expect(capture.entries().filter((entry) => entry.level === 'warn')).toHaveLength(2);
    expectNoSecret(error.message, capture.text());
  });
});
