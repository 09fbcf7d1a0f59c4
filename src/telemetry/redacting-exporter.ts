import type { Attributes, AttributeValue } from '@opentelemetry/api';
import type { core, tracing } from '@opentelemetry/sdk-node';

type ReadableSpan = tracing.ReadableSpan;

// Attribute names (their last dot-separated part) whose values are credentials: header
// captures (`http.request.header.authorization`), or anything an instrumentation may add later.
const SECRET_NAMES = new Set([
  'authorization',
  'cookie',
  'set-cookie',
  'x-csrf-token',
  'password',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'code',
  'code_verifier',
  'client_secret',
  'secret',
  'csrf_token',
  'session_id',
]);
// Query strings carry authorization codes, tokens and return_to targets (RFC 6749 §4.1.2 puts the code there).
const DROPPED = new Set(['url.query']);
const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i;

function scrubValue(key: string, value: AttributeValue): AttributeValue {
  if (typeof value !== 'string') return value;
  let scrubbed = value.replace(USERINFO, '$1');
  if (key.startsWith('url.') || key.startsWith('http.')) scrubbed = scrubbed.replace(/[?#].*$/s, '');
  return scrubbed;
}

/** The attributes without credentials, query strings or URL user info; the same object when nothing changes. */
export function scrubAttributes(attributes: Attributes): Attributes {
  let copy: Attributes | undefined;
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined) continue;
    const name = key.slice(key.lastIndexOf('.') + 1).toLowerCase();
    if (DROPPED.has(key) || SECRET_NAMES.has(name)) {
      copy ??= { ...attributes };
      delete copy[key];
      continue;
    }
    const scrubbed = scrubValue(key, value);
    if (scrubbed !== value) (copy ??= { ...attributes })[key] = scrubbed;
  }
  return copy ?? attributes;
}

/**
 * Every span passes here on its way out of the process, whichever
 * instrumentation made it, so no secret reaches the collector even when an
 * instrumentation records more than the service asked it to.
 */
export class RedactingSpanExporter implements tracing.SpanExporter {
  constructor(private readonly inner: tracing.SpanExporter) {}

  export(spans: ReadableSpan[], resultCallback: (result: core.ExportResult) => void): void {
    this.inner.export(spans.map(redactSpan), resultCallback);
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

function redactSpan(span: ReadableSpan): ReadableSpan {
  const attributes = scrubAttributes(span.attributes);
  const events = span.events.map((event) => {
    const scrubbed = event.attributes && scrubAttributes(event.attributes);
    return scrubbed === event.attributes ? event : { ...event, attributes: scrubbed };
  });
  const eventsChanged = events.some((event, index) => event !== span.events[index]);
  if (attributes === span.attributes && !eventsChanged) return span;
  // The span's own methods (spanContext()) stay reachable through the prototype.
  return Object.create(span, { attributes: { value: attributes }, events: { value: events } }) as ReadableSpan;
}
