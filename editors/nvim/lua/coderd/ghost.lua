-- Drawing the suggestion as ghost text with extmarks.
--
-- The first line goes at the cursor: `virt_text_pos = "inline"` on Neovim 0.10+, which pushes
-- the rest of the line to the right as the insertion would. Older versions have no inline
-- virtual text: at the end of a line the first line is an overlay at the cursor (it looks the
-- same); with text after the cursor it is shown at the end of the line instead, so that no
-- real text is hidden. Further lines are `virt_lines` below the cursor's line.
local M = {}

M.ns = vim.api.nvim_create_namespace("coderd")
local has_inline = vim.fn.has("nvim-0.10") == 1

local function display(s, bufnr)
  -- Tabs in virtual text would not line up with the buffer's: draw them as spaces.
  local ts = vim.bo[bufnr].tabstop
  return (s:gsub("\t", string.rep(" ", ts)))
end

function M.clear(bufnr)
  if vim.api.nvim_buf_is_valid(bufnr) then
    vim.api.nvim_buf_clear_namespace(bufnr, M.ns, 0, -1)
  end
end

--- Shows `text` at (row, col) (0-based row, byte column) in `bufnr`.
function M.show(bufnr, row, col, text, hl)
  M.clear(bufnr)
  if text == "" then
    return
  end
  local lines = vim.split(text, "\n", { plain = true })
  local line = vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ""
  col = math.min(col, #line)
  local opts = { hl_mode = "combine", priority = 200 }
  local first = display(lines[1], bufnr)
  if first ~= "" then
    opts.virt_text = { { first, hl } }
    if has_inline then
      opts.virt_text_pos = "inline"
    elseif col >= #line then
      opts.virt_text_pos = "overlay"
    else
      opts.virt_text_pos = "eol"
    end
  end
  if #lines > 1 then
    opts.virt_lines = {}
    for i = 2, #lines do
      table.insert(opts.virt_lines, { { display(lines[i], bufnr), hl } })
    end
  end
  return vim.api.nvim_buf_set_extmark(bufnr, M.ns, row, col, opts)
end

--- Links the highlight group to Comment unless the colorscheme or the user defined it.
function M.define_highlight(name)
  vim.cmd(("highlight default link %s Comment"):format(name))
end

return M
