// What the stand-in's fuzz tests (fuzz-*.test.ts) share: run counts and seeds, a watch on the
// process for errors nobody handled, the hostile strings every door is fed, and encoders that let
// any string reach the server as sent.
//
//   FUZZ_RUNS=5000 npm run test:standin   inputs per network property (unit-level ones run 20×)
//   FUZZ_SEED=1234 npm run test:standin   replays a run; the seed is printed by every property
//
// A failure prints fast-check's report: the seed, the path of the shrunk case and the case itself;
// `FUZZ_SEED=<seed>` (and `FUZZ_PATH=<path>` for the shrunk case alone) replays it.
import { inspect } from 'node:util';
import fc from 'fast-check';

/** Runs of a property that `defaultRuns` fits in the time budget of `npm test`, scaled by FUZZ_RUNS. */
export function runs(defaultRuns: number, { unit = false } = {}): number {
  const asked = Number(process.env.FUZZ_RUNS);
  if (!Number.isInteger(asked) || asked <= 0) return defaultRuns;
  return unit ? asked * 20 : asked;
}

/** The seed of this process's properties: FUZZ_SEED, or a new one printed with the results. */
export const seed = Number.isInteger(Number(process.env.FUZZ_SEED)) && process.env.FUZZ_SEED
  ? Number(process.env.FUZZ_SEED)
  : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;

/** fast-check parameters: the seed, the runs, and FUZZ_PATH to replay a single shrunk case. */
export function parameters<T>(numRuns: number, extra: fc.Parameters<T> = {}): fc.Parameters<T> {
  return {
    seed,
    numRuns,
    includeErrorInReport: true,
    ...(process.env.FUZZ_PATH ? { path: process.env.FUZZ_PATH, endOnFailure: true } : {}),
    ...extra,
  };
}

/**
 * Errors the server process did not handle, seen while fuzzing: unhandled rejections, uncaught
 * exceptions, and log lines that only a bug writes (by default the gateway's "unexpected error",
 * its answer to a bug: a 500).
 */
export class ProcessWatch {
  readonly problems: string[] = [];

  constructor(private readonly suspicious: RegExp[] = [/unexpected error/i]) {}

  private readonly originalConsoleError = console.error;
  private readonly onRejection = (reason: unknown) => this.problems.push(`unhandledRejection: ${inspect(reason)}`);
  private readonly onException = (error: unknown) => this.problems.push(`uncaughtException: ${inspect(error)}`);

  start(): this {
    process.on('unhandledRejection', this.onRejection);
    process.on('uncaughtException', this.onException);
    console.error = (...args: unknown[]) => {
      const line = args.map((arg) => (typeof arg === 'string' ? arg : inspect(arg))).join(' ');
      if (this.suspicious.some((pattern) => pattern.test(line))) this.problems.push(`logged: ${line.slice(0, 2000)}`);
      this.originalConsoleError(...args);
    };
    return this;
  }

  stop(): void {
    process.off('unhandledRejection', this.onRejection);
    process.off('uncaughtException', this.onException);
    console.error = this.originalConsoleError;
  }

  /** Throws (failing the property's run) when anything was seen since the last call. */
  check(): void {
    if (this.problems.length === 0) return;
    const problems = this.problems.splice(0);
    throw new Error(`the server process reported:\n${problems.join('\n')}`);
  }
}

/**
 * Values that would drop, create or change something if the server ever spliced them into SQL
 * (the canary table and the `fuzz_pwned` table must look the same afterwards), or sleep if run.
 */
export const INJECTIONS = [
  `'; drop table public.fuzz_canary; --`,
  `"; drop table public.fuzz_canary; --`,
  `1); drop table public.fuzz_canary; --`,
  `x') or 1=1; delete from public.fuzz_canary; --`,
  `"); create table public.fuzz_pwned (); --`,
  `$$; create table public.fuzz_pwned (); $$`,
  `1 union select id, note from public.fuzz_canary`,
  `(select pg_sleep(5))`,
  `pg_sleep(5)`,
  `id; truncate public.fuzz_canary`,
  `id"; truncate public.fuzz_canary; --`,
  `fuzz_canary`,
  `public.fuzz_canary`,
  `E'\\x00'`,
  `\\'; update public.fuzz_canary set note = 'owned'; --`,
  `*/ delete from public.fuzz_canary /*`,
  `$1`,
  `$$`,
  `::regclass`,
  `\u0000`,
  `a\u0000b`,
  `%00`,
  `\\`,
];

