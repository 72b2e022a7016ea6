/**
 * `syllabus mcp`: the MCP server over stdio for desktop agents, acting with SYLLABUS_API_KEY on the
 * same DATA_DIR / DATABASE_URL as the server. Stdout carries the protocol, so logs go to stderr.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { buildApp } from '../app.js';
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/open.js';
import { injectRest } from '../http/mcp-route.js';
import { operations } from '../operations/index.js';
import { VERSION } from '../paths.js';
import { LEARNER_TOKEN_PREFIX } from '../plugins/auth.js';
import { createServices } from '../services.js';
import { createMcpServer } from './server.js';

export async function serveMcpOverStdio(): Promise<void> {
  const config = loadConfig();
  if (!config.cliApiKey) throw new Error('Set SYLLABUS_API_KEY to the API key the agent acts with.');
  const database = await openDatabase(config, 'cli');
  const services = createServices(database, config);
  const app = await buildApp(config, { database, services, logStream: process.stderr });
  await app.ready();
  const stop = async () => {
    await app.close();
    await database.shutdown();
  };
  try {
    // A learner token (slt_…) gets that student's /me tools, as over HTTP.
    const learner = config.cliApiKey.startsWith(LEARNER_TOKEN_PREFIX);
    const principal = learner
      ? await services.learnerTokens.authenticate(config.cliApiKey)
      : await services.auth.authenticateKey(config.cliApiKey);
    const server = createMcpServer({
      operations,
      permissions: principal.permissions,
      caller: learner ? 'learner' : 'key',
      callRest: injectRest(app, { authorization: `Bearer ${config.cliApiKey}` }),
      version: VERSION,
    });
    const transport = new StdioServerTransport();
    await new Promise<void>((resolve, reject) => {
      transport.onclose = resolve;
      process.stdin.on('end', resolve);
      server.connect(transport).catch(reject);
    });
  } finally {
    await stop();
  }
}
