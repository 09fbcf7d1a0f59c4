import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import type { ValidateFunction } from 'ajv';

interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
}

export const spec = parse(readFileSync(path.resolve(import.meta.dirname, '../../openapi.yaml'), 'utf8')) as OpenApiDocument;

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);
ajv.addSchema(spec as object, 'openapi');

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head'];

/** `/v1/me/sessions/{id}` → `/v1/me/sessions/:id`, the form Fastify registers. */
export const toFastifyPath = (openApiPath: string) => openApiPath.replace(/\{([^}]+)\}/g, ':$1');

export function specRoutes(): { method: string; url: string }[] {
  return Object.entries(spec.paths).flatMap(([url, item]) =>
    Object.keys(item)
      .filter((key) => HTTP_METHODS.includes(key))
      .map((method) => ({ method: method.toUpperCase(), url: toFastifyPath(url) })),
  );
}

const pointer = (...parts: string[]) => parts.map((part) => part.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');
const validators = new Map<string, ValidateFunction>();

/**
 * Checks one response against the spec: the status must be documented for the
 * route (exactly, as 4XX/5XX, or as default) and a JSON body must match its schema.
 * Returns a description of the mismatch, or undefined.
 */
export function checkResponse(method: string, route: string, status: number, contentType: string | undefined, body: string): string | undefined {
  const specPath = Object.keys(spec.paths).find((candidate) => toFastifyPath(candidate) === route);
  if (!specPath) return `${method} ${route} is not in openapi.yaml`;
  const operation = spec.paths[specPath]?.[method.toLowerCase()];
  if (!operation) return `${method} ${route} is not in openapi.yaml`;
  const statusKey = [String(status), `${String(status)[0]}XX`, 'default'].find((key) => key in operation.responses);
  if (!statusKey) return `${method} ${route} answered ${status}, which openapi.yaml does not document`;
  const mediaType = contentType?.split(';')[0]?.trim();
  const content = operation.responses[statusKey]?.content;
  if (!content || !mediaType || !/json/.test(mediaType)) return undefined;
  if (!(mediaType in content)) return `${method} ${route} ${status} answered ${mediaType}, not documented`;
  if (!content[mediaType]?.schema) return undefined;
  const ref = `openapi#/${pointer('paths', specPath, method.toLowerCase(), 'responses', statusKey, 'content', mediaType, 'schema')}`;
  let validate = validators.get(ref);
  if (!validate) {
    validate = ajv.compile({ $ref: ref });
    validators.set(ref, validate);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return `${method} ${route} ${status} body is not JSON`;
  }
  return validate(parsed) ? undefined : `${method} ${route} ${status}: ${ajv.errorsText(validate.errors)}`;
}
