// pgoutput messages → the changes Realtime sends, still in Postgres text form.
import type { Pgoutput } from 'pg-logical-replication';
import type { ChangeEvent } from './filters.js';
import type { RowValues } from './evaluator.js';

export interface DecodedChange {
  relid: number;
  schema: string;
  table: string;
  type: ChangeEvent;
  /** INSERT, UPDATE. */
  record: RowValues | null;
  /**
   * UPDATE, DELETE: what the replica identity carries. FULL: the whole previous row; DEFAULT or
   * INDEX: the key columns only (pgoutput omits them on an UPDATE that kept the key, so they come
   * from the new row then).
   */
  oldRecord: RowValues | null;
}

export interface DecodedTransaction {
  /** Commit time in microseconds since the Unix epoch. */
  commitTime: bigint;
  changes: DecodedChange[];
}

/** Realtime's `commit_timestamp`: UTC, millisecond precision (to_char(..., 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')). */
export function commitTimestamp(commitTime: bigint): string {
  return new Date(Number(commitTime / 1000n)).toISOString();
}

/**
 * pgoutput tuples hold text values (the plugin's type parsers are disabled), null for SQL NULL and
 * undefined for an unchanged TOAST value the WAL did not repeat: those are left out.
 */
function textRow(tuple: Record<string, unknown> | null | undefined): RowValues | null {
  if (!tuple) return null;
  const row: RowValues = {};
  for (const [name, value] of Object.entries(tuple)) {
    if (value === undefined) continue;
    row[name] = value === null ? null : asText(value);
  }
  return row;
}

/** A column's value as the text form pgoutput sends (a string already; bytes decoded; anything else stringified deliberately). */
function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

function pick(row: RowValues | null, columns: string[]): RowValues | null {
  if (!row) return null;
  const picked: RowValues = {};
  for (const column of columns) if (column in row) picked[column] = row[column]!;
  return picked;
}

export function decodeChange(message: Pgoutput.Message): DecodedChange | undefined {
  switch (message.tag) {
    case 'insert':
      return {
        ...where(message.relation),
        type: 'INSERT',
        record: textRow(message.new),
        oldRecord: null,
      };
    case 'update': {
      const record = textRow(message.new);
      return {
        ...where(message.relation),
        type: 'UPDATE',
        record,
        oldRecord: textRow(message.old) ?? textRow(message.key) ?? pick(record, message.relation.keyColumns),
      };
    }
    case 'delete':
      return {
        ...where(message.relation),
        type: 'DELETE',
        record: null,
        oldRecord: textRow(message.old) ?? textRow(message.key) ?? {},
      };
    default:
      return undefined;
  }
}

function where(relation: Pgoutput.MessageRelation) {
  return { relid: relation.relationOid, schema: relation.schema, table: relation.name };
}
