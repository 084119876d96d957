// What the bench has running (stand-ins, the page server, Chromium), so that an interrupted run
// stops it all too, not only a run that reaches its `finally` blocks.
const running = new Set<() => Promise<unknown>>();

/** Registers a stop function until the returned function is called (after a normal stop). */
export function whileRunning(stop: () => Promise<unknown>): () => void {
  running.add(stop);
  return () => running.delete(stop);
}

export async function stopEverything(): Promise<void> {
  const stops = [...running];
  running.clear();
  await Promise.allSettled(stops.map((stop) => stop()));
}

/** On SIGINT or SIGTERM: stop everything registered (20 s at most), then exit 130. */
export function stopOnSignals(): void {
  const onSignal = (signal: NodeJS.Signals) => {
    console.error(`\n${signal}: stopping servers and browsers...`);
    const deadline = new Promise((resolve) => setTimeout(resolve, 20_000).unref());
    void Promise.race([stopEverything(), deadline]).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}
