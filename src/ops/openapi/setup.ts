import type { INestApplication } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, getSchemaPath, type OpenAPIObject } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { API_KEY_SCHEME } from '../../common/http/openapi';
import { FieldErrorSchema, ProblemSchema } from '../../common/http/schemas';
import { HealthChecksSchema, HealthProblemSchema, HealthQueueWorkersSchema, HealthSchema } from '../health.schema';
import { documentValidatorRules, refineDocument } from './document-rules';
import { refuseFraming, serveFiles } from '../static-files';

/**
 * Schemas named by a $ref that no route's decorators register (so $refs resolve everywhere).
 * The others are registered by the routes that answer them; each sits beside the view it
 * describes (e.g. src/evidence/evidence-view.schema.ts), the shared pieces in src/common/http/.
 */
const OPENAPI_SCHEMAS = [FieldErrorSchema, ProblemSchema, HealthChecksSchema, HealthQueueWorkersSchema, HealthSchema, HealthProblemSchema];

export const DOCS_PATH = 'docs';
export const DOCS_JSON_PATH = 'docs-json';

const DESCRIPTION = `An append-only, hash-chained ledger of public claims and pledges, the evidence for and
against them, and the verification status the jobs derive from it.

**Auth**: \`Authorization: Bearer <api key>\`. Roles: admin ⊃ editor ⊃ checker ⊃ viewer. Writes need
checker; reads need viewer unless the service runs with \`PUBLIC_READ=true\`; key management
and rebuilds need admin. No or unknown key: 401; known key, too weak a role: 403.

**Errors** are RFC 9457 problem details (\`application/problem+json\`).

**Request ids**: every answer carries \`X-Request-Id\` (yours, if you sent a sane one). It is
recorded as \`metadata.correlationId\` of the events the request wrote, and follows them into
the verification jobs and the events those append (whose \`causationId\` is the position of the
event that caused the job).

Examples are from the seed scenario: The Moscow Times, 30 March 2022, "Kremlin Sees No
Breakthroughs at Ukraine Talks".`;

/** The document, generated from the controllers' and DTOs' decorators. */
export function buildOpenApiDocument(app: INestApplication, queueBoard: boolean): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('claim-ledger')
    .setDescription(DESCRIPTION)
    .setVersion('1')
    .setLicense('MIT', 'https://opensource.org/licenses/MIT')
    // Relative: the document is served by the API it describes, wherever that is deployed.
    .addServer('/', 'This server')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'API key', description: 'An API key (clk_…) or ADMIN_API_KEY' }, API_KEY_SCHEME)
    .addTag('claims', 'Claims and pledges')
    .addTag('evidence', 'Evidence, field reports and retractions')
    .addTag('ledger', 'The log itself: feed and chain verification')
    .addTag('api-keys', 'Key management (admin)')
    .addTag('operations', 'Health, metrics, queue board')
    .build();
  documentValidatorRules();
  const document = SwaggerModule.createDocument(app, config, {
    extraModels: OPENAPI_SCHEMAS,
    operationIdFactory: (controllerKey: string, methodKey: string) => `${controllerKey.replace(/Controller$/, '')}_${methodKey}`,
  });
  document.paths['/queues'] = {
    get: {
      tags: ['operations'],
      operationId: 'QueueBoard_ui',
      summary: 'Queue board (bull-board UI) for admins',
      description:
        'Served only when REDIS_URL is set (404 otherwise). Admin keys only: send `Authorization: Bearer <admin key>`, ' +
        'or in a browser use HTTP Basic auth with any user name and the admin key as password (the 401 asks for it). ' +
        'The UI and its JSON API live under /queues/.',
      security: [{ [API_KEY_SCHEME]: [] }],
      responses: {
        '200': { description: 'The bull-board page', content: { 'text/html': { schema: { type: 'string' } } } },
        ...['401', '403', '404'].reduce<Record<string, object>>((acc, code) => {
          acc[code] = {
            description: code === '404' ? 'No REDIS_URL: jobs run in-process and there are no queues to show' : code === '401' ? 'No or unknown key' : 'Not an admin key',
            content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemSchema) } } },
          };
          return acc;
        }, {}),
      },
    },
  };
  if (!queueBoard) document.paths['/queues'].get!.summary += ' (not enabled in this process: no REDIS_URL)';
  return refineDocument(document);
}

const UI_HTML = `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <title>claim-ledger API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css" />
  <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png" />
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
`;

const UI_INIT = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/${DOCS_JSON_PATH}',
    dom_id: '#swagger-ui',
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: 'StandaloneLayout',
    deepLinking: true,
    displayRequestDuration: true,
    persistAuthorization: false,
  });
});
`;

/**
 * GET /docs (Swagger UI) and GET /docs-json (the document). Public: no key needed.
 * @nestjs/swagger serves the JSON; the UI page and swagger-ui-dist's assets are served here
 * (the files with @fastify/static, static-files.ts): a page of our own that loads /docs-json, where
 * @nestjs/swagger's UI would copy the whole document into its init script.
 */
export function setupOpenApi(app: NestFastifyApplication, queueBoard: boolean): OpenAPIObject {
  const document = buildOpenApiDocument(app, queueBoard);
  SwaggerModule.setup(DOCS_PATH, app, document, { ui: false, raw: ['json'], jsonDocumentUrl: DOCS_JSON_PATH });
  const fastify = app.getHttpAdapter().getInstance();
  // Its own encapsulated context: the no-framing headers cover the UI and its files, nothing else.
  fastify.register(async (scope) => {
    scope.addHook('onRequest', async (_req, reply) => refuseFraming(reply));
    const page = async (_req: unknown, reply: FastifyReply) => reply.header('content-type', 'text/html; charset=utf-8').send(UI_HTML);
    scope.get(`/${DOCS_PATH}`, page);
    scope.get(`/${DOCS_PATH}/`, page);
    scope.get(`/${DOCS_PATH}/init.js`, async (_req, reply) =>
      reply.header('content-type', 'application/javascript; charset=utf-8').send(UI_INIT),
    );
    await serveFiles(scope, `/${DOCS_PATH}/assets/`, swaggerUiAssetsPath());
  });
  return document;
}

function swaggerUiAssetsPath(): string {
  // swagger-ui-dist comes with @nestjs/swagger; it exports the folder holding its files.
  return (require('swagger-ui-dist') as { getAbsoluteFSPath(): string }).getAbsoluteFSPath();
}
