-- Watches a Neovim that a test drives through a real terminal (tmux): loaded from the test's
-- init.lua with dofile(). Every 10 ms, from a libuv timer (it runs even while Neovim waits
-- at a "Press ENTER" prompt, where nvim_get_mode is still answered), it notes the mode;
-- every 100 ms it writes $CODERD_TEST_PROBE (JSON): { modes = { [mode] = samples } }.
-- :CoderdTestDump writes $CODERD_TEST_PROBE .. ".dump": the :messages lines and the full
-- texts the plugin kept (require("coderd").messages()).
local uv = vim.uv or vim.loop
local path = assert(os.getenv("CODERD_TEST_PROBE"), "set CODERD_TEST_PROBE")
local modes, ticks = {}, 0

local function write(file, text)
  local f = assert(io.open(file .. ".tmp", "w"))
  f:write(text)
  f:close()
  os.rename(file .. ".tmp", file)
end

local function json(value)
  -- vim.json is not in 0.7; vim.fn.json_encode cannot run in a libuv callback.
  local parts = {}
  for mode, count in pairs(value.modes) do
    table.insert(parts, ("%q:%d"):format(mode, count))
  end
  return ('{"modes":{%s}}'):format(table.concat(parts, ","))
end

local timer = uv.new_timer()
timer:start(0, 10, function()
  local mode = vim.api.nvim_get_mode().mode
  modes[mode] = (modes[mode] or 0) + 1
  ticks = ticks + 1
  if ticks % 10 == 0 then
    write(path, json({ modes = modes }))
  end
end)

vim.api.nvim_create_user_command("CoderdTestDump", function()
  write(path .. ".dump", vim.fn.json_encode({
    messages = vim.split(vim.fn.execute("messages"), "\n", { plain = true }),
    kept = require("coderd").messages and require("coderd").messages() or {},
  }))
end, {})
