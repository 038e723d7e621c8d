/**
 * The compose Airflow's UI in a real browser, as an operator uses it: sign in through the login
 * form, read the pipeline's trigger form (descriptions, the notification channels to pick from)
 * without submitting it, see every task in the graph, and find a failed task's error at level
 * ERROR in its log. Screenshots go to the lane's screenshots dir.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import pipeline from '../../src/pipeline/health-predict.dag.ts';
import { DEFAULT_NOTIFICATION_CHANNELS, NOTIFICATION_CHANNELS } from '../../src/pipeline/contract/index.ts';
import { describeWithService } from '../harness/skip.ts';
import { AirflowApi } from './airflow-api.ts';
import { chromiumUnavailableReason, clickWhenShown, launchChromium, logInThroughUi } from './browser.ts';
import './context.ts';

const PIPELINE = pipeline.dagId;
const EXAMPLE = 'health_predict_example';
/** examples/tasks/prepare-batch.ts refuses a negative `rows` with a non-retryable error. */
const FAILING_TASK = 'prepare_batch';
const FAILURE_MESSAGE = "Param 'rows' is -1; a batch needs zero or more rows.";
const UI_TIMEOUT_MS = 30_000;

/** A line of the log view as the user reads it: `[time] LEVEL - message`, and the colour of its level. */
interface ShownLogLine {
  level: string;
  message: string;
  levelColor: string;
}

