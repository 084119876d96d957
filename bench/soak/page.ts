// The page Chromium runs for the soak of `npm run bench` (bench/soak.ts, served by
// bench/soak/server.ts). The clock and the probes go in first, then the widget from its source;
// the Node side drives the session through window.wacrmSoak.
import './instrument.js';
import '../../src/define.js';
import { SoakSession, type SoakStartOptions } from './session.js';

export interface SoakPageApi {
  start(options: SoakStartOptions): Promise<void>;
  /** The session started last (throws before start()). */
  session(): SoakSession;
}

declare global {
  interface Window {
    wacrmSoak?: SoakPageApi;
  }
}

let current: SoakSession | undefined;

window.wacrmSoak = {
  async start(options) {
    current = await SoakSession.start(options);
  },
  session() {
    if (!current) throw new Error('the soak session has not started');
    return current;
  },
};
