-- coderd/didMoveCursor from a user's Neovim; run by tests/e2e/test_nvim_session.py as
--
--   nvim --headless -u init.lua -i NONE -n app.py -c "luafile editors/nvim/tests/cursor.lua"
--
-- with app.py of 80 lines, its line 70 `    word = "héllo" + x` (two-byte é: the column
-- differs between UTF-8 and UTF-16), and second.py beside it. No key is typed into a buffer:
--   1. once the server is ready, the cursor where the file opened (line 0) is sent;
--   2. moves within that line send nothing, and the server queues no prewarm;
--   3. `/x$` sends line 69 at the `x`, in the negotiated encoding, and the server prewarms;
--   4. `:edit second.py` sends second.py's line 0; back in app.py, its line 69 is sent again
--      (another buffer than the last one sent).
-- Prints `MOVES [params...]` (every notification sent) and `CURSOR {"encoding", "before",
-- "after"}` (prewarms queued before and after the jump) for the test, which also reads the
-- notifications off the wire. Exit code 0 when every step passed.
local here = debug.getinfo(1, "S").source:sub(2):match("(.*)/") or "."
local h = dofile(here .. "/harness.lua")

local METHOD = "coderd/didMoveCursor"

local function moves()
  return h.sent_of(METHOD)
end

local function pause(ms)
  local until_ms = (vim.uv or vim.loop).hrtime() / 1e6 + ms
  h.wait_for("a pause", function()
    return (vim.uv or vim.loop).hrtime() / 1e6 > until_ms
  end)
end

local function prewarm()
  return h.request("coderd/status", vim.empty_dict()).prewarm
end

-- Every prewarm queued so far has ended, and no new one came for a while: the count is stable.
local function settled_prewarms()
  local last = -1
  for _ = 1, 60 do
    local p = prewarm()
    local ended = p.done + p.cancelled + p.skipped == p.queued
    if ended and p.queued == last then
      return p
    end
    last = ended and p.queued or -1
    pause(300)
  end
  error("the prewarms did not settle: " .. vim.inspect(prewarm()))
end

local function uri_of(name)
  return vim.uri_from_fname(vim.fn.fnamemodify(name, ":p"))
end

local function expect_move(count, what, uri, line, character)
  local all = h.wait_for(what, function()
    return #moves() >= count and moves()
  end)
  h.eq(count, #all, what .. ": notifications sent")
  h.eq({ textDocument = { uri = uri }, position = { line = line, character = character } },
    all[count], what)
end

h.run(function()
  local c = h.wait_for("coderd to start", function()
    return h.client.ready()
  end, 60000)
  local app = vim.api.nvim_get_current_buf()
  expect_move(1, "the cursor where app.py opened", uri_of("app.py"), 0, 0)
  local before = settled_prewarms()

  -- 2. Columns of the same line: nothing is sent, nothing is prewarmed.
  for _, keys in ipairs({ "$", "0", "w", "e", "$" }) do
    h.type_keys(keys)
  end
  pause(500)
  h.eq(1, #moves(), "moves within line 0: notifications sent")
  h.eq(before.queued, settled_prewarms().queued, "moves within line 0: prewarms queued")

  -- 3. A jump to line 70's last column (the `x`), in one command: a search.
  h.type_keys("/x$<CR>")
  local line = vim.api.nvim_get_current_line()
  local col = h.cursor()[2]
  assert(line:sub(col + 1, col + 1) == "x", "the cursor is not on the x: " .. line)
  local prefix = line:sub(1, col)
  local character = c.offset_encoding == "utf-8" and #prefix or vim.fn.strchars(prefix)
  h.log(("offset encoding %s: the x at byte %d, character %d"):format(c.offset_encoding, col,
    character))
  expect_move(2, "the jump to line 70", uri_of("app.py"), 69, character)
  local after = prewarm()
  for _ = 1, 50 do
    if after.queued > before.queued then
      break
    end
    pause(200)
    after = prewarm()
  end
  assert(after.queued > before.queued, "no prewarm for line 70: " .. vim.inspect(after))

  -- 4. Another buffer, and back: each is another document than the last one sent.
  vim.cmd("edit second.py")
  expect_move(3, "second.py", uri_of("second.py"), 0, 0)
  vim.cmd("buffer " .. app)
  expect_move(4, "back in app.py", uri_of("app.py"), 69, character)
  -- The other Neovim events on the way (BufEnter, CursorMoved) sent nothing more.
  pause(300)
  h.eq(4, #moves(), "notifications sent after the buffer switches")

  io.stdout:write("MOVES " .. vim.fn.json_encode(moves()) .. "\n")
  io.stdout:write("CURSOR " .. vim.fn.json_encode({ encoding = c.offset_encoding,
    before = before.queued, after = after.queued }) .. "\n")
end, 50000)
