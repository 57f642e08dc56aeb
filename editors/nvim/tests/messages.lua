-- A server command that is not installed; run by tests/e2e/test_nvim_session.py as
--
--   nvim --headless -u init.lua -i NONE -n app.py -c "luafile editors/nvim/tests/missing.lua"
--
-- with `coderd` not on PATH. It types in two buffers like a user, then prints
-- `MESSAGES <json list of :messages lines>` and `HEALTH <json: the :checkhealth coderd text>`.
local here = debug.getinfo(1, "S").source:sub(2):match("(.*)/") or "."
local h = dofile(here .. "/harness.lua")

local function pause(ms)
  local until_ms = (vim.uv or vim.loop).hrtime() / 1e6 + ms
  h.wait_for("a pause", function()
    return (vim.uv or vim.loop).hrtime() / 1e6 > until_ms
  end)
end

h.run(function()
  pause(200)
  h.type_keys("Goabc")
  pause(300)
  h.type_keys("<Esc>")
  vim.cmd("edit other.py")
  h.type_keys("Goxyz")
  pause(300)
  h.type_keys("<Esc>")
  pause(200)
  local lines = vim.split(vim.fn.execute("messages"), "\n", { plain = true })
  io.stdout:write("MESSAGES " .. vim.fn.json_encode(lines) .. "\n")
  vim.cmd("checkhealth coderd")
  local report = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n")
  io.stdout:write("HEALTH " .. vim.fn.json_encode(report) .. "\n")
end, 20000)
