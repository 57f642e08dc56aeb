-- How many coderd clients a Neovim started with a user's init.lua runs, and which buffers
-- they serve; run by tests/e2e/test_nvim_session.py as
--
--   nvim --headless -u init.lua -i NONE -n a.py b.py -c "luafile editors/nvim/tests/clients.lua"
--
-- after each step (start-up, :next, :e other.py, :split, :vsplit) it prints a line
-- `STATE {"step": ..., "clients": [{"id": n, "buffers": [names]}], "covered": [names]}`:
-- every coderd client, and every loaded file buffer (those the plugin covers). The test
-- asserts one client serving all of them. Exit code 0 once all steps ran, 1 on a failure.
local here = debug.getinfo(1, "S").source:sub(2):match("(.*)/") or "."
local h = dofile(here .. "/harness.lua")

local function name(bufnr)
  return vim.fn.fnamemodify(vim.api.nvim_buf_get_name(bufnr), ":t")
end

local function snapshot(step)
  local get = vim.lsp.get_clients or vim.lsp.get_active_clients
  local clients = {}
  for _, c in ipairs(get()) do
    if c.name == "coderd" then
      local buffers = {}
      for bufnr in pairs(c.attached_buffers) do
        table.insert(buffers, name(bufnr))
      end
      table.sort(buffers)
      table.insert(clients, { id = c.id, buffers = buffers })
    end
  end
  local covered = {}
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and vim.bo[bufnr].buftype == ""
        and vim.api.nvim_buf_get_name(bufnr) ~= "" then
      table.insert(covered, name(bufnr))
    end
  end
  table.sort(covered)
  io.stdout:write("STATE " .. vim.fn.json_encode({ step = step, clients = clients,
    covered = covered }) .. "\n")
  io.stdout:flush()
end

local function settle()
  -- Long enough for an `initialize` answer and any autocmd that would start a second client.
  h.wait_for("a coderd client to be initialized", function()
    return require("coderd.client").ready()
  end, 20000)
  local until_ms = (vim.uv or vim.loop).hrtime() / 1e6 + 500
  h.wait_for("a pause", function()
    return (vim.uv or vim.loop).hrtime() / 1e6 > until_ms
  end)
end

h.run(function()
  settle()
  snapshot("start")
  for _, step in ipairs({ "next", "edit other.py", "split", "vsplit third.py" }) do
    vim.cmd(step)
    settle()
    snapshot(step)
  end
end, 40000)
