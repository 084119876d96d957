// Types for bundle-options.mjs (imported by scripts/sizes.ts and the dist tests).
import type { Plugin, RollupLog, LoggingFunction } from 'rollup';
import type { Options } from '@rollup/plugin-terser';

export function cdnBanner(withSupabase: boolean): string;
export const terserOptions: Options;
export function noSupabase(): Plugin;
export function minifyCss(): Plugin;
export function onwarn(warning: RollupLog, warn: LoggingFunction): void;
