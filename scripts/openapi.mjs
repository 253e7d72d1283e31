// Writes docs/openapi.json from the REST app's schemas. Run with `npm run openapi` (tsx loads the
// TypeScript sources); a unit test fails while the committed file is stale.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  generateOpenApiDocument,
  serializeOpenApiDocument,
} from '../packages/orchestration/src/rest/openapi-document.ts';

const target = fileURLToPath(new URL('../docs/openapi.json', import.meta.url));
const document = await generateOpenApiDocument();
writeFileSync(target, serializeOpenApiDocument(document));
console.log(`wrote ${target} (${Object.keys(document.paths ?? {}).length} paths)`);
