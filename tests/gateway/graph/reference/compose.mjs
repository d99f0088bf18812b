// Composes subgraph sets with the reference composer and prints, for each set, the public
// (API) schema it produces or the errors it refuses the set with.
//   stdin:  [{"<subgraph name>": "<SDL>", ...}, ...]
//   stdout: [{"ok": true, "publicSdl": "..."} | {"ok": false, "errors": [{"code", "message"}]}, ...]
import { parse } from 'graphql';
import { composeServices } from '@theguild/federation-composition';

let input = '';
for await (const chunk of process.stdin) input += chunk;

function composeSet(set) {
  let services;
  try {
    services = Object.entries(set).map(([name, sdl]) => ({ name, typeDefs: parse(sdl) }));
  } catch (error) {
    return { ok: false, errors: [{ code: 'INVALID_GRAPHQL', message: String(error.message) }] };
  }
  const result = composeServices(services);
  if (result.errors) {
    return {
      ok: false,
      errors: result.errors.map((e) => ({ code: e.extensions?.code ?? null, message: e.message })),
    };
  }
  return { ok: true, publicSdl: result.publicSdl };
}

process.stdout.write(JSON.stringify(JSON.parse(input).map(composeSet)));
