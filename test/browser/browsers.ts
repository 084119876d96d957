// The browsers the browser suite runs in: Chromium, Firefox and WebKit, all from Debian's packages
// (browser downloads fail on these machines). WACRM_BROWSERS picks some, comma-separated
// (`WACRM_BROWSERS=firefox npm run test:browser`); all three by default, one after the other.
//
// - chromium: Debian's Chromium through puppeteer-core over the DevTools protocol (scripts/chromium.mjs).
// - firefox: Firefox ESR through puppeteer-core over WebDriver BiDi.
// - webkit: WebKitGTK's MiniBrowser through WebKitWebDriver, in Xvfb (webdriver-launcher.ts).
//
// Tests reach what differs between engines through controlsOf(): taking the page offline and
// hiding it, for the fault suite.
import { accessSync, constants, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { BasicTestSession, BrowserLauncher } from '@web/test-runner-core';
import { ChromeLauncher, chromeLauncher, puppeteerCore } from '@web/test-runner-chrome';
import { chromiumArgs, chromiumPath } from '../../scripts/chromium.mjs';
import { typedKey } from './keys.js';
import { WebDriverLauncher } from './webdriver-launcher.js';

export const engines = ['chromium', 'firefox', 'webkit'] as const;
export type Engine = (typeof engines)[number];

/** What the fault suite asks of a browser beyond running tests. */
export interface EngineControls {
  /** true, or why this browser cannot be taken offline here. */
  canGoOffline(): string | true;
  /** The network gone for the page (requests fail, navigator.onLine false, `offline`/`online` events). */
  setOffline(sessionId: string, offline: boolean): Promise<void>;
  /** The page hidden (its window minimized: visibilitychange, throttled timers) or shown again. */
  setHidden(sessionId: string, hidden: boolean): Promise<void>;
}

/** A missing browser: a one-line message with the fix, not a stack. */
class MissingBrowserError extends Error {
  constructor(message: string) {
    super(message);
    this.stack = `Error: ${message}`;
  }
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  return (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, name)).find(executable);
}

function required(path: string | undefined, what: string, fix: string): string {
  if (path && executable(path)) return path;
  throw new MissingBrowserError(`${what} not found${path ? ` at ${path}` : ''}: ${fix}`);
}

/** MiniBrowser lives in the multiarch library folder: /usr/lib/<triplet>/webkit2gtk-4.1/. */
function findMiniBrowser(): string | undefined {
  if (process.env.MINIBROWSER_PATH) return process.env.MINIBROWSER_PATH;
  for (const dir of ['/usr/lib', ...safeList('/usr/lib').map((name) => join('/usr/lib', name))]) {
    for (const api of ['webkit2gtk-4.1', 'webkit2gtk-4.0', 'webkitgtk-6.0']) {
      const path = join(dir, api, 'MiniBrowser');
      if (executable(path)) return path;
    }
  }
  return undefined;
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

const apt = (pkg: string, variable: string) => `apt-get install ${pkg} (or set ${variable})`;

function chromium(): BrowserLauncher {
  return chromeLauncher({
    puppeteer: puppeteerCore, // named "Chromium" in the report
    launchOptions: {
      executablePath: required(chromiumPath, 'chromium', apt('chromium', 'CHROMIUM_PATH')),
      headless: true,
      args: chromiumArgs,
    },
  });
}

function firefox(): BrowserLauncher {
  const executablePath = required(process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr', 'firefox-esr', apt('firefox-esr', 'FIREFOX_PATH'));
  return chromeLauncher({
    puppeteer: puppeteerCore,
    // puppeteer over BiDi knows no code names for keys that type a character ('Space'): send the character.
    createPage: async ({ context }) => {
      const page = await context.newPage();
      const { keyboard } = page;
      for (const method of ['press', 'down', 'up'] as const) {
        const send = keyboard[method].bind(keyboard) as (key: string, options?: object) => Promise<void>;
        keyboard[method] = ((key: string, options?: object) => send(typedKey(key), options));
      }
      return page;
    },
    launchOptions: {
      browser: 'firefox',
      executablePath,
      headless: true,
      // No background traffic: these machines reach no network but the package registries.
      extraPrefsFirefox: {
        'app.update.enabled': false,
        'browser.safebrowsing.malware.enabled': false,
        'browser.safebrowsing.phishing.enabled': false,
        'network.captive-portal-service.enabled': false,
        'network.connectivity-service.enabled': false,
        'toolkit.telemetry.enabled': false,
        'datareporting.policy.dataSubmissionEnabled': false,
      },
    },
  });
}

function webkit(): BrowserLauncher {
  const driverPath = required(
    process.env.WEBKIT_WEBDRIVER_PATH ?? onPath('WebKitWebDriver'),
    'WebKitWebDriver',
    apt('webkit2gtk-driver', 'WEBKIT_WEBDRIVER_PATH'),
  );
  const binary = required(findMiniBrowser(), 'WebKitGTK MiniBrowser', apt('webkit2gtk-driver', 'MINIBROWSER_PATH'));
  required(onPath('Xvfb'), 'Xvfb (MiniBrowser has no headless mode)', 'apt-get install xvfb');
  return new WebDriverLauncher({
    name: 'WebKit',
    driverPath,
    capabilities: {
      browserName: 'MiniBrowser',
      // Full screen: without its toolbar the window can be as narrow as a phone (360 px; 447 with it).
      'webkitgtk:browserOptions': { binary, args: ['--automation', '--full-screen'] },
    },
    offlineUnsupported:
      'WebKitGTK’s WebDriver has no network emulation (no WebDriver BiDi, no DevTools protocol), so WebKit cannot be taken offline here',
  });
}

const launchers: Record<Engine, () => BrowserLauncher> = { chromium, firefox, webkit };

/** The engines named in `selection` (comma-separated; all when empty), in the order given. */
export function selectedEngines(selection = process.env.WACRM_BROWSERS): Engine[] {
  const names = (selection ?? '')
    .split(/[\s,]+/)
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  if (names.length === 0) return [...engines];
  for (const name of names) {
    if (!(engines as readonly string[]).includes(name)) {
      throw new MissingBrowserError(`WACRM_BROWSERS: unknown browser "${name}"; choose among ${engines.join(', ')}`);
    }
  }
  return [...new Set(names as Engine[])];
}

/** One launcher for each selected engine; throws a one-line error naming the package when one is missing. */
export function browsers(selection?: string): BrowserLauncher[] {
  return selectedEngines(selection).map((engine) => launchers[engine]());
}

/** Offline and hidden pages, for whichever launcher runs the session. */
export function controlsOf(session: BasicTestSession): EngineControls {
  const browser = session.browser as BrowserLauncher & Partial<EngineControls>;
  if (browser instanceof ChromeLauncher) {
    // puppeteer's own API: the DevTools protocol in Chromium, WebDriver BiDi in Firefox.
    const page = () => browser.getPage(session.id);
    return {
      canGoOffline: () => true,
      setOffline: (_, offline) => page().setOfflineMode(offline),
      setHidden: async (_, hidden) => {
        const windowId = await page().windowId();
        await page().browser().setWindowBounds(windowId, { windowState: hidden ? 'minimized' : 'normal' });
      },
    };
  }
  if (browser.setOffline && browser.setHidden && browser.canGoOffline) return browser as EngineControls;
  throw new Error(`the ${browser.name} launcher cannot take a page offline or hide it`);
}
