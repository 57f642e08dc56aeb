-- End-to-end test of the coderd Neovim client; run by tests/e2e/test_nvim.py as
--
--   nvim --headless -u NONE -i NONE -n --cmd "set rtp+=editors/nvim" --cmd "filetype on" \
--        -c "luafile editors/nvim/tests/e2e.lua"
--
-- Environment: CODERD_TEST_CMD (JSON list: the server command), CODERD_TEST_FILE (a file that
-- holds "def add(a, b):\n"), CODERD_TEST_INIT (optional JSON: initializationOptions),
-- CODERD_TEST_MODE: "fake" expects the scripted replies of test_nvim.py exactly; "real" (any
-- model) needs a round trip and, when the model suggests something, its ghost text.
-- Exit code 0 = pass.
local here = debug.getinfo(1, "S").source:sub(2):match("(.*)/") or "."
local loaded, h = pcall(dofile, here .. "/harness.lua")
if not loaded then
  io.stdout:write("FAIL: " .. tostring(h) .. "\n")
  vim.cmd("cquit 1")
end
local eq, type_keys, expect_ghost = h.eq, h.type_keys, h.expect_ghost

local mode = os.getenv("CODERD_TEST_MODE") or "fake"
local cmd, file = os.getenv("CODERD_TEST_CMD"), os.getenv("CODERD_TEST_FILE")
if not (cmd and file) then
  h.finish(1, "FAIL: set CODERD_TEST_CMD (a JSON list) and CODERD_TEST_FILE")
end
local buf

local function state()
  return h.suggestion.get_state(buf)
end

local function ids_of(method, key)
  local out = {}
  for _, p in ipairs(h.sent_of(method)) do
    table.insert(out, key and p[key] or p)
  end
  return out
end

local function start()
  local v = vim.version()
  h.log(("nvim %d.%d.%d, mode %s"):format(v.major, v.minor, v.patch, mode))
  vim.cmd("edit " .. vim.fn.fnameescape(file))
  local init = os.getenv("CODERD_TEST_INIT")
  h.coderd.setup({
    cmd = vim.fn.json_decode(cmd),
    init_options = init and vim.fn.json_decode(init) or nil,
    debounce_ms = 30,
  })
  buf = vim.api.nvim_get_current_buf()
  h.wait_for("the server to start", function()
    return h.client.ready()
  end, 15000)
  h.log("server ready")
end

local function wait_for_ghost_at(row, col)
  return h.wait_for(("ghost text at %d:%d"):format(row, col), function()
    local g = h.ghost()
    return g and g.row == row and g.col == col and g
  end)
end

