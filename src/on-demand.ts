/**
 * Logs that a module loaded on demand (a CDN chunk beside the main file, blocked or missing) could
 * not be fetched, and what the element does instead; returns the error for callers that report it.
 */
export function notLoaded(what: string, instead: string, error: unknown): unknown {
  console.warn(`wacrm-notifications: ${what} could not be loaded (${String(error)}); ${instead}.`);
  return error;
}
