import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type {
  OperationObject,
  ParameterObject,
  ResponseObject,
} from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { AUTH_EXTENSION, type AuthKind } from '../programs/auth/auth.decorators';

/** The security scheme of each kind of key (see README, Keys). */
const SCHEMES: Record<Exclude<AuthKind, 'none'>, { name: string; description: string }> = {
  operator: {
    name: 'operatorToken',
    description:
      'The operator token: ADMIN_TOKEN, or the one generated into DATA_DIR/admin-token. Sent as `Authorization: Bearer <token>`.',
  },
  secret: {
    name: 'secretKey',
    description:
      "A program's secret key, `sk_…`, shown once when the program is created or the key rotated. Server side only. Sent as `Authorization: Bearer sk_…`.",
  },
  publishable: {
    name: 'publishableKey',
    description:
      "A program's publishable key, `pk_…`, for microsites and widgets: the /v1/public routes only. Sent as `Authorization: Bearer pk_…`.",
  },
};

const ERROR_REF = { $ref: '#/components/schemas/ErrorResponse' };
const ERROR_SCHEMAS = {
  ErrorDetail: {
    type: 'object',
    description:
      'One problem: the field it is about, a code of the documented vocabulary, a message; some errors add more (a template problem its part, line and column).',
    properties: {
      field: { type: 'string', example: 'email' },
      code: { type: 'string', example: 'REQUIRED' },
      message: { type: 'string', example: 'email is required.' },
    },
    required: ['message'],
    additionalProperties: true,
  },
  ErrorResponse: {
    type: 'object',
    description:
      'Every 4xx and 5xx answer: a stable code, a message that says what to change, details.',
    properties: {
      statusCode: { type: 'integer', example: 400 },
      code: { type: 'string', example: 'VALIDATION_FAILED' },
      message: { type: 'string', example: 'The request has invalid fields: email.' },
      details: {
        type: 'array',
        description: 'Empty unless the error has something to say field by field.',
        items: { $ref: '#/components/schemas/ErrorDetail' },
      },
    },
    required: ['statusCode', 'code', 'message', 'details'],
    additionalProperties: false,
  },
};

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head'] as const;

const documents = new WeakMap<INestApplication, OpenAPIObject>();

/**
 * The OpenAPI document of the app, exact: each route names the key it takes (a security scheme
 * per kind of key, none for public pages), every error answer has the one error body, and a
 * header is listed once.
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  let builder = new DocumentBuilder()
    .setTitle('Referral notification rules engine')
    .setDescription(
      'Program rules, rewards, system triggers, templates and SMTP delivery. Errors share one body: { statusCode, code, message, details }.',
    )
    .setVersion('1');
  for (const { name, description } of Object.values(SCHEMES))
    builder = builder.addSecurity(name, { type: 'http', scheme: 'bearer', description });
  const document = SwaggerModule.createDocument(app, builder.build());
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, ...ERROR_SCHEMAS },
  };
  for (const schema of Object.values(document.components.schemas ?? {})) nullableRefs(schema);
  for (const item of Object.values(document.paths))
    for (const method of METHODS) {
      const operation = item[method];
      if (operation) exact(operation);
    }
  return document;
}

/** Builds the document, serves it at /docs (UI) and /docs-json, and keeps it for openApiDocumentOf. */
export function setupOpenApi(app: INestApplication): OpenAPIObject {
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  documents.set(app, document);
  return document;
}

/** The document setupOpenApi served for this app. */
export function openApiDocumentOf(app: INestApplication): OpenAPIObject | undefined {
  return documents.get(app);
}

function exact(operation: OperationObject): void {
  const extensions = operation as OperationObject & { [AUTH_EXTENSION]?: AuthKind };
  const kind = extensions[AUTH_EXTENSION] ?? 'secret';
  delete extensions[AUTH_EXTENSION];
  operation.security = kind === 'none' ? [] : [{ [SCHEMES[kind].name]: [] }];

  operation.parameters = onceEach(operation.parameters as ParameterObject[] | undefined);

  const responses = operation.responses as Record<string, ResponseObject>;
  for (const [status, response] of Object.entries(responses))
    if (Number(status) >= 400 && !response.content)
      response.content = { 'application/json': { schema: ERROR_REF } };
  if (kind !== 'none') {
    responses['401'] ??= errorResponse(
      'No key, or not a valid one for this route (API_KEY_MISSING, API_KEY_INVALID).',
    );
    if (kind !== 'operator')
      responses['403'] ??= errorResponse(
        kind === 'secret'
          ? 'A publishable key on a route that needs the secret key (PUBLISHABLE_KEY_NOT_ALLOWED).'
          : 'The secret key on a public route (SECRET_KEY_NOT_ALLOWED).',
      );
  }
  // Pages answer HTML, errors included; every JSON route answers any other error with the error body.
  const html = Object.values(responses).some((r) => r.content?.['text/html']);
  if (!html)
    responses.default ??= errorResponse(
      'Any other error (400 VALIDATION_FAILED, 404 NOT_FOUND, 429 RATE_LIMITED, 503 SERVICE_UNAVAILABLE, …): see the error codes in the README.',
    );
}

// A nullable property of a class type comes out as { type: 'object', nullable, allOf: [$ref] }, where
// `type` applies to null too: null would never be valid. Without it, nullable means what it says.
function nullableRefs(node: unknown): void {
  if (!node || typeof node !== 'object') return;
  const schema = node as Record<string, unknown>;
  if (schema.nullable === true && Array.isArray(schema.allOf) && schema.type === 'object')
    delete schema.type;
  for (const value of Object.values(schema))
    if (Array.isArray(value)) value.forEach(nullableRefs);
    else nullableRefs(value);
}

function errorResponse(description: string): ResponseObject {
  return { description, content: { 'application/json': { schema: ERROR_REF } } };
}

// A header read with @Headers() is listed by its lower-case name and as required; the one
// described with @ApiHeader is the one a client should see. HTTP header names ignore case.
function onceEach(parameters: ParameterObject[] | undefined): ParameterObject[] | undefined {
  if (!parameters) return parameters;
  const kept: ParameterObject[] = [];
  for (const parameter of parameters) {
    const same = (p: ParameterObject) =>
      p.in === 'header' &&
      parameter.in === 'header' &&
      p.name.toLowerCase() === parameter.name.toLowerCase();
    const twin = kept.findIndex(same);
    if (twin < 0) kept.push(parameter);
    else if (!kept[twin].description && parameter.description) kept[twin] = parameter;
  }
  return kept;
}