describeWithService(inject('platformSkip') ?? chromiumUnavailableReason(), 'compose Airflow in a real browser', () => {
  const platform = inject('platform');
  const api = new AirflowApi(platform);
  const screenshot = (page: Page, name: string) => page.screenshot({ path: path.join(platform.screenshotsDir, name) });
  let browser: Browser;
  let page: Page;
  let failingRunId: Promise<string>;

  beforeAll(async () => {
    mkdirSync(platform.screenshotsDir, { recursive: true });
    // Started first so that the run has failed by the time the log test looks at it.
    failingRunId = api.trigger(EXAMPLE, { rows: -1 }).then((run) => run.dag_run_id);
    failingRunId.catch(() => {}); // awaited (and its error reported) by the log test
    browser = await launchChromium();
    page = await browser.newPage();
    page.setDefaultTimeout(UI_TIMEOUT_MS);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('signs in through the login form', async () => {
    await page.goto(platform.url);
    await page.waitForSelector('form input[name="password"]');
    expect(new URL(page.url()).pathname).toMatch(/^\/auth\/login/);
    await logInThroughUi(page, platform);
    expect(new URL(page.url()).pathname).not.toMatch(/^\/auth\/login/);
  });

  it("shows the pipeline's trigger form with every param's description and the notification channels to pick from", async () => {
    await page.goto(`${platform.url}/dags/${PIPELINE}`);
    await clickWhenShown(page, 'button[data-testid="trigger-dag-button"]');
    await page.waitForSelector('#element_notification_channels input[role="combobox"]');

    const shownDescriptions = await page.$$eval('[role="dialog"] [data-scope="field"][data-part="root"]', (fields) =>
      Object.fromEntries(
        fields.map((field) => [
          (field.querySelector('[data-part="label"]') as HTMLElement | null)?.innerText.replace('*', '').trim(),
          (field.querySelector('[data-part="helper-text"]') as HTMLElement | null)?.innerText.trim(),
        ]),
      ),
    );
    const declaredDescriptions = Object.fromEntries(pipeline.spec.params.map((param) => [param.name, param.description]));
    expect(shownDescriptions).toMatchObject(declaredDescriptions);
    expect(shownDescriptions.raw_data_uri).toContain('The raw UCI diabetes CSV');

    // A multi-select: the defaults are chips, the other allowed values are offered in its menu once opened.
    const channels = '#element_notification_channels';
    await clickWhenShown(page, `${channels} input[role="combobox"]`);
    const shownOptions = await page.waitForFunction((selector: string) => {
      const input = document.querySelector(`${selector} input[role="combobox"]`);
      const listbox = document.getElementById(input?.getAttribute('aria-controls') ?? '');
      const options = [...(listbox?.querySelectorAll<HTMLElement>('[role="option"]') ?? [])].map((option) => option.innerText.trim());
      return options.length > 0 ? options : false;
    }, {}, channels);
    const offered = (await shownOptions.jsonValue()) as string[];
    const chosen = await page.$$eval(`${channels} [aria-label^="Remove "]`, (removers) => removers.map((remover) => (remover.parentElement as HTMLElement).innerText.trim()));
    await screenshot(page, 'trigger-form.png');

    expect(chosen).toEqual([...DEFAULT_NOTIFICATION_CHANNELS]);
    expect([...chosen, ...offered].sort()).toEqual([...NOTIFICATION_CHANNELS].sort());
    // Closed without submitting: the form only had to be read.
    await page.keyboard.press('Escape');
  });

  it('draws every task of the pipeline, by name, in the graph view', async () => {
    await page.goto(`${platform.url}/dags/${PIPELINE}`);
    await clickWhenShown(page, 'button[aria-label^="Show Graph"]');
    await page.waitForSelector('.react-flow__node');
    // The details panel takes half the width; without it Fit View draws the whole graph larger.
    await clickWhenShown(page, 'button[aria-label="Collapse Details Panel"]');
    await clickWhenShown(page, 'button[aria-label="Fit View"]');
    const taskIds = pipeline.spec.tasks.map((task) => task.id);
    // React Flow renders only the nodes inside its pane; a node counts as seen when it lies wholly inside.
    const visibleByName = () =>
      page.$eval('.react-flow', (pane) => {
        const bounds = pane.getBoundingClientRect();
        return [...pane.querySelectorAll<HTMLElement>('.react-flow__node')]
          .filter((node) => {
            const box = node.getBoundingClientRect();
            return box.width > 0 && box.left >= bounds.left && box.right <= bounds.right && box.top >= bounds.top && box.bottom <= bounds.bottom;
          })
          .map((node) => node.innerText.split('\n')[0]?.trim())
          .sort();
      });
    await expect.poll(visibleByName, { timeout: UI_TIMEOUT_MS, interval: 250 }).toEqual([...taskIds].sort());
    await screenshot(page, 'graph.png');
  });

  it("shows the failed task's error at level ERROR in its log", async () => {
    const runId = await failingRunId;
    const run = await api.waitForRun(EXAMPLE, runId, { timeoutMs: 120_000 });
    expect(run.state).toBe('failed');
    const failed = (await api.taskInstances(EXAMPLE, runId)).find((ti) => ti.task_id === FAILING_TASK);
    expect(failed).toMatchObject({ state: 'failed', try_number: 1 });

    await page.goto(`${platform.url}/dags/${EXAMPLE}/runs/${encodeURIComponent(runId)}/tasks/${FAILING_TASK}?try_number=1`);
    await page.waitForSelector('[data-testid^="virtualized-item-"]');
    // Full screen: the side panel cuts long lines.
    await clickWhenShown(page, 'button[aria-label="Press f for fullscreen"]');
    await page.waitForFunction(() =>
      [...document.querySelectorAll<HTMLElement>('[role="dialog"] [data-testid^="virtualized-item-"]')].some((line) => / ERROR - /.test(line.innerText)),
    );
    const lines: ShownLogLine[] = await page.$$eval('[role="dialog"] [data-testid^="virtualized-item-"]', (items) =>
      items.flatMap((item) => {
        const shown = /\] (\w+) - ([^\n]*)/.exec((item as HTMLElement).innerText);
        const level = item.querySelector('code');
        return shown && level ? [{ level: shown[1] as string, message: shown[2] as string, levelColor: getComputedStyle(level).color }] : [];
      }),
    );
    await screenshot(page, 'failed-task-log.png');

    const error = lines.find((line) => line.level === 'ERROR' && line.message.includes(FAILURE_MESSAGE));
    expect(error, JSON.stringify(lines, null, 1)).toBeDefined();
    const info = lines.find((line) => line.level === 'INFO');
    expect(info, 'the log shows INFO lines too').toBeDefined();
    expect(error?.levelColor, 'ERROR is coloured apart from INFO').not.toBe(info?.levelColor);
  });
});
