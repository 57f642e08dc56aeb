-- One of several Neovims of one user, open at once; run by tests/e2e/test_nvim_daemon.py as
--
--   nvim --headless -u init.lua -i NONE -n app.py -c "luafile editors/nvim/tests/shared.lua"
--
-- with `coderd` on PATH running the real relay and daemon (tests/fake_server.py's scripted
-- engine), the same HOME for all, and
--   CODERD_TEST_MEET   a folder where the Neovims leave marks for each other
--   CODERD_TEST_NAME   this Neovim's name; CODERD_TEST_PEERS how many there are
-- Each gets its suggestion, waits until every peer has one, then asks `coderd/status` (all
-- editors connected at that moment) and prints `STATUS {"pid", "sessions", "clients"}`. It
-- stays until every peer has asked, so that each status sees all of them.
local here = debug.getinfo(1, "S").source:sub(2):match("(.*)/") or "."
local h = dofile(here .. "/harness.lua")

local meet = os.getenv("CODERD_TEST_MEET")
local name = os.getenv("CODERD_TEST_NAME")
local peers = tonumber(os.getenv("CODERD_TEST_PEERS"))

local function mark(step)
  local f = assert(io.open(("%s/%s.%s"):format(meet, name, step), "w"))
  f:close()
end

local function all_at(step)
  return #vim.fn.glob(meet .. "/*." .. step, false, true) == peers
end

local function coderd_clients()
  local get = vim.lsp.get_clients or vim.lsp.get_active_clients
  local n = 0
  for _, c in ipairs(get()) do
    n = n + (c.name == "coderd" and 1 or 0)
  end
  return n
end

h.run(function()
  h.wait_for("coderd to start", function()
    return h.client.ready()
  end, 90000) -- a relay and a daemon start: slow on a loaded 2-core CI machine
  h.type_keys("Goy = ")
  h.expect_ghost("shared()", 1, 4, name .. "'s suggestion", 30000)
  mark("shown")
  h.wait_for("every Neovim's suggestion", function()
    return all_at("shown")
  end, 60000)
  local status = h.request("coderd/status", vim.empty_dict())
  io.stdout:write("\nSTATUS " .. vim.fn.json_encode({
    pid = status.pid, sessions = status.sessions, clients = coderd_clients(),
  }) .. "\n")
  mark("asked")
  h.wait_for("every Neovim's status", function()
    return all_at("asked")
  end, 30000)
end, 180000)
