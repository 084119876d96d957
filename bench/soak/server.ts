// The soak's page (bench/soak/page.ts), served by bench/browser.ts's dev server for bench pages.
import { startBenchPageServer, type BenchPageServer } from '../browser.js';

export type SoakPageServer = BenchPageServer;

export function startSoakPageServer(): Promise<SoakPageServer> {
  return startBenchPageServer({ path: '/soak/', directory: '/bench/soak/', script: '/bench/soak/page.ts', title: 'wacrm-notifications soak' });
}
