/**
 * A real browser for the compose lane: Debian's `chromium` package (or the binary HP_CHROMIUM
 * names) driven by puppeteer-core, and the UI's own login form.
 */
import { existsSync } from 'node:fs';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import type { PlatformUnderTest } from './context.ts';

/** Where Debian's `chromium` package (and some other distributions' `chromium-browser`) puts the binary. */
const PACKAGED_CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

export const VIEWPORT = { width: 1440, height: 900 };

export function chromiumPath(): string | undefined {
  const named = process.env.HP_CHROMIUM;
  if (named) return existsSync(named) ? named : undefined;
  return PACKAGED_CHROMIUM.find((candidate) => existsSync(candidate));
}

/** Why no browser can start here, or undefined when one can. */
export function chromiumUnavailableReason(): string | undefined {
  if (chromiumPath() !== undefined) return undefined;
  const named = process.env.HP_CHROMIUM;
  return named
    ? `HP_CHROMIUM=${named} does not exist`
    : `no Chromium at ${PACKAGED_CHROMIUM.join(' or ')} (apt-get install chromium, or name one with HP_CHROMIUM)`;
}

export function launchChromium(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (executablePath === undefined) throw new Error(chromiumUnavailableReason());
  return puppeteer.launch({
    executablePath,
    headless: true,
    // Chromium refuses to start its sandbox as root.
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
    defaultViewport: VIEWPORT,
  });
}

/** Clicks what `selector` finds once the single-page app has rendered it. */
export async function clickWhenShown(page: Page, selector: string): Promise<void> {
  const element = await page.waitForSelector(selector, { visible: true });
  await element?.click();
}

/** Opens the UI, which sends a signed-out user to /auth/login, and signs in by typing into its form. */
export async function logInThroughUi(page: Page, platform: Pick<PlatformUnderTest, 'url' | 'username' | 'password'>): Promise<void> {
  await page.goto(platform.url);
  await page.waitForSelector('form input[name="username"]');
  await page.type('form input[name="username"]', platform.username);
  await page.type('form input[name="password"]', platform.password);
  await clickWhenShown(page, 'form button[type="submit"]');
  await page.waitForFunction(() => !window.location.pathname.startsWith('/auth/login'));
  await page.waitForSelector('button[aria-label="User"]');
}
