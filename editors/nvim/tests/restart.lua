-- `kill -9` of the daemon while Neovim is open; run by tests/e2e/test_nvim_daemon.py as
--
--   nvim --headless -u init.lua -i NONE -n app.py -c "luafile editors/nvim/tests/restart.lua"
--
-- with `coderd` on PATH running the real relay and daemon (tests/fake_server.py's scripted
-- engine). app.py holds "x = 1\n". The script gets a suggestion, asks `coderd/status` for the
-- daemon's pid and SIGKILLs it, then types on: the next typed line must get the server's
-- suggestion, from a new daemon, through the same one client. Prints `DAEMONS [old, new]`.
local here = debug.getinfo(1, "S").source:sub(2):match("(.*)/") or "."
local h = dofile(here .. "/harness.lua")
local uv = vim.uv or vim.loop

local function coderd_clients()
  local get = vim.lsp.get_clients or vim.lsp.get_active_clients
  local ids = {}
  for _, c in ipairs(get()) do
    if c.name == "coderd" then
      table.insert(ids, c.id)
    end
  end
  return ids
end

-- A killed process may linger as a zombie until its parent reaps it: gone is "no such
-- process" or state Z in /proc.
local function gone(pid)
  local stat = io.open("/proc/" .. pid .. "/stat")
  if not stat then
    return true
  end
  local text = stat:read("*a") or ""
  stat:close()
  return text:match("^%d+ %b() (%a)") == "Z"
end

h.run(function()
  h.wait_for("coderd to start", function()
    return h.client.ready()
  end, 90000) -- a relay and a daemon start: slow on a loaded 2-core CI machine
  local ids = coderd_clients()
  h.eq(1, #ids, "coderd clients before the kill")

  h.type_keys("Goy = ")
  h.expect_ghost("compute()", 1, 4, "the first daemon's suggestion")
  local old = h.request("coderd/status", vim.empty_dict()).pid
  assert(type(old) == "number" and old > 0, "coderd/status has no pid")

  uv.kill(old, 9) -- SIGKILL: no goodbye on the socket, the relay sees it closed
  h.wait_for("the daemon's end", function()
    return gone(old)
  end, 10000)
  h.log("daemon " .. old .. " killed")

  -- Typing on, as a user who noticed nothing: the next line gets its suggestion. The relay
  -- answers what was in flight with an empty suggestion, starts a daemon, replays the
  -- session; the first key typed after the kill may still meet the dead daemon.
  h.type_keys("<Esc>oz = ")
  h.expect_ghost("again()", 2, 4, "the suggestion after kill -9", 40000)
  h.type_keys("<Tab><Esc>")
  h.eq({ "x = 1", "y = ", "z = again()" }, h.buffer(), "the buffer after <Tab>")

  local new = h.request("coderd/status", vim.empty_dict()).pid
  assert(new ~= old, "coderd/status still names the killed daemon " .. old)
  h.eq(ids, coderd_clients(), "coderd clients after the kill (the same one)")
  -- The runtime folder names the new daemon: the relay started one, not two.
  local pid_files = vim.fn.glob(os.getenv("XDG_RUNTIME_DIR") .. "/**/coderd-*.pid", false, true)
  h.eq(1, #pid_files, "pid files in the runtime folder")
  h.eq(new, tonumber(vim.fn.readfile(pid_files[1])[1]), "the pid file's daemon")
  io.stdout:write("\nDAEMONS " .. vim.fn.json_encode({ old, new }) .. "\n")
end, 180000)
