/**
 * Prints the OpenAPI document as the server generates it, without a database: the SDK is generated
 * from it (`npm run sdk:generate`) and CI compares the committed types with it (`npm run sdk:check`).
 */
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createDb } from '../src/db/client.js';

// Generated with the defaults, so the document does not depend on who runs the script.
const config = loadConfig({ LOG_LEVEL: 'silent' });
// Nothing connects: building the app and its document needs no query.
const database = createDb('postgres://127.0.0.1:1/none', 1);
const app = await buildApp(config, { database });
await app.ready();
process.stdout.write(`${JSON.stringify(app.swagger(), null, 2)}\n`);
await app.close();
await database.close();
