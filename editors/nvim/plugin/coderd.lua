-- Commands only; nothing starts until require("coderd").setup{} is called.
if vim.g.loaded_coderd then
  return
end
vim.g.loaded_coderd = true

vim.api.nvim_create_user_command("CoderdToggle", function()
  require("coderd").toggle()
end, { desc = "coderd: turn suggestions on or off" })

vim.api.nvim_create_user_command("CoderdStatus", function()
  -- Asked for, so several lines are fine here; the messages are the full texts of what was
  -- shown cut to one line while typing.
  local coderd = require("coderd")
  local status, why = coderd.status()
  local lines = {}
  if status then
    local last = type(status.last) == "table" and status.last.total_ms
    table.insert(lines, { ("coderd %s: %s, model %s%s"):format(
      tostring(status.version), tostring(status.state), tostring(status.model),
      last and (", last suggestion %d ms"):format(math.floor(last)) or "") })
  else
    table.insert(lines, { "coderd: " .. why:gsub("^coderd: ", ""), "WarningMsg" })
  end
  for _, m in ipairs(coderd.messages()) do
    local hl = m.level >= vim.log.levels.ERROR and "ErrorMsg"
      or m.level >= vim.log.levels.WARN and "WarningMsg" or "None"
    table.insert(lines, { "\n  " .. m.text, hl })
  end
  vim.api.nvim_echo(lines, true, {})
end, { desc = "coderd: the server's state, last latency and messages" })
