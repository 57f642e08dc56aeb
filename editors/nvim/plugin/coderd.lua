-- Commands only; nothing starts until require("coderd").setup{} is called.
if vim.g.loaded_coderd then
  return
end
vim.g.loaded_coderd = true

vim.api.nvim_create_user_command("CoderdToggle", function()
  require("coderd").toggle()
end, { desc = "coderd: turn suggestions on or off" })

vim.api.nvim_create_user_command("CoderdStatus", function()
  local status, why = require("coderd").status()
  if not status then
    vim.notify("coderd: " .. why, vim.log.levels.WARN)
    return
  end
  local last = type(status.last) == "table" and status.last.total_ms
  vim.notify(("coderd %s: %s, model %s%s"):format(
    tostring(status.version), tostring(status.state), tostring(status.model),
    last and (", last suggestion %d ms"):format(math.floor(last)) or ""))
end, { desc = "coderd: the server's state and last latency" })
