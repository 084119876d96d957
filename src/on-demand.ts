/**
 * Logs that a module loaded on demand (a CDN chunk beside the main file, blocked or missing) could
 * not be fetched, and what the element does instead; returns the error for callers that report it.
 */
export function notLoaded(what: string, instead: string, error: unknown): unknown {
  console.warn(`wacrm-notifications: ${what} could not be loaded (${String(error)}); ${instead}.`);
  return error;
}

let relativeTime: Promise<unknown> | undefined;

/**
 * Defines `<relative-time>` (@github/relative-time-element), loaded beside the first load rather
 * than in it: a list's times are empty until it arrives (usually before the list's own data), then
 * upgrade in place and tick. Called by the first panel that connects.
 */
export function defineRelativeTime(): void {
  relativeTime ??= import('@github/relative-time-element').catch((error: unknown) =>
    notLoaded('relative times (<relative-time>)', 'notifications show no time', error),
  );
}
