// Runs graphql-http's GraphQL-over-HTTP server audits against a URL and exits non-zero
// when any audit errors (a MUST is broken). Warnings (SHOULDs) are listed too.
//   node audit.mjs <url>          GRAPHQL_AUDIT_HEADERS='{"X-API-Key": "..."}' adds headers
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <graphql url>');
  process.exit(2);
}
const extra = JSON.parse(process.env.GRAPHQL_AUDIT_HEADERS || '{}');

// The gateway authenticates every request: each audit request carries the credential.
async function fetchWithCredential(input, init = {}) {
  const headers = new Headers(init.headers || {});
  for (const [name, value] of Object.entries(extra)) headers.set(name, value);
  return fetch(input, { ...init, headers });
}

const results = await Promise.all(
  serverAudits({ url, fetchFn: fetchWithCredential }).map((audit) => audit.fn()),
);
const count = { ok: 0, notice: 0, warn: 0, error: 0 };
for (const result of results) {
  count[result.status] += 1;
  if (result.status !== 'ok') {
    const response = result.response ? ` (HTTP ${result.response.status})` : '';
    console.log(`${result.status.toUpperCase()} ${result.id} ${result.name}: ${result.reason}${response}`);
  }
}
console.log(
  `graphql-http audits: ${count.ok} ok, ${count.notice} notices (MAY), ` +
    `${count.warn} warnings (SHOULD), ${count.error} errors (MUST)`,
);
process.exit(count.error > 0 ? 1 : 0);
