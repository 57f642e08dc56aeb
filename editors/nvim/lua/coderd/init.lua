-- coderd: inline completions from a local model, shown as ghost text (Neovim >= 0.7.2).
--
--   require("coderd").setup({})   -- see require("coderd.config").defaults for every option
local config = require("coderd.config")
local client = require("coderd.client")
local cursor = require("coderd.cursor")
local ghost = require("coderd.ghost")
local suggestion = require("coderd.suggestion")
local keymaps = require("coderd.keymaps")
local messages = require("coderd.messages")

local M = {}

M.options = nil -- the merged options once setup() ran
local enabled = true -- :CoderdToggle
local group = nil

local function buf_wanted(bufnr)
  if not (enabled and M.options and vim.api.nvim_buf_is_valid(bufnr)) then
    return false
  end
  if vim.bo[bufnr].buftype ~= "" or vim.api.nvim_buf_get_name(bufnr) == "" then
    return false -- only real files: the server keys documents by file URI
  end
  local fts = M.options.filetypes
  if fts and not vim.tbl_contains(fts, vim.bo[bufnr].filetype) then
    return false
  end
  return M.options.enabled == nil or M.options.enabled(bufnr) == true
end

local function cursor_moved(bufnr)
  if buf_wanted(bufnr) then
    cursor.moved(bufnr)
  end
end

local function on_ready()
  local bufnr = vim.api.nvim_get_current_buf()
  -- The file was opened (or the cursor moved) before the server could be told.
  cursor_moved(bufnr)
  -- Typing may have started before the server answered `initialize`: ask now.
  if buf_wanted(bufnr) and vim.api.nvim_get_mode().mode:sub(1, 1) == "i" then
    suggestion.on_change(bufnr)
  end
end

local function attach(bufnr)
  if buf_wanted(bufnr) then
    client.attach(bufnr, M.options, on_ready)
  end
end

local function autocmds()
  group = vim.api.nvim_create_augroup("coderd", { clear = true })
  local function au(events, fn)
    vim.api.nvim_create_autocmd(events, {
      group = group,
      callback = function(ev)
        fn(ev.buf)
      end,
    })
  end
  au({ "BufEnter", "FileType", "InsertEnter" }, attach)
  -- After `attach` (same events, defined later, so run later): the buffer's didOpen is out.
  au({ "CursorMoved", "CursorMovedI" }, cursor_moved)
  -- At BufEnter the cursor is still on line 1: Neovim puts it back where it was in that
  -- buffer only after the event. Later, then (a CursorMoved for the same line sends nothing).
  au({ "BufEnter" }, function(bufnr)
    vim.schedule(function()
      cursor_moved(bufnr)
    end)
  end)
  local function changed(bufnr)
    if buf_wanted(bufnr) then
      suggestion.on_change(bufnr)
    end
  end
  -- TextChangedP: typing while Neovim's completion menu is open (TextChangedI is not sent).
  au({ "TextChangedI", "TextChangedP", "CursorMovedI" }, changed)
  -- Another menu item selected, or the menu closed: the request's selectedCompletionInfo
  -- changes. Later, not inside the event, where the text may not be touched (textlock).
  au({ "CompleteChanged", "CompleteDone" }, function(bufnr)
    vim.schedule(function()
      changed(bufnr)
    end)
  end)
  au({ "InsertLeave", "BufLeave" }, function(bufnr)
    suggestion.dismiss(bufnr)
  end)
  au({ "BufUnload" }, function(bufnr)
    suggestion.detach(bufnr)
  end)
  au({ "ColorScheme" }, function()
    ghost.define_highlight(M.options.hl_group)
  end)
end

--- Merges `opts` over the defaults, maps the keys, and attaches the current buffer.
function M.setup(opts)
  local problems
  M.options, problems = config.merge(opts)
  for _, problem in ipairs(problems) do
    messages.report(vim.log.levels.WARN, "coderd: setup: " .. problem)
  end
  suggestion.configure(M.options)
  ghost.define_highlight(M.options.hl_group)
  keymaps.apply(M.options.keymaps, M)
  autocmds()
  attach(vim.api.nvim_get_current_buf())
end

local function buf()
  return vim.api.nvim_get_current_buf()
end

-- The actions, for mappings of your own. accept* and dismiss return false when no suggestion
-- is shown, so a mapping can fall back to something else.
function M.accept()
  return suggestion.accept(buf(), "all")
end
function M.accept_word()
  return suggestion.accept(buf(), "word")
end
function M.accept_line()
  return suggestion.accept(buf(), "line")
end
function M.next()
  suggestion.cycle(buf(), 1)
end
function M.prev()
  suggestion.cycle(buf(), -1)
end
function M.dismiss()
  return suggestion.dismiss(buf())
end
function M.is_visible()
  return suggestion.is_visible(buf())
end

--- Turns automatic suggestions on or off for this Neovim (the server keeps running).
function M.toggle()
  enabled = not enabled
  if not enabled then
    suggestion.dismiss(buf())
  end
  vim.api.nvim_echo({ { "coderd: " .. (enabled and "on" or "off") } }, false, {})
  return enabled
end

function M.is_enabled()
  return enabled
end

--- For your 'statusline': the latest warning or error, cut to `width` cells (default 40), or
--- "" when there is none. `set statusline+=%{v:lua.require'coderd'.statusline()}`
function M.statusline(width)
  return messages.latest(width or 40)
end

--- What the server and the plugin reported this session (full texts), oldest first.
function M.messages()
  return messages.list()
end

--- The server's `coderd/status` (synchronously, up to `timeout_ms`), or nil and a reason.
function M.status(timeout_ms)
  local c = client.ready()
  if not c then
    if M.options and vim.fn.executable(M.options.cmd[1]) ~= 1 then
      return nil, messages.not_found(M.options.cmd[1])
    end
    return nil, client.get() and "the server is starting" or "the server is not running"
  end
  local done, result, err = false, nil, nil
  client.request(buf(), "coderd/status", vim.empty_dict(), function(e, r)
    done, result, err = true, r, e
  end)
  vim.wait(timeout_ms or 2000, function()
    return done
  end, 10)
  if not done then
    return nil, "no answer to coderd/status"
  end
  if err then
    return nil, err.message or vim.inspect(err)
  end
  return result
end

return M
