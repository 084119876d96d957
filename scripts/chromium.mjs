// How every headless Chromium of this project starts (browser tests, benchmarks, the screenshot):
// Debian's system Chromium, since browser downloads fail on these machines, and no background
// traffic, since the machines have no network but the package registries.
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];
