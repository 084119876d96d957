// Phoenix channel framing as realtime-js speaks it. vsn 1.0.0 sends JSON objects, vsn 2.0.0 JSON
// arrays `[join_ref, ref, topic, event, payload]`, plus binary frames for user broadcasts (the
// client sends kind 3 "user broadcast push"; only the server's kind 4 is decoded by the client,
// so we answer in text frames, which every client version accepts).

export type Vsn = '1.0.0' | '2.0.0';

export const SUPPORTED_VSNS: readonly Vsn[] = ['1.0.0', '2.0.0'];

export interface PhoenixMessage {
  joinRef: string | null;
  ref: string | null;
  topic: string;
  event: string;
  payload: Record<string, unknown>;
}

const USER_BROADCAST_PUSH = 3;
const JSON_ENCODING = 1;

const asRef = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));
const asPayload = (value: unknown): Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

/** Decodes one client frame; undefined for anything that is not a well-formed Phoenix message. */
export function decodeFrame(vsn: Vsn, data: Buffer, isBinary: boolean): PhoenixMessage | undefined {
  if (isBinary) return vsn === '2.0.0' ? decodeUserBroadcastPush(data) : undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString('utf8'));
  } catch {
    return undefined;
  }
  if (vsn === '2.0.0') {
    if (!Array.isArray(parsed) || parsed.length !== 5) return undefined;
    const [joinRef, ref, topic, event, payload] = parsed as unknown[];
    if (typeof topic !== 'string' || typeof event !== 'string') return undefined;
    return { joinRef: asRef(joinRef), ref: asRef(ref), topic, event, payload: asPayload(payload) };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const message = parsed as Record<string, unknown>;
  if (typeof message.topic !== 'string' || typeof message.event !== 'string') return undefined;
  return {
    joinRef: asRef(message.join_ref),
    ref: asRef(message.ref),
    topic: message.topic,
    event: message.event,
    payload: asPayload(message.payload),
  };
}

export function encodeFrame(vsn: Vsn, message: PhoenixMessage): string {
  if (vsn === '2.0.0') {
    return JSON.stringify([message.joinRef, message.ref, message.topic, message.event, message.payload]);
  }
  return JSON.stringify({
    topic: message.topic,
    event: message.event,
    payload: message.payload,
    ref: message.ref,
    join_ref: message.joinRef,
  });
}

/**
 * Kind 3: [kind, joinRefLen, refLen, topicLen, eventLen, metaLen, encoding, joinRef, ref, topic,
 * event, meta, payload]. Turned back into the JSON-shaped `broadcast` push the text protocol uses,
 * so the channel handles both the same way. Binary (non-JSON) payloads are not supported.
 */
function decodeUserBroadcastPush(data: Buffer): PhoenixMessage | undefined {
  if (data.length < 7 || data[0] !== USER_BROADCAST_PUSH) return undefined;
  const lengths = [data[1]!, data[2]!, data[3]!, data[4]!, data[5]!];
  const encoding = data[6];
  let offset = 7;
  const take = (length: number) => {
    const text = data.subarray(offset, offset + length).toString('utf8');
    offset += length;
    return text;
  };
  const [joinRef, ref, topic, event, meta] = lengths.map(take) as [string, string, string, string, string];
  if (offset > data.length || encoding !== JSON_ENCODING) return undefined;
  let userPayload: unknown;
  try {
    userPayload = JSON.parse(data.subarray(offset).toString('utf8'));
  } catch {
    return undefined;
  }
  let metadata: Record<string, unknown> = {};
  try {
    metadata = meta ? asPayload(JSON.parse(meta)) : {};
  } catch {
    // Metadata is a hint only; a broken one does not lose the message.
  }
  return {
    joinRef: joinRef || null,
    ref: ref || null,
    topic,
    event: 'broadcast',
    payload: { ...metadata, type: 'broadcast', event, payload: userPayload },
  };
}
