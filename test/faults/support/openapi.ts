// The routes the service documents at /docs-json, in the shape the hostile-input and isolation
// cases walk: every route is tried, including ones added after this suite was written.

export interface Schema {
  type?: string;
  format?: string;
  enum?: unknown[];
  example?: unknown;
  default?: unknown;
  nullable?: boolean;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  allOf?: Schema[];
  $ref?: string;
  minimum?: number;
  maximum?: number;
}

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: Schema;
}

interface OperationObject {
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OperationObject>>;
  components?: { schemas?: Record<string, Schema> };
}

export type Auth = 'none' | 'operator' | 'secret' | 'publishable';

export interface Operation {
  method: string;
  /** As documented, e.g. /v1/rules/{id}. */
  path: string;
  pathParams: string[];
  query: Parameter[];
  body?: { contentType: string; schema: Schema };
  auth: Auth;
}

// Which key a route takes, as API.md says: the operator token creates, lists and reads programs
// and rotates their keys, the publishable key calls /v1/public, the secret key the rest of /v1.
function authOf(path: string): Auth {
  if (!path.startsWith('/v1/')) return 'none';
  if (path === '/v1/programs' || path.startsWith('/v1/programs/')) return 'operator';
  if (path.startsWith('/v1/public/')) return 'publishable';
  return 'secret';
}

export function operations(doc: OpenApiDocument): Operation[] {
  const out: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [m, op] of Object.entries(methods)) {
      const method = m.toUpperCase();
      if (!['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(method)) continue;
      const params = op.parameters ?? [];
      const [contentType, media] = Object.entries(op.requestBody?.content ?? {})[0] ?? [];
      out.push({
        method,
        path,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        query: params.filter((p) => p.in === 'query'),
        body: contentType ? { contentType, schema: resolve(doc, media?.schema ?? {}) } : undefined,
        auth: authOf(path),
      });
    }
  }
  return out;
}

/** Follows $ref and single allOf wrappers to the schema itself. */
export function resolve(doc: OpenApiDocument, schema: Schema): Schema {
  if (schema.$ref) {
    const name = schema.$ref.split('/').pop() ?? '';
    return resolve(doc, doc.components?.schemas?.[name] ?? {});
  }
  if (schema.allOf?.length === 1 && !schema.properties)
    return { ...resolve(doc, schema.allOf[0]), nullable: schema.nullable };
  return schema;
}

export function fillPath(path: string, values: Record<string, string>): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? 'unknown');
}

/**
 * A plausible body from the schema: examples where the document has them, else values by name
 * and type. Hosts and addresses point at this machine only, so a body that happens to be valid
 * never reaches out.
 */
export function sampleOf(
  doc: OpenApiDocument,
  schema: Schema,
  name = '',
  local: { port: number },
): unknown {
  const s = resolve(doc, schema);
  if (s.example !== undefined) return s.example;
  if (s.enum?.length) return s.enum[0];
  if (s.type === 'object' || s.properties) {
    const obj: Record<string, unknown> = {};
    for (const key of s.required ?? [])
      obj[key] = sampleOf(doc, s.properties?.[key] ?? {}, key, local);
    return obj;
  }
  if (s.type === 'array') return [];
  if (s.type === 'number' || s.type === 'integer') return /port/i.test(name) ? local.port : 1;
  if (s.type === 'boolean') return true;
  if (/host/i.test(name)) return '127.0.0.1';
  if (/^(email|to|fromAddress|testFromAddress)$/.test(name)) return 'nobody@example.com';
  if (/domain/i.test(name)) return 'acme.test';
  if (/password/i.test(name)) return 'hostile-password-1';
  if (/token/i.test(name)) return 'not-a-token-000000000000';
  if (/security/i.test(name)) return 'tls';
  return 'x';
}
