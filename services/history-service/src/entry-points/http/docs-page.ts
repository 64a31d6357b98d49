import type { OpenApiDocument } from './openapi-document';

type Json = Record<string, unknown>;

const escapeHtml = (text: unknown) =>
  String(text ?? '').replace(
    /[&<>"']/g,
    (char) =>
      ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char] ?? char,
  );

/** `code` spans from the Markdown backticks the descriptions use; everything else escaped. */
const prose = (text: unknown) =>
  escapeHtml(text).replace(/`([^`]+)`/g, (_, code: string) => `<code>${code}</code>`);

function resolve(document: OpenApiDocument, value: unknown): Json {
  const ref = (value as { $ref?: string } | undefined)?.$ref;
  if (!ref) return (value ?? {}) as Json;
  const name = ref.split('/').pop() ?? '';
  return ((document.components?.schemas ?? {}) as Record<string, Json>)[name] ?? {};
}

/** A one-line summary of a schema: type, constraints, default. */
function describeSchema(document: OpenApiDocument, value: unknown): string {
  const schema = resolve(document, value);
  const parts: string[] = [];
  if (Array.isArray(schema.anyOf)) {
    parts.push((schema.anyOf as unknown[]).map((s) => describeSchema(document, s)).join(' or '));
  }
  if (schema.type !== undefined) {
    parts.push(Array.isArray(schema.type) ? schema.type.join(' | ') : String(schema.type));
  }
  if (schema.minimum !== undefined) parts.push(`≥ ${String(schema.minimum)}`);
  if (schema.maximum !== undefined) parts.push(`≤ ${String(schema.maximum)}`);
  if (schema.pattern !== undefined) parts.push(`pattern ${String(schema.pattern)}`);
  if (schema.default !== undefined) parts.push(`default ${JSON.stringify(schema.default)}`);
  return parts.join(', ');
}

function renderFields(document: OpenApiDocument, value: unknown): string {
  let schema = resolve(document, value);
  let prefix = '';
  if (schema.type === 'array') {
    prefix = '<p>An array of:</p>';
    schema = resolve(document, schema.items);
  }
  const properties = (schema.properties ?? {}) as Record<string, Json>;
  const rows = Object.entries(properties)
    .map(
      ([name, property]) =>
        `<tr><td><code>${escapeHtml(name)}</code></td><td>${escapeHtml(
          describeSchema(document, property),
        )}</td><td>${prose(property.description)}</td></tr>`,
    )
    .join('');
  return rows ? `${prefix}<table><tr><th>Field</th><th>Type</th><th></th></tr>${rows}</table>` : '';
}

function renderOperation(
  document: OpenApiDocument,
  path: string,
  method: string,
  operation: Json,
): string {
  const parameters = ((operation.parameters ?? []) as Json[])
    .map(
      (parameter) =>
        `<tr><td><code>${escapeHtml(parameter.name)}</code></td><td>${escapeHtml(parameter.in)}${
          parameter.required ? ', required' : ''
        }</td><td>${escapeHtml(describeSchema(document, parameter.schema))}</td><td>${prose(
          parameter.description,
        )}</td></tr>`,
    )
    .join('');
  const responses = Object.entries((operation.responses ?? {}) as Record<string, Json>)
    .map(([status, response]) => {
      const content = (response.content as Record<string, { schema?: unknown }> | undefined)?.[
        'application/json'
      ];
      const fields =
        status.startsWith('2') && content ? renderFields(document, content.schema) : '';
      return `<li><strong>${escapeHtml(status)}</strong> ${prose(response.description)}${fields}</li>`;
    })
    .join('');
  return `<section id="${escapeHtml(operation.operationId)}">
<h2><span class="method">${escapeHtml(method.toUpperCase())}</span> <code>${escapeHtml(path)}</code></h2>
<p><strong>${prose(operation.summary)}</strong></p>
<p>${prose(operation.description)}</p>
${operation.security ? '<p>Requires <code>Authorization: Bearer &lt;token&gt;</code>.</p>' : ''}
${parameters ? `<h3>Parameters</h3><table><tr><th>Name</th><th>In</th><th>Type</th><th></th></tr>${parameters}</table>` : ''}
<h3>Responses</h3><ul>${responses}</ul>
</section>`;
}

/**
 * The human-readable page of the OpenAPI document: plain HTML rendered once at start-up, with
 * no script and nothing loaded from elsewhere (it must work offline and under a strict CSP).
 */
export function renderDocsPage(document: OpenApiDocument): string {
  const operations = Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
    Object.entries(item as Record<string, Json>)
      .filter(([method]) => ['get', 'put', 'post', 'patch', 'delete'].includes(method))
      .map(([method, operation]) => renderOperation(document, path, method, operation)),
  );
  const title = escapeHtml(document.info.title);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
code { font: 13px ui-monospace, monospace; background: #f3f3f3; padding: 0 .2em; }
table { border-collapse: collapse; margin: .5rem 0; width: 100%; }
th, td { border: 1px solid #ddd; padding: .3rem .5rem; text-align: left; vertical-align: top; }
section { border-top: 1px solid #ccc; margin-top: 2rem; }
.method { background: #245; color: #fff; padding: 0 .4em; border-radius: 3px; font-size: .9em; }
</style>
</head>
<body>
<h1>${title} <small>${escapeHtml(document.info.version)}</small></h1>
<p>${prose(document.info.description)}</p>
<p>Machine-readable: <a href="openapi.json">openapi.json</a> (OpenAPI ${escapeHtml(document.openapi)}). The messages on RabbitMQ: <a href="asyncapi.json">asyncapi.json</a> (AsyncAPI).</p>
${operations.join('\n')}
</body>
</html>
`;
}
