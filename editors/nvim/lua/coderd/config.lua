-- Options: the documented defaults and their merge with what setup{} is given.
local M = {}

-- Every key, its default, and what it does. setup{} deep-merges the user's table over this.
M.defaults = {
  -- The server command: program and arguments (a list). `coderd lsp` speaks LSP on stdio.
  cmd = { "coderd", "lsp" },
  -- Extra environment for the server process (table of NAME = value), or nil.
  cmd_env = nil,
  -- Sent as `initializationOptions` (the [completion]/[model] settings of coderd's config file).
  init_options = {},
  -- Filetypes to complete in: nil = every file buffer; or a list such as { "python", "lua" }.
  filetypes = nil,
  -- Finer control: function(bufnr) -> boolean, checked after `filetypes`. nil = always.
  enabled = nil,
  -- Ask for a suggestion while typing (triggerKind Automatic). false: only on `next`/`prev`.
  auto_trigger = true,
  -- Wait this long after the last keystroke / cursor move before asking (milliseconds).
  debounce_ms = 75,
  -- Insert-mode keys; false (or "") disables one. accept/dismiss fall back to the key itself
  -- when no suggestion is shown, so <Tab> still indents and <C-]> still expands abbreviations.
  keymaps = {
    accept = "<Tab>",             -- insert the whole suggestion
    accept_word = "<M-Right>",    -- insert its next word
    accept_line = "<M-C-Right>",  -- insert up to and including its next line break
    next = "<M-]>",               -- next candidate (asks for several: triggerKind Invoked)
    prev = "<M-[>",               -- previous candidate
    dismiss = "<C-]>",            -- hide the suggestion (sends coderd/didReject)
  },
  -- Highlight group of the ghost text; created linked to Comment unless it already exists.
  hl_group = "CoderdSuggestion",
}

local function is_list_of_strings(v)
  if type(v) ~= "table" or #v == 0 then
    return false
  end
  for _, s in ipairs(v) do
    if type(s) ~= "string" then
      return false
    end
  end
  return true
end

--- Merges `opts` over the defaults; bad values fall back to the default with one warning each.
---@return table options, string[] problems
function M.merge(opts)
  local merged = vim.tbl_deep_extend("force", vim.deepcopy(M.defaults), opts or {})
  -- A list must replace, not merge index by index ({ "a", "b", "c" } over { "x" }).
  if opts and opts.cmd ~= nil then
    merged.cmd = opts.cmd
  end
  if opts and opts.filetypes ~= nil then
    merged.filetypes = opts.filetypes
  end
  local problems = {}
  local function reset(key, why)
    table.insert(problems, ("%s: %s; using the default"):format(key, why))
    merged[key] = vim.deepcopy(M.defaults[key])
  end
  if type(merged.cmd) == "string" then
    merged.cmd = { merged.cmd }
  end
  if not is_list_of_strings(merged.cmd) then
    reset("cmd", "expected a list of strings")
  end
  if merged.filetypes ~= nil and type(merged.filetypes) ~= "table" then
    reset("filetypes", "expected a list of filetypes or nil")
  end
  if merged.enabled ~= nil and type(merged.enabled) ~= "function" then
    reset("enabled", "expected function(bufnr) -> boolean or nil")
  end
  if type(merged.debounce_ms) ~= "number" or merged.debounce_ms < 0 then
    reset("debounce_ms", "expected a number >= 0")
  end
  if type(merged.keymaps) ~= "table" then
    reset("keymaps", "expected a table")
  end
  if merged.init_options ~= nil and type(merged.init_options) ~= "table" then
    reset("init_options", "expected a table")
  end
  return merged, problems
end

return M
