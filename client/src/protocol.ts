// The server's LSP extensions (poolLint/pools, poolLint/status, the probe command's arguments):
// one definition, in server/src/lsp/protocol.ts (types and constants only, so esbuild bundles no
// server code into the client).
export * from '../../server/src/lsp/protocol';
