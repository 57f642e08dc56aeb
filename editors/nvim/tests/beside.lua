-- coderd beside the user's own language server (pylsp, started by the user's init.lua the
-- way a plain config does); run by tests/e2e/test_nvim_session.py as
--
--   nvim --headless -u init.lua -i NONE -n app.py -c "luafile editors/nvim/tests/beside.lua"
--
-- app.py holds "import os\n\n\ndef add(a, b):\n    return a\n\n\nprint(add(1, 2))\n" (8 lines).
-- The script checks that pylsp and coderd both serve the buffer, one client each; that pylsp
-- still answers hover and definition; and that coderd's ghost text comes and is accepted.
local here = debug.getinfo(1, "S").source:sub(2):match("(.*)/") or "."
local h = dofile(here .. "/harness.lua")

local function clients_named(name)
  local get = vim.lsp.get_clients or vim.lsp.get_active_clients
  local found = {}
  for _, c in ipairs(get()) do
    if c.name == name then
      table.insert(found, c)
    end
  end
  return found
end

h.run(function()
  local buf = vim.api.nvim_get_current_buf()
  local pylsp = h.wait_for("pylsp to start", function()
    local c = clients_named("pylsp")[1]
    return c and c.initialized and c
  end, 30000)
  h.wait_for("coderd to start", function()
    return h.client.ready()
  end, 30000)

  -- pylsp answers hover and definition (jedi) for the buffer.
  local function ask(method, row, col)
    vim.api.nvim_win_set_cursor(0, { row, col })
    local params = vim.lsp.util.make_position_params(0, pylsp.offset_encoding)
    local answers = vim.lsp.buf_request_sync(buf, method, params, 20000) or {}
    return answers[pylsp.id] and answers[pylsp.id].result
  end
  local hover = ask("textDocument/hover", 1, 7) -- on "os"
  assert(hover and hover.contents, "no hover from pylsp")
  local definition = ask("textDocument/definition", 8, 7) -- on "add" in print(add(1, 2))
  local first = definition and (definition[1] or definition)
  h.eq(3, first and first.range and first.range.start.line, "pylsp's definition of add")
  h.log("pylsp hover and definition answered")

  -- coderd's ghost text in the same buffer.
  h.type_keys("Gox = ")
  h.expect_ghost("os.getcwd()", 8, 4, "coderd's suggestion beside pylsp")
  h.type_keys("<Tab><Esc>")
  h.eq("x = os.getcwd()", vim.api.nvim_buf_get_lines(buf, 8, 9, false)[1], "accepted")

  for _, name in ipairs({ "pylsp", "coderd" }) do
    local found = clients_named(name)
    h.eq(1, #found, "clients named " .. name)
    h.eq(true, found[1].attached_buffers[buf] == true, name .. " attached to app.py")
  end
end, 60000)
