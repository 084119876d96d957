// Types for bundle-options.mjs (imported by scripts/sizes.ts and the dist tests).
import type { Plugin, RollupLog, LoggingFunction } from 'rollup';

export function cdnBanner(withSupabase: boolean): string;
export function esbuildMinify(banner?: string): Plugin;
export function noSupabase(): Plugin;
export function minifyCss(): Plugin;
export function onwarn(warning: RollupLog, warn: LoggingFunction): void;
export function nativeDurationFormat(): Plugin;
