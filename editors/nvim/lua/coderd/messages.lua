-- What coderd tells the user, without ever stopping their typing.
--
-- A message longer than the command line (or two drawn in one go) makes Neovim wait with
-- "Press ENTER or type command to continue", which swallows the next keystroke. The server's
-- warnings arrive while the user types (a prefix-only model, a wrong model path, and again
-- from a restarted daemon), so each is drawn here as one line cut to the free width, once per
-- distinct text per Neovim session. The full text stays in :CoderdStatus and the LSP log.
local M = {}

local levels = vim.log.levels
local HIGHLIGHT = { [levels.ERROR] = "ErrorMsg", [levels.WARN] = "WarningMsg" }
-- window/showMessage types: 1 Error, 2 Warning, 3 Info, 4 Log.
local FROM_LSP = { levels.ERROR, levels.WARN, levels.INFO, levels.DEBUG }
-- The end of a cut line: where the rest is, when there is room to say it.
local MORE, MORE_SHORT = " … (:CoderdStatus)", "…"

local seen = {} -- text -> true: every distinct message is drawn once per Neovim session
local received = {} -- { level, text } in arrival order, for :CoderdStatus
local waiting = {} -- messages not drawn yet (before VimEnter, or in the same tick)

--- `text` as one line of at most `width` display cells; a cut line ends with MORE.
function M.one_line(text, width)
  local line = vim.trim((text:gsub("%s+", " ")))
  if vim.fn.strdisplaywidth(line) <= width then
    return line
  end
  local more = width >= 80 and MORE or MORE_SHORT
  local room = math.max(width - vim.fn.strdisplaywidth(more), 1)
  local cut = vim.fn.strcharpart(line, 0, room)
  while vim.fn.strdisplaywidth(cut) > room do
    cut = vim.fn.strcharpart(cut, 0, vim.fn.strchars(cut) - 1)
  end
  return cut .. more
end

local function width()
  -- v:echospace: the columns a message can use without scrolling (0.7+); one cell spare
  -- so the cursor after the text cannot wrap either.
  local space = vim.v.echospace or (vim.o.columns - 12)
  return math.max(space - 1, 10)
end

local function draw()
  if #waiting == 0 then
    return
  end
  -- Several in one go would scroll into a prompt: draw the most severe (the latest of
  -- those), and say the others are in :CoderdStatus.
  local shown = waiting[1]
  for _, m in ipairs(waiting) do
    if m.level >= shown.level then
      shown = m
    end
  end
  local text = shown.text
  if #waiting > 1 then
    text = ("%s (+%d more)"):format(text, #waiting - 1)
  end
  waiting = {}
  local line = M.one_line(text, width())
  vim.api.nvim_echo({ { line, HIGHLIGHT[shown.level] or "None" } }, true, {})
end

local function draw_when(events)
  local group = vim.api.nvim_create_augroup("coderd_messages", { clear = true })
  vim.api.nvim_create_autocmd(events, { group = group, once = true, callback = function()
    vim.api.nvim_clear_autocmds({ group = group })
    vim.schedule(draw)
  end })
end

local function draw_soon()
  if vim.v.vim_did_enter ~= 1 then
    -- Messages given while init.lua runs would be stacked into a prompt at start-up.
    draw_when({ "VimEnter" })
  elseif vim.o.showmode and vim.api.nvim_get_mode().mode:sub(1, 1) == "i" then
    -- In insert mode "-- INSERT --" is drawn over any message (even after a pause, at
    -- CursorHoldI): wait for the end of insert mode, where it stays on screen.
    draw_when({ "InsertLeave" })
  else
    vim.schedule(draw)
  end
end

local function log(level, text)
  local ok, lsp_log = pcall(require, "vim.lsp.log")
  if ok then
    -- The LSP log's default level is WARN: write info there as a warning too, so that every
    -- message the user might have missed is kept.
    local write = level >= levels.ERROR and lsp_log.error or lsp_log.warn
    pcall(write, text)
  end
end

--- Tells the user `text` once per Neovim session, on one line, without a prompt.
--- `opts.draw = false`: keep it for :CoderdStatus and the log only.
function M.report(level, text, opts)
  if type(text) ~= "string" or text == "" then
    return
  end
  if vim.in_fast_event() then
    vim.schedule(function()
      M.report(level, text, opts)
    end)
    return
  end
  if seen[text] then
    return
  end
  seen[text] = true
  table.insert(received, { level = level, text = text })
  log(level, text)
  pcall(vim.cmd, "redrawstatus") -- a 'statusline' with statusline() shows it now
  if level >= levels.INFO and not (opts and opts.draw == false) then
    local first = #waiting == 0
    table.insert(waiting, { level = level, text = text })
    if first then
      draw_soon()
    end
  end
end

--- The handler of the server's window/showMessage (its `params`).
function M.from_server(params)
  if type(params) ~= "table" or type(params.message) ~= "string" then
    return
  end
  local text = params.message
  if not text:find("^coderd") then
    text = "coderd: " .. text
  end
  M.report(FROM_LSP[params.type] or levels.INFO, text)
end

--- The latest warning or error of this session cut to `width` cells, or "" (for a
--- 'statusline': it stays in sight where the command line is overwritten).
function M.latest(width)
  for i = #received, 1, -1 do
    if received[i].level >= levels.WARN then
      return M.one_line(received[i].text, width)
    end
  end
  return ""
end

--- Every message of this session, oldest first: { { level = n, text = "..." }, ... }.
function M.list()
  return vim.deepcopy(received)
end

--- The message for a server command that is not installed: what is missing, then the fix
--- (the part a narrow command line still shows).
function M.not_found(program)
  local what = vim.fn.fnamemodify(program, ":t") == program
    and ("`%s` not on PATH"):format(program) or ("%s not found"):format(program)
  return ("coderd: %s; fix: pipx install /path/to/coderd (a checkout), or set "
    .. "cmd = { \"/full/path/to/coderd\", \"lsp\" } in setup(); :checkhealth coderd")
    :format(what)
end

return M