/** Strings a parser meets at its edges: empty, punctuation of the grammar, numbers that do not fit. */
export const EDGE_VALUES = [
  '', ' ', 'null', 'NULL', 'true', 'false', 'unknown', 'not_null', '0', '-0', '-1', '1e309', 'NaN', 'Infinity',
  '9223372036854775808', '-9223372036854775809', '99999999999999999999999999', '2147483648', '1.5', '0x10',
  '2026-12-04', '2026-12-04T12:00:00Z', 'epoch', 'infinity', 'allballs', '00000000-0000-0000-0000-000000000000',
  '{}', '{a,b}', '{"a":1}', '[1,2]', '(1,2)', '"a,b"', '"', '""', '"\\"', '\\', '%', '*', ',', '(', ')', '.', ':', '::',
  '->', '->>', '!', '...', 'and(', 'or()', '()', '(,)', ',,', '..', 'é', 'ü', 'Ω', '日本', '😀', '\u200b', '\ud800', '\udfff',
  '\u0085', '\t', '\n', '\r\n',
];

/**
 * JSON objects whose keys name Object.prototype's members: `String(value)` throws on the first,
 * `key in value` finds the others on any object.
 */
export const PROTOTYPE_KEYED: unknown[] = [
  { toString: 0 },
  { valueOf: null, toString: null },
  { constructor: 1 },
  { hasOwnProperty: 'x' },
  JSON.parse('{"__proto__": {"polluted": true}}') as unknown,
  { toJSON: 'x' },
];

/** Any JSON value, now and then one of PROTOTYPE_KEYED. */
export const hostileJson = (maxDepth = 2): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 8, arbitrary: fc.jsonValue({ maxDepth }) }, { weight: 1, arbitrary: fc.constantFrom(...PROTOTYPE_KEYED) });

const text = fc.string({ unit: 'binary', maxLength: 24 });

/** Any value a client might send as text, biased towards the dangerous and the odd. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...INJECTIONS) },
  { weight: 3, arbitrary: fc.constantFrom(...EDGE_VALUES) },
  { weight: 3, arbitrary: text },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.integer().map(String) },
  { weight: 1, arbitrary: fc.double().map(String) },
  { weight: 1, arbitrary: fc.uuid() },
  { weight: 1, arbitrary: fc.array(fc.constantFrom(...EDGE_VALUES, ...INJECTIONS), { maxLength: 4 }).map((parts) => parts.join('')) },
);

/** A long string: one of the above repeated, up to `maxBytes` or so. */
export const longText = (maxBytes: number): fc.Arbitrary<string> =>
  fc.tuple(fc.oneof(hostileText, fc.constantFrom('(', 'and(', 'a,', '"', '\\', 'x')), fc.integer({ min: 100, max: maxBytes }))
    .map(([unit, length]) => (unit === '' ? 'x' : unit).repeat(Math.ceil(length / Math.max(1, unit.length))).slice(0, length));

/**
 * Percent-encodes every byte of the string's UTF-8 form outside the unreserved set; a lone
 * surrogate goes as U+FFFD, as a browser's URL encoder sends it.
 */
export function percentEncode(value: string): string {
  let encoded = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const char = String.fromCharCode(byte);
    encoded += /[A-Za-z0-9\-._~]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}

/**
 * The characters a request target may carry unencoded (visible ASCII; `#` would start a fragment).
 * Node's client would send bytes up to 0xff, which the server's parser refuses before any handler.
 */
export const rawPathSafe = (value: string) => value.replace(/[^\u0021-\u007e]|#/g, '');

/** What Node's HTTP client lets through in a header value. */
export const headerSafe = (value: string) => value.replace(/[^\t\u0020-\u007e\u0080-\u00ff]/g, '');

/** Milliseconds since `start`, rounded, for the figures a run reports. */
export const since = (start: number) => Math.round(performance.now() - start);
