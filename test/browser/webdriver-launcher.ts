// A web-test-runner launcher for WebKit (Safari's engine) as Debian ships it: WebKitGTK's
// WebKitWebDriver driving its MiniBrowser (`--automation`), in an Xvfb display of its own, since
// MiniBrowser has no headless mode. It speaks W3C WebDriver over HTTP itself: the dozen commands
// a test run needs (a session, navigation, window size, key and mouse actions, minimizing) are
// shorter than a client library, whose installs also fetch other browsers' drivers.
//
// Its type is 'webdriver', so @web/test-runner-commands' sendKeys, sendMouse and resetMouse reach
// it. setViewport only knows puppeteer and playwright there, so this launcher answers
// 'set-viewport' itself, ahead of that command (see initialize).
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { BrowserLauncher, TestRunnerCoreConfig, TestRunnerPlugin } from '@web/test-runner-core';
import type { EngineControls } from './browsers.js';
import { typedKey } from './keys.js';

export interface WebDriverLauncherOptions {
  /** Shown in the report. */
  name: string;
  /** The driver executable (WebKitWebDriver). */
  driverPath: string;
  /** Capabilities for the new session (the browser binary and its arguments). */
  capabilities: Record<string, unknown>;
  /** Why this browser cannot be taken offline, shown by tests that need it. */
  offlineUnsupported: string;
}

interface Viewport {
  width: number;
  height: number;
}

/** WebDriver's code points for the keys that type no character (W3C WebDriver, "Keyboard actions"). */
const KEYS: Record<string, string> = {
  Backspace: '\uE003',
  Tab: '\uE004',
  Enter: '\uE007',
  Shift: '\uE008',
  Control: '\uE009',
  Alt: '\uE00A',
  Pause: '\uE00B',
  Escape: '\uE00C',
  PageUp: '\uE00E',
  PageDown: '\uE00F',
  End: '\uE010',
  Home: '\uE011',
  ArrowLeft: '\uE012',
  ArrowUp: '\uE013',
  ArrowRight: '\uE014',
  ArrowDown: '\uE015',
  Insert: '\uE016',
  Delete: '\uE017',
  Meta: '\uE03D',
};

function keyValue(name: string): string {
  const key = typedKey(name);
  const value = KEYS[key] ?? (/^F([1-9]|1[0-2])$/.test(key) ? String.fromCharCode(0xe031 + Number(key.slice(1)) - 1) : key);
  if ([...value].length !== 1) throw new Error(`unknown key "${key}" for WebDriver`);
  return value;
}

const BUTTONS = { left: 0, middle: 1, right: 2 } as const;
type Button = keyof typeof BUTTONS;

const DEFAULT_VIEWPORT: Viewport = { width: 800, height: 600 }; // as WTR's Chrome launcher sets

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts Xvfb on a display it picks itself (-displayfd), answering the display's name. */
function startXvfb(): Promise<{ display: string; process: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const xvfb = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1920x1080x24', '-nolisten', 'tcp'], {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let number = '';
    xvfb.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    xvfb.on('error', reject);
    xvfb.on('exit', (code) => reject(new Error(`Xvfb exited with ${code}: ${stderr.trim()}`)));
    xvfb.stdio[3]!.on('data', (chunk: Buffer) => {
      number += chunk.toString();
      if (number.includes('\n')) resolve({ display: `:${number.trim()}`, process: xvfb });
    });
  });
}

