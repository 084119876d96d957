// Phoenix channel framing as realtime-js speaks it. vsn 1.0.0 sends JSON objects, vsn 2.0.0 JSON
// arrays `[join_ref, ref, topic, event, payload]`, plus binary frames for user broadcasts: the
// client sends kind 3 ("user broadcast push"), the server kind 4 ("user broadcast"), as Realtime's
// V2Serializer does for rows of realtime.messages, kind-3 pushes and the per-topic REST route.

export type Vsn = '1.0.0' | '2.0.0';

export const SUPPORTED_VSNS: readonly Vsn[] = ['1.0.0', '2.0.0'];

export interface PhoenixMessage {
  joinRef: string | null;
  ref: string | null;
  topic: string;
  event: string;
  payload: Record<string, unknown>;
  /** A kind-3 push, kept in its wire form (the payload is not parsed, as Realtime relays it as is). */
  userBroadcast?: UserBroadcast;
}

/** Realtime's UserBroadcast: an event and its payload, JSON text or raw bytes, plus metadata. */
export interface UserBroadcast {
  event: string;
  encoding: 'json' | 'binary';
  body: Buffer;
  meta: Record<string, unknown> | null;
}

const USER_BROADCAST_PUSH = 3;
const USER_BROADCAST = 4;
const BINARY_ENCODING = 0;
const JSON_ENCODING = 1;
const MAX_FIELD_BYTES = 255;

/**
 * A ref as text. Phoenix echoes any JSON; refs are compared as text here, so an object or array is
 * its JSON (String() would throw on `{"toString": 0}`, from inside the socket's message handler).
 */
const asRef = (value: unknown): string | null => {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value) ?? null;
};
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
 * event, meta, payload]. Realtime ignores the metadata ("not using the metadata for anything just
 * yet") and relays the payload untouched, JSON or binary.
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
  const [joinRef, ref, topic, event] = lengths.map(take) as [string, string, string, string, string];
  if (offset > data.length || (encoding !== JSON_ENCODING && encoding !== BINARY_ENCODING)) return undefined;
  const body = Buffer.from(data.subarray(offset));
  if (encoding === JSON_ENCODING) {
    try {
      JSON.parse(body.toString('utf8'));
    } catch {
      return undefined; // relayed as JSON text, so it must be JSON
    }
  }
  return {
    joinRef: joinRef || null,
    ref: ref || null,
    topic,
    event: 'broadcast',
    payload: { type: 'broadcast', event },
    userBroadcast: { event, encoding: encoding === JSON_ENCODING ? 'json' : 'binary', body, meta: null },
  };
}

/**
 * A user broadcast as a frame for this protocol version: kind 4 on 2.0.0
 * ([4, topicLen, eventLen, metaLen, encoding, topic, event, meta, payload]); on 1.0.0 the JSON
 * `broadcast` push Realtime converts it to (UserBroadcast.convert_to_json_broadcast), the payload
 * spliced in as the JSON text it is. Undefined when it cannot be represented: a binary payload on
 * 1.0.0, or a topic, event or metadata over 255 bytes on 2.0.0 (Realtime drops those too).
 */
export function encodeUserBroadcast(vsn: Vsn, topic: string, message: UserBroadcast): string | Buffer | undefined {
  const meta = message.meta ? JSON.stringify(message.meta) : '';
  if (vsn === '1.0.0') {
    if (message.encoding !== 'json') return undefined;
    const payload =
      `{"event":${JSON.stringify(message.event)},"payload":${message.body.toString('utf8')},"type":"broadcast"` +
      `${meta ? `,"meta":${meta}` : ''}}`;
    return `{"topic":${JSON.stringify(topic)},"event":"broadcast","payload":${payload},"ref":null,"join_ref":null}`;
  }
  const fields = [topic, message.event, meta].map((field) => Buffer.from(field, 'utf8'));
  if (fields.some((field) => field.length > MAX_FIELD_BYTES)) return undefined;
  const header = Buffer.from([
    USER_BROADCAST,
    fields[0]!.length,
    fields[1]!.length,
    fields[2]!.length,
    message.encoding === 'json' ? JSON_ENCODING : BINARY_ENCODING,
  ]);
  return Buffer.concat([header, ...fields, message.body]);
}
