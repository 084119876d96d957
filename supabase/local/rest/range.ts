// Content-Range and the 200/206/416 choice, as PostgREST's RangeQuery.rangeStatusHeader makes them.
import { pgrstError } from './errors.js';

/** `0-19/57`, `*\/0`, `0-9/*`: the range is `*` when empty, the total `*` when not counted. */
export function contentRange(lower: number, upper: number, total: number | null): string {
  const range = total !== 0 && lower <= upper ? `${lower}-${upper}` : '*';
  return `${range}/${total === null ? '*' : total}`;
}

export interface RangeOutcome {
  status: number;
  contentRange: string;
}

/**
 * For a page of `pageSize` rows starting at `offset`: 206 only when a count was asked and the
 * page is a strict part of it, 416 when the offset is past the counted total.
 */
export function rangeStatus(offset: number, pageSize: number, total: number | null): RangeOutcome {
  const upper = offset + pageSize - 1;
  const header = contentRange(offset, upper, total);
  if (total === null) return { status: 200, contentRange: header };
  if (offset > total) {
    throw pgrstError(416, 'PGRST103', 'Requested range not satisfiable',
      `An offset of ${offset} was requested, but there are only ${total} rows.`, null, { 'Content-Range': `*/${total}` });
  }
  return { status: 1 + upper - offset < total ? 206 : 200, contentRange: header };
}

/**
 * The most rows one response carries, as `max_rows` in supabase/config.toml and a Supabase
 * project's default (PostgREST's db-max-rows): clients that want more must page.
 */
export const MAX_ROWS = 1000;

/**
 * Combines limit/offset with a Range header and MAX_ROWS: the rows all of them allow. Counted in
 * rows from the offset, never as `offset + limit`: near 2^53 that sum is no longer exact and the
 * page would grow past MAX_ROWS.
 */
export function restrictRange(
  offset: number | undefined,
  limit: number | undefined,
  header: { from: number; to?: number } | undefined,
): { offset: number; limit?: number } {
  let lower = offset ?? 0;
  let rows = limit ?? Infinity;
  if (header) {
    const from = Math.max(lower, header.from);
    rows -= from - lower;
    lower = from;
    if (header.to !== undefined) rows = Math.min(rows, header.to - lower + 1);
  }
  return { offset: lower, limit: Math.max(0, Math.min(rows, MAX_ROWS)) };
}
