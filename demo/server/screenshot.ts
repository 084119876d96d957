// `npm run screenshot`: docs/screenshot.png for the README. Starts the demo on a throw-away copy of
// the demo database, signs Alice and Bob in side by side, has Alice assign Bob a conversation with
// the page's own control, opens Bob's bell once it has risen, and takes the picture in headless
// Chromium (puppeteer-core driving the system's browser).
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Page } from 'puppeteer-core';
import { startDemo } from './demo-server.js';
import { chromiumArgs, chromiumPath } from '../../scripts/chromium.mjs';

const output = fileURLToPath(new URL('../../docs/screenshot.png', import.meta.url));

const bellOf = (seat: string) => `demo-agent-view[seat="${seat}"] wacrm-notification-bell`;

async function signIn(page: Page, seat: string, name: string) {
  await page.locator(`demo-agent-view[seat="${seat}"] .quick-picks button::-p-text(${name})`).click();
  await page.waitForFunction((selector) => {
    const state = document.querySelector<HTMLElementTagNameMap['wacrm-notification-bell']>(selector)?.activeStore.state;
    return state?.status === 'ready' && state.realtime === 'live';
  }, {}, bellOf(seat));
}

const demo = await startDemo({ fresh: true });
const browser = await puppeteer.launch({
  executablePath: chromiumPath,
  headless: true,
  args: chromiumArgs,
});
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 720, deviceScaleFactor: 2 });
  await page.emulateMediaFeatures([{ name: 'prefers-reduced-motion', value: 'reduce' }]);
  await page.goto(`${demo.url}?view=split&theme=light`, { waitUntil: 'networkidle0' });
  await signIn(page, 'main', 'Alice Martin');
  await signIn(page, 'teammate', 'Bob Chen');
  const unreadOfBob = () =>
    page.evaluate((selector) => document.querySelector<HTMLElementTagNameMap['wacrm-notification-bell']>(selector)!.activeStore.state.unreadCount, bellOf('teammate'));
  const before = await unreadOfBob();

  // Alice assigns Maria Silva's conversation to Bob with the "assign to" control.
  await page.waitForSelector('demo-agent-view[seat="main"] tr[data-id] select');
  await page.evaluate(() => {
    const row = [...document.querySelectorAll('demo-agent-view[seat="main"] tr[data-id]')].find(
      (candidate) => candidate.querySelector('strong')?.textContent === 'Maria Silva',
    )!;
    const select = row.querySelector('select')!;
    select.value = [...select.options].find((option) => option.text === 'Bob Chen')!.value;
    row.querySelector<HTMLButtonElement>('[data-action="assign"]')!.click();
  });
  await page.waitForFunction(
    (selector, count) => document.querySelector<HTMLElementTagNameMap['wacrm-notification-bell']>(selector)!.activeStore.state.unreadCount > count,
    {},
    bellOf('teammate'),
    before,
  );

  await page.$eval(bellOf('teammate'), (bell) => (bell as HTMLElementTagNameMap['wacrm-notification-bell']).show());
  await page.waitForFunction((selector) => {
    const panel = document.querySelector(selector)!.shadowRoot!.querySelector('wacrm-notification-panel');
    return (panel?.shadowRoot?.querySelectorAll('[part~="item"]').length ?? 0) > 3;
  }, {}, bellOf('teammate'));
  await new Promise((resolve) => setTimeout(resolve, 300)); // fonts and relative times settle
  await mkdir(dirname(output), { recursive: true });
  await page.screenshot({ path: output });
  console.log(`Saved ${output}`);
} finally {
  await browser.close();
  await demo.stop();
}
