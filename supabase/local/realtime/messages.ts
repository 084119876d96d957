// realtime.messages as Realtime uses it: the inserts it broadcasts (from the replication stream),
// the replay query of a private join, and the partition upkeep its janitor does.
import type pg from 'pg';
import type { DecodedChange } from './changes.js';
import type { UserBroadcast } from './phoenix.js';

export const MESSAGES_PUBLICATION = 'supabase_realtime_messages_publication';

/** A row of realtime.messages to fan out, as the replication connection reads it. */
export interface DatabaseMessage {
  id: string;
  topic: string;
  private: boolean;
  broadcast: UserBroadcast;
}

/**
 * An insert into realtime.messages (the partitions are named messages_YYYY_MM_DD), as Realtime's
 * ReplicationConnection reads it: inserted_at, event, id, topic and private must be present, the
 * payload is binary_payload if set, else payload; anything else is skipped. Updates and deletes
 * are never broadcast.
 */
export function messageFromChange(change: DecodedChange): DatabaseMessage | undefined {
  if (change.type !== 'INSERT' || change.schema !== 'realtime' || !change.table.startsWith('messages')) return undefined;
  const row = change.record;
  if (!row) return undefined;
  const { id, topic, event, inserted_at: insertedAt, private: isPrivate } = row;
  if (id == null || topic == null || event == null || insertedAt == null || isPrivate == null) return undefined;
  const meta = { id };
  let broadcast: UserBroadcast;
  if (row.binary_payload != null) {
    broadcast = { event, encoding: 'binary', body: byteaFromText(row.binary_payload), meta };
  } else if (row.payload != null) {
    broadcast = { event, encoding: 'json', body: Buffer.from(row.payload, 'utf8'), meta };
  } else {
    return undefined;
  }
  return { id, topic, private: isPrivate === 't', broadcast };
}

/** bytea in Postgres' text output: hex (`\x…`, the default) or the old escape format. */
function byteaFromText(text: string): Buffer {
  if (text.startsWith('\\x')) return Buffer.from(text.slice(2), 'hex');
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\' && text[i + 1] === '\\') {
      bytes.push(0x5c);
      i++;
    } else if (text[i] === '\\') {
      bytes.push(parseInt(text.slice(i + 1, i + 4), 8));
      i += 3;
    } else {
      bytes.push(text.charCodeAt(i));
    }
  }
  return Buffer.from(bytes);
}

export interface ReplayedMessage {
  id: string;
  event: string | null;
  payload: unknown;
  binaryPayload: Buffer | null;
}

export const MAX_REPLAY = 25;

/**
 * Realtime.Messages.replay: the private broadcasts of a topic inserted since `since` (epoch ms) and
 * before a minute from now, the newest `limit` (1..25), returned oldest first. inserted_at has no
 * time zone; it holds the inserting session's local time (UTC on Supabase), so the bounds are made
 * in the database's own time zone.
 */
export async function replayMessages(pool: pg.Pool, topic: string, since: number, limit: number): Promise<ReplayedMessage[]> {
  const { rows } = await pool.query<{ id: string; event: string | null; payload: unknown; binary_payload: Buffer | null }>(
    `select id::text, event, payload, binary_payload
       from realtime.messages
      where topic = $1 and private is true and extension = 'broadcast'
        and inserted_at >= (to_timestamp($2::float8 / 1000))::timestamp
        and inserted_at < (now() + interval '1 minute')::timestamp
      order by inserted_at desc
      limit $3`,
    [topic, since, Math.max(Math.min(limit, MAX_REPLAY), 1)],
  );
  return rows.reverse().map((row) => ({ id: row.id, event: row.event, payload: row.payload, binaryPayload: row.binary_payload }));
}

/**
 * The janitor's share: today's partitions (yesterday through today + 3) exist, and those of days
 * before now − 72 h are dropped (platform.sql's realtime.wacrm_* functions). Returns what changed.
 */
export async function maintainMessages(pool: pg.Pool): Promise<{ created: string[]; dropped: string[] }> {
  const created = await pool.query<{ name: string }>('select realtime.wacrm_ensure_message_partitions() as name');
  const dropped = await pool.query<{ name: string }>('select realtime.wacrm_drop_old_message_partitions() as name');
  return { created: created.rows.map((row) => row.name), dropped: dropped.rows.map((row) => row.name) };
}
