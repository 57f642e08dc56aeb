-- What a user is told while typing; run by tests/e2e/test_nvim_session.py as
--
--   nvim --headless -u init.lua -i NONE -n app.py -c "luafile editors/nvim/tests/messages.lua"
--
-- It types in app.py and in other.py like a user. With $CODERD_TEST_WAIT_FOR set, it goes on
-- typing until the plugin has kept a message containing that text (the server's error for a
-- wrong model path takes a daemon start), and again after it, so that a repeat would show.
-- Then it prints `MESSAGES <json list of :messages lines>`, `KEPT <json: what
-- require("coderd").messages() kept>`, `STATUS <json: what :CoderdStatus printed>`,
-- `STATUSLINE <json: require("coderd").statusline() in a 'statusline'>` and
-- `HEALTH <json: the :checkhealth coderd text>`.
local here = debug.getinfo(1, "S").source:sub(2):match("(.*)/") or "."
local h = dofile(here .. "/harness.lua")
local wanted = os.getenv("CODERD_TEST_WAIT_FOR")

local function pause(ms)
  local until_ms = (vim.uv or vim.loop).hrtime() / 1e6 + ms
  h.wait_for("a pause", function()
    return (vim.uv or vim.loop).hrtime() / 1e6 > until_ms
  end)
end

local function kept(text)
  for _, m in ipairs(h.coderd.messages and h.coderd.messages() or {}) do
    if m.text:find(text, 1, true) then
      return true
    end
  end
  return false
end

local function type_for_a_while()
  for _ = 1, 6 do
    h.type_keys("a")
    pause(50)
  end
end

h.run(function()
  pause(200)
  h.type_keys("Go")
  if wanted then
    local deadline = (vim.uv or vim.loop).hrtime() / 1e6 + 30000
    while not kept(wanted) do
      if (vim.uv or vim.loop).hrtime() / 1e6 > deadline then
        error("no message with " .. wanted .. " in 30 s")
      end
      h.type_keys("b")
      pause(100)
    end
  end
  type_for_a_while()
  h.type_keys("<Esc>")
  vim.cmd("edit other.py")
  h.type_keys("Go")
  type_for_a_while()
  h.type_keys("<Esc>")
  pause(200)
  local lines = vim.split(vim.fn.execute("messages"), "\n", { plain = true })
  io.stdout:write("MESSAGES " .. vim.fn.json_encode(lines) .. "\n")
  io.stdout:write("KEPT " .. vim.fn.json_encode(h.coderd.messages and h.coderd.messages()
    or {}) .. "\n")
  io.stdout:write("STATUS " .. vim.fn.json_encode(vim.fn.execute("CoderdStatus")) .. "\n")
  io.stdout:write("STATUSLINE " .. vim.fn.json_encode(h.coderd.statusline
    and vim.api.nvim_eval_statusline("%{v:lua.require'coderd'.statusline()}", {}).str or "")
    .. "\n")
  vim.cmd("checkhealth coderd")
  local report = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n")
  io.stdout:write("HEALTH " .. vim.fn.json_encode(report) .. "\n")
end, 45000)
