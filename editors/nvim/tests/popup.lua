-- selectedCompletionInfo from Neovim's own completion menu; run by
-- tests/e2e/test_nvim_session.py as
--
--   nvim --headless -u init.lua -i NONE -n app.py -c "luafile editors/nvim/tests/popup.lua"
--
-- app.py holds "from litestar import Litestar\n". The script types `Lit` and <C-n> on line 2
-- (the menu inserts the selected "Litestar"), then, with 'completeopt' noinsert, on line 3
-- (the menu selects it, the buffer keeps "Lit"), waiting each time for the plugin's request.
-- The test reads the requests off the wire (the server command tees its input to a file).
-- It prints `SENT <json>` for each request's context as the plugin built it.
local here = debug.getinfo(1, "S").source:sub(2):match("(.*)/") or "."
local h = dofile(here .. "/harness.lua")

local requests = {}
local real_request = h.client.request
h.client.request = function(bufnr, method, params, handler)
  if method == "textDocument/inlineCompletion" then
    table.insert(requests, params)
    io.stdout:write("SENT " .. vim.fn.json_encode(params) .. "\n")
  end
  return real_request(bufnr, method, params, handler)
end

local function with_selection(word)
  for i = #requests, 1, -1 do
    local info = requests[i].context.selectedCompletionInfo
    if info and info.text == word then
      return requests[i]
    end
  end
  return nil
end

-- With $CODERD_TEST_GHOST set (a server that knows selectedCompletionInfo, scripted to
-- answer "(debug=True)" after "= Litestar"), the ghost text goes on from the selected item,
-- and <Tab> accepts it with the menu open.
local server_knows = os.getenv("CODERD_TEST_GHOST") == "1"

local function complete(keys, line, wanted_buffer_line, ghost)
  local before = #requests
  h.type_keys(keys)
  h.wait_for("the completion menu", function()
    return vim.fn.pumvisible() == 1
  end)
  h.eq(wanted_buffer_line, vim.api.nvim_get_current_line(), "the line with the menu open")
  local req = h.wait_for("a request naming the selected item", function()
    return #requests > before and with_selection("Litestar")
  end)
  h.eq(line, req.position.line, "request line")
  if server_knows then
    h.expect_ghost(ghost, line, #wanted_buffer_line, "ghost text beside the menu")
    h.type_keys("<Tab>")
    h.eq(wanted_buffer_line .. ghost, vim.api.nvim_get_current_line(), "line after <Tab>")
    h.type_keys("<Esc>")
    h.eq(wanted_buffer_line .. ghost, vim.api.nvim_get_current_line(), "line after <Esc>")
  else
    h.type_keys("<C-e><Esc>")
  end
end

h.run(function()
  h.wait_for("the server to start", function()
    return h.client.ready()
  end, 20000)
  complete("Goapp = Lit<C-n>", 1, "app = Litestar", "(debug=True)")
  vim.o.completeopt = "menu,noinsert"
  complete("oapi = Lit<C-n>", 2, "api = Lit", "estar(debug=True)")
  -- The menu closed: no request may name an item any more.
  h.type_keys("oz = ")
  local before = #requests
  h.wait_for("a request without a menu", function()
    return #requests > before
  end)
  h.eq(nil, requests[#requests].context.selectedCompletionInfo, "context without a menu")
end, 30000)
