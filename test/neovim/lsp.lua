-- Headless Neovim (0.7.2 and later) with its own LSP client, vim.lsp.start_client: starts
-- `node dist/server.js --stdio` on a workspace, opens a file, waits for the server's diagnostics,
-- asks for the code actions of the first pool-lint diagnostic, applies the quick fix with Neovim's
-- own apply_workspace_edit, saves, and writes what it saw as JSON for the mocha test.
--
--   POOL_LINT_SERVER=dist/server.js POOL_LINT_ROOT=<workspace> POOL_LINT_FILE=<rel path>
--   POOL_LINT_OUT=<json file> nvim --headless --clean -u NONE -c 'luafile test/neovim/lsp.lua'
local server = vim.env.POOL_LINT_SERVER
local root = vim.env.POOL_LINT_ROOT
local rel = vim.env.POOL_LINT_FILE
local out = vim.env.POOL_LINT_OUT
local result = { errors = {}, logs = {} }

local function finish()
  vim.fn.writefile({ vim.fn.json_encode(result) }, out)
  vim.cmd('qa!')
end

local ok, err = pcall(function()
  local client_id = vim.lsp.start_client({
    name = 'pool-lint',
    cmd = { 'node', server, '--stdio' },
    root_dir = root,
    workspace_folders = { { uri = vim.uri_from_fname(root), name = 'seed' } },
    handlers = {
      ['window/logMessage'] = function(_, params)
        table.insert(result.logs, params.message)
      end,
    },
  })
  assert(client_id, 'vim.lsp.start_client returned nothing')
  vim.cmd('edit ' .. vim.fn.fnameescape(root .. '/' .. rel))
  local bufnr = vim.api.nvim_get_current_buf()
  vim.lsp.buf_attach_client(bufnr, client_id)

  local got = vim.wait(30000, function()
    return #vim.diagnostic.get(bufnr) > 0
  end, 50)
  assert(got, 'no diagnostics within 30 s')
  result.diagnostics = {}
  local lsp_diags = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    local lsp = (d.user_data or {}).lsp or {}
    table.insert(result.diagnostics, { lnum = d.lnum, col = d.col, message = d.message, source = d.source, code = lsp.code, severity = d.severity, href = (lsp.codeDescription or {}).href })
    -- Neovim keeps the LSP fields it does not map in user_data.lsp; range and message are its own
    table.insert(lsp_diags, {
      range = { start = { line = d.lnum, character = d.col }, ['end'] = { line = d.end_lnum, character = d.end_col } },
      message = d.message, severity = d.severity, source = d.source, code = lsp.code, data = lsp.data,
    })
  end

  local first = lsp_diags[1]
  local responses = vim.lsp.buf_request_sync(bufnr, 'textDocument/codeAction', {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = first.range,
    context = { diagnostics = { first } },
  }, 15000)
  assert(responses, 'no code action response')
  result.actions = {}
  local fix
  for _, r in pairs(responses) do
    if r.error or r.err then table.insert(result.errors, vim.inspect(r.error or r.err)) end
    for _, a in ipairs(r.result or {}) do
      table.insert(result.actions, { title = a.title, kind = a.kind, isPreferred = a.isPreferred })
      if not fix and a.kind == 'quickfix' and a.edit and not a.title:match('^Ignore') then fix = a end
    end
  end
  assert(fix, 'no quick fix among the code actions')
  result.applied = fix.title
  vim.lsp.util.apply_workspace_edit(fix.edit, 'utf-16')
  vim.cmd('silent wall')
  -- the server re-diagnoses the edited buffer: the fixed finding goes away
  vim.wait(15000, function()
    for _, d in ipairs(vim.diagnostic.get(bufnr)) do
      if ((d.user_data or {}).lsp or {}).code == first.code and d.lnum == first.range.start.line and d.col == first.range.start.character then return false end
    end
    return true
  end, 50)
  result.after = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(result.after, { lnum = d.lnum, code = ((d.user_data or {}).lsp or {}).code })
  end
  vim.lsp.stop_client(client_id)
  vim.wait(3000, function() return vim.lsp.get_client_by_id(client_id) == nil end, 50)
end)
if not ok then table.insert(result.errors, tostring(err)) end
finish()
