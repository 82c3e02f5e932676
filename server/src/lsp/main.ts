// `node dist/server.js --stdio`: the language server over standard input and output.
import { createConnection, ProposedFeatures, StreamMessageReader, StreamMessageWriter } from 'vscode-languageserver/node';
import { startServer } from './server';

export function startStdioServer(): void {
  const connection = createConnection(ProposedFeatures.all, new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout));
  startServer(connection);
}

if (require.main === module) startStdioServer();