function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export class WebDriverLauncher implements BrowserLauncher, EngineControls {
  readonly type = 'webdriver';
  readonly name: string;
  /** One window, one test file at a time. */
  readonly concurrency = 1;
  private readonly options: WebDriverLauncherOptions;
  private started?: Promise<void>;
  private xvfb?: ChildProcess;
  private driver?: ChildProcess;
  private base = '';
  private activeSessions = new Set<string>();
  /** Window size minus viewport size: MiniBrowser's toolbar. */
  private chrome?: Viewport;
  private viewport = DEFAULT_VIEWPORT;

  constructor(options: WebDriverLauncherOptions) {
    this.options = options;
    this.name = options.name;
  }

  initialize(config: TestRunnerCoreConfig): void {
    // WTR puts its own command plugins first; its set-viewport throws for a 'webdriver' browser.
    config.plugins ??= [];
    config.plugins.unshift(this.viewportPlugin());
  }

  private viewportPlugin(): TestRunnerPlugin {
    return {
      name: `${this.name.toLowerCase()}-set-viewport`,
      executeCommand: async ({ command, payload, session }) => {
        if (command !== 'set-viewport' || session.browser !== this) return undefined;
        const { width, height } = payload as Viewport;
        await this.setViewport({ width, height });
        return true;
      },
    };
  }

  // --- WebDriver over HTTP

  private async request<T = unknown>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: { value?: { error?: string; message?: string } & Record<string, unknown> };
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error(`${this.name} WebDriver ${method} ${path}: HTTP ${response.status} ${text.slice(0, 200)}`);
    }
    if (!response.ok || parsed.value?.error) {
      throw new Error(`${this.name} WebDriver ${method} ${path}: ${parsed.value?.error} ${parsed.value?.message ?? ''}`.trim());
    }
    return parsed.value as T;
  }

  private session = '';
  private command<T = unknown>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    return this.request<T>(method, `/session/${this.session}${path}`, body);
  }

  private execute<T>(script: string, args: unknown[] = []): Promise<T> {
    return this.command<T>('POST', '/execute/sync', { script, args });
  }

  private start(): Promise<void> {
    return (this.started ??= this.launch().catch(async (error) => {
      await this.stop();
      throw error;
    }));
  }

  private async launch(): Promise<void> {
    const { display, process: xvfb } = await startXvfb();
    this.xvfb = xvfb;
    const port = await freePort();
    let output = '';
    const driver = spawn(this.options.driverPath, [`--port=${port}`], {
      env: { ...process.env, DISPLAY: display },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.driver = driver;
    // However the runner ends, no display or driver outlives it (MiniBrowser ends with its display).
    process.once('exit', () => {
      driver.kill('SIGKILL');
      xvfb.kill('SIGKILL');
    });
    driver.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    driver.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<never>((_, reject) =>
      driver.once('exit', (code) => reject(new Error(`${this.options.driverPath} exited with ${code}: ${output.trim()}`))),
    );
    exited.catch(() => undefined);
    this.base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 10000;
    for (;;) {
      const ready = await Promise.race([
        this.request<{ ready: boolean }>('GET', '/status').then(
          (status) => status.ready,
          () => false,
        ),
        exited,
      ]);
      if (ready) break;
      if (Date.now() > deadline) throw new Error(`${this.options.driverPath} did not answer within 10 s: ${output.trim()}`);
      await sleep(50);
    }
    const created = await this.request<{ sessionId: string }>('POST', '/session', {
      capabilities: { alwaysMatch: this.options.capabilities },
    });
    this.session = created.sessionId;
    await this.command('POST', '/timeouts', { script: 60000, pageLoad: 60000 });
  }

  async stop(): Promise<void> {
    if (this.session) {
      const session = this.session;
      this.session = '';
      await this.request('DELETE', `/session/${session}`).catch(() => undefined);
    }
    await stopProcess(this.driver);
    await stopProcess(this.xvfb);
  }

  async startSession(sessionId: string, url: string): Promise<void> {
    await this.start();
    this.activeSessions.add(sessionId);
    await this.setViewport(DEFAULT_VIEWPORT);
    await this.command('POST', '/url', { url });
  }

  isActive(sessionId: string): boolean {
    return this.activeSessions.has(sessionId);
  }

  getBrowserUrl(): Promise<string> {
    return this.command<string>('GET', '/url');
  }

  async stopSession(sessionId: string) {
    // An empty page stops whatever the test left running (timers, sockets).
    await this.command('POST', '/url', { url: 'about:blank' });
    this.activeSessions.delete(sessionId);
    return {};
  }

  startDebugSession(): Promise<void> {
    throw new Error(`${this.name} has no debug mode here: debug in Chromium (WACRM_BROWSERS=chromium)`);
  }

  /** Sizes the window so that the page's viewport (innerWidth × innerHeight) is `viewport`. */
  private async setViewport(viewport: Viewport): Promise<void> {
    this.viewport = viewport;
    for (let attempt = 0; attempt < 5; attempt++) {
      this.chrome ??= await this.execute<Viewport>('return { width: outerWidth - innerWidth, height: outerHeight - innerHeight }');
      await this.command('POST', '/window/rect', {
        x: 0,
        y: 0,
        width: viewport.width + this.chrome.width,
        height: viewport.height + this.chrome.height,
      });
      const inner = await this.execute<Viewport>('return { width: innerWidth, height: innerHeight }');
      if (inner.width === viewport.width && inner.height === viewport.height) return;
      this.chrome = undefined; // measure again (the toolbar changed, or the page was blank)
      await sleep(50);
    }
    throw new Error(`${this.name}: could not size the viewport to ${viewport.width}×${viewport.height}`);
  }

  // --- input, as @web/test-runner-commands calls it for a 'webdriver' browser

  private actions(actions: unknown[]): Promise<unknown> {
    return this.command('POST', '/actions', { actions });
  }

  async sendKeys(_sessionId: string, keys: string[]): Promise<void> {
    const values = keys.map(keyValue);
    await this.actions([
      { type: 'key', id: 'keyboard', actions: values.flatMap((value) => [{ type: 'keyDown', value }, { type: 'keyUp', value }]) },
    ]);
  }

  private pointer(actions: unknown[]): Promise<unknown> {
    return this.actions([{ type: 'pointer', id: 'mouse', parameters: { pointerType: 'mouse' }, actions }]);
  }

  async sendMouseMove(_sessionId: string, x: number, y: number): Promise<void> {
    await this.pointer([{ type: 'pointerMove', origin: 'viewport', x, y, duration: 0 }]);
  }

  async sendMouseClick(_sessionId: string, x: number, y: number, button: Button = 'left'): Promise<void> {
    await this.pointer([
      { type: 'pointerMove', origin: 'viewport', x, y, duration: 0 },
      { type: 'pointerDown', button: BUTTONS[button] },
      { type: 'pointerUp', button: BUTTONS[button] },
    ]);
  }

  async sendMouseDown(_sessionId: string, button: Button = 'left'): Promise<void> {
    await this.pointer([{ type: 'pointerDown', button: BUTTONS[button] }]);
  }

  async sendMouseUp(_sessionId: string, button: Button = 'left'): Promise<void> {
    await this.pointer([{ type: 'pointerUp', button: BUTTONS[button] }]);
  }

  async resetMouse(): Promise<void> {
    await this.command('DELETE', '/actions'); // releases whatever is pressed
    await this.sendMouseMove('', 0, 0);
  }

  // --- faults (test/browser/fault-commands.ts)

  async setOffline(): Promise<void> {
    throw new Error(this.options.offlineUnsupported);
  }

  canGoOffline(): string | true {
    return this.options.offlineUnsupported;
  }

  /** Minimized, the page is hidden (visibilitychange); a window size brings it back. */
  async setHidden(_sessionId: string, hidden: boolean): Promise<void> {
    if (hidden) await this.command('POST', '/window/minimize', {});
    else await this.setViewport(this.viewport);
  }
}
