-- Neovim's own completion menu, as LSP 3.18's InlineCompletionContext.selectedCompletionInfo.
--
-- While the menu (i_CTRL-N, omni completion, ...) has an item selected, the server is told
-- which text that item would leave in the buffer, so that it completes as if the item were
-- accepted and the ghost text goes on from it. Menus of plugins that draw their own window
-- (nvim-cmp, blink.cmp) are not Neovim's menu and are not seen here.
local M = {}

--- The selected item's word, or nil when the menu is hidden or nothing is selected.
function M.selected_word()
  if vim.fn.pumvisible() ~= 1 then
    return nil
  end
  local info = vim.fn.complete_info({ "selected", "items" })
  local index = type(info) == "table" and info.selected or -1
  local item = index >= 0 and info.items and info.items[index + 1] or nil
  local word = type(item) == "table" and item.word or nil
  if type(word) ~= "string" or word == "" then
    return nil
  end
  return word
end

--- Where the word being completed starts in `before` (the line up to the cursor), 0-based
--- byte column: the selected word itself when the menu inserted it, else the longest end of
--- `before` that starts the word ("Lit" for "Litestar"), else the keyword before the cursor.
function M.word_start(before, word)
  if before:sub(-#word) == word then
    return #before - #word
  end
  for n = math.min(#word, #before) - 1, 1, -1 do
    if before:sub(-n) == word:sub(1, n) then
      return #before - n
    end
  end
  return vim.fn.match(before, [[\k*$]])
end

--- `{ range, text }` for the request's context, or nil. `position` is the request's (the
--- cursor, in the client's encoding); `encoding` is the client's offset encoding.
function M.selected_completion_info(bufnr, position, encoding)
  local word = M.selected_word()
  if not word then
    return nil
  end
  local row, col = unpack(vim.api.nvim_win_get_cursor(0))
  local line = vim.api.nvim_buf_get_lines(bufnr, row - 1, row, false)[1] or ""
  local start = M.word_start(line:sub(1, col), word)
  local character = vim.lsp.util.character_offset(bufnr, row - 1, start, encoding)
  return {
    range = { start = { line = position.line, character = character }, ["end"] = position },
    text = word,
  }
end

return M