local function fake()
  start()

  -- 1. A two-line suggestion on an empty line of a function body.
  type_keys("Go    ")
  expect_ghost("total = a + b\n    return total", 1, 4, "the suggestion after typing")
  eq({ "def add(a, b):", "    total = a + b", "    return total" }, h.screen(1, 3), "screen")
  local id = state().items[1].id
  h.log("ghost text shown, id " .. tostring(id))

  -- 2. Accept a word, then a line, then the rest.
  type_keys("<M-Right>")
  eq({ "def add(a, b):", "    total" }, h.buffer(), "buffer after accept word")
  eq({ 2, 9 }, h.cursor(), "cursor after accept word")
  expect_ghost(" = a + b\n    return total", 1, 9, "the rest after accept word")
  eq({ "def add(a, b):", "    total = a + b", "    return total" }, h.screen(1, 3),
    "screen after accept word")

  type_keys("<M-C-Right>")
  eq({ "def add(a, b):", "    total = a + b", "" }, h.buffer(), "buffer after accept line")
  eq({ 3, 0 }, h.cursor(), "cursor after accept line")
  expect_ghost("    return total", 2, 0, "the rest after accept line")
  eq({ "    total = a + b", "    return total" }, h.screen(2, 3), "screen after accept line")

  type_keys("<Tab>")
  eq({ "def add(a, b):", "    total = a + b", "    return total" }, h.buffer(),
    "buffer after accept all")
  eq({ 3, 16 }, h.cursor(), "cursor after accept all")
  eq(nil, h.ghost(), "ghost text after accept all")
  local doc = h.request("coderd/document", { uri = vim.uri_from_bufnr(buf) })
  eq(table.concat(h.buffer(), "\n") .. "\n", doc and doc.text, "the server's copy of the buffer")
  h.log("accepted word, line, all")

  -- 3. Cycle through candidates: typing gets one, <M-]> asks for several (Invoked).
  -- (Neovim's default 'autoindent' keeps the 4 spaces on each new line.)
  type_keys("<CR>x = ")
  expect_ghost("foo(1)", 3, 8, "the suggestion after x = ")
  type_keys("<M-]>")
  h.wait_for("the Invoked answer", function()
    return state().invoked
  end)
  local texts = {}
  for _, item in ipairs(state().items) do
    table.insert(texts, item.text)
  end
  local n = #texts
  if n == 1 then
    h.log("the server returned 1 candidate for Invoked: cycling stays on it")
    eq({ "foo(1)" }, texts, "candidates")
  else
    eq({ "foo(1)", "foo(2)", "foo(3)" }, texts, "candidates")
  end
  local function at(i)
    return texts[(i - 1) % n + 1]
  end
  expect_ghost(at(2), 3, 8, "next candidate")
  type_keys("<M-]>")
  expect_ghost(at(3), 3, 8, "next candidate again")
  type_keys("<M-[>")
  expect_ghost(at(2), 3, 8, "previous candidate")
  eq({ "    x = " .. at(2) }, h.screen(4, 4), "screen while cycling")
  local cycled_id = state().items[state().index].id

  -- 4. Dismiss; then the keys fall back to their usual meaning.
  type_keys("<C-]>")
  eq(nil, h.ghost(), "ghost text after dismiss")
  eq("    x = ", h.buffer()[4], "line after dismiss")
  type_keys("<Tab>")
  eq("    x = \t", h.buffer()[4], "<Tab> with no suggestion inserts a tab")

  -- 5. Moving the cursor while a request is in flight: its answer (bar()) must never show.
  -- The document does not change, and the longer debounce lets that answer arrive before
  -- the next request is sent, so the server has no reason to drop it: the plugin has to
  -- cancel or ignore it.
  h.suggestion.configure(vim.tbl_extend("force", h.coderd.options, { debounce_ms = 500 }))
  local before = state().responses
  type_keys("<CR>y = ")
  h.wait_for("a request in flight for y = ", function()
    local req = state().request
    return req and req.at.line == "    y = " and req.at.col == 8
  end)
  type_keys("<Left>")
  h.wait_for("the answer at the new cursor", function()
    return state().responses > before and state().request == nil
  end)
  eq(nil, h.ghost(), "ghost text after moving past an in-flight request")
  eq({ "    y = ", { 5, 7 } }, { h.buffer()[5], h.cursor() }, "line 5 and cursor")
  h.suggestion.configure(h.coderd.options)

  -- 6. Typing what the suggestion says keeps the rest on screen; leaving insert mode dismisses.
  type_keys("<End>")
  expect_ghost("bar()", 4, 8, "the suggestion after y = ")
  local responses = state().responses
  type_keys("ba")
  expect_ghost("r()", 4, 10, "the rest after typing its start")
  eq(responses, state().responses, "answers after typing along (no new request)")
  eq(nil, state().request, "request in flight after typing along")
  type_keys("<Esc>")
  eq(nil, h.ghost(), "ghost text after <Esc>")

  -- 7. Text after the cursor: inline on 0.10+, at the end of the line before (hides nothing).
  type_keys("oprint()<Left>")
  local g = wait_for_ghost_at(5, 10)
  eq({ "a + b", vim.fn.has("nvim-0.10") == 1 and "inline" or "eol" }, { g.first, g.pos },
    "ghost inside ()")
  if vim.fn.has("nvim-0.10") == 1 then
    eq({ "    print(a + b)" }, h.screen(6, 6), "screen with text after the cursor")
  else
    eq({ "    print() a + b" }, h.screen(6, 6), "screen (eol)")
  end
  local print_id = state().items[1].id
  type_keys("<Tab>")
  eq({ "    print(a + b)", { 6, 15 } }, { h.buffer()[6], h.cursor() }, "accepted inside ()")
  type_keys("<Esc>")

  -- 8. :checkhealth coderd
  vim.cmd("checkhealth coderd")
  local report = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n")
  local wanted = { "server command: ", "client running", "state ready, model scripted-fake" }
  for _, want in ipairs(wanted) do
    if not report:find(want, 1, true) then
      error("checkhealth coderd lacks " .. vim.inspect(want) .. ":\n" .. report)
    end
  end

  -- 9. What the server was told.
  if id == nil then
    error("the server sent no suggestion id (item.command.arguments[1].id)")
  end
  eq({ { id = id, kind = "word", acceptedText = "total" },
       { id = id, kind = "line", acceptedText = " = a + b\n" },
       { id = id, kind = "all", acceptedText = "    return total" } },
    { unpack(h.sent_of("coderd/didAccept"), 1, 3) }, "coderd/didAccept")
  eq({ id = print_id, kind = "all", acceptedText = "a + b" }, h.sent_of("coderd/didAccept")[4],
    "last coderd/didAccept")
  local rejected = ids_of("coderd/didReject", "id")
  eq(cycled_id, rejected[1], "coderd/didReject after <C-]>")
  eq(2, #rejected, "coderd/didReject count (<C-]> and <Esc>)")
  eq(id, ids_of("coderd/didShow", "id")[1], "first coderd/didShow")
  local status = h.request("coderd/status", vim.empty_dict())
  eq({}, status.problems, "coderd/status problems (initializationOptions)")
  local ev = status.events
  eq({ accepted = 2, partial = 2, rejected = 2, unknown_ids = 0 },
    { accepted = ev.accepted, partial = ev.partial, rejected = ev.rejected,
      unknown_ids = ev.unknown_ids },
    "coderd/status events")
  eq(#ids_of("coderd/didShow"), ev.shown, "coderd/status shown")
end

local function real()
  start()
  type_keys("Go    ")
  type_keys("<M-]>") -- Invoked: the model answers even where the policy might stay quiet
  h.wait_for("an answer from the model", function()
    return state().responses > 0 and state().request == nil
  end, 20000)
  local status = h.request("coderd/status", vim.empty_dict())
  eq({ "ready", {} }, { status.state, status.problems }, "coderd/status state and problems")
  local g = h.ghost()
  if not g then
    h.log("the model suggested nothing here (the round trip completed)")
    return
  end
  local text = state().rest
  h.log("ghost text: " .. vim.inspect(text))
  eq(text, g.first .. (#g.lines > 0 and ("\n" .. table.concat(g.lines, "\n")) or ""),
    "the extmark shows the suggestion")
  type_keys("<Tab>")
  eq("    " .. text, table.concat(h.buffer(), "\n", 2), "buffer after accept all")
end

h.run(mode == "real" and real or fake, 25000)
