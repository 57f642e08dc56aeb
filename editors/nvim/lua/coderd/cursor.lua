-- Tells the server where the cursor went (`coderd/didMoveCursor`, editors/PROTOCOL.md).
--
-- LSP gives a server the cursor only inside a request, so without this the first key after a
-- jump (`G`, a search, a click) or a switch to another buffer evaluates its whole prompt; with
-- it the server prewarms the prompt where the cursor landed. Sent when the cursor is on
-- another line or in another buffer than the last one sent, never for a column change within
-- a line: CursorMoved fires on every key, and a comparison is all it costs then.
local client = require("coderd.client")

local M = {}

-- Where the last notification said the cursor was: { client = id, bufnr = n, row = 0-based }.
-- The client id is part of it: a restarted server knows no place yet.
local last_sent = nil

--- The cursor of the current window, in `bufnr`, moved (CursorMoved, CursorMovedI, BufEnter,
--- or the server just became ready). Sends the notification if its line or buffer changed.
function M.moved(bufnr)
  local c = client.ready()
  if not c or bufnr ~= vim.api.nvim_get_current_buf() then
    return
  end
  -- Only a buffer the server has (its didOpen went out when it was attached to the client).
  if not vim.lsp.buf_is_attached(bufnr, c.id) then
    return
  end
  local row = vim.api.nvim_win_get_cursor(0)[1] - 1
  if last_sent and last_sent.client == c.id and last_sent.bufnr == bufnr
      and last_sent.row == row then
    return
  end
  last_sent = { client = c.id, bufnr = bufnr, row = row }
  -- The same position params as textDocument/inlineCompletion: the negotiated encoding.
  local params = client.position_params()
  client.notify("coderd/didMoveCursor", {
    textDocument = params.textDocument,
    position = params.position,
  })
end

return M
