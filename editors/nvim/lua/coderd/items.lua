-- The server's InlineCompletionList as the candidates this plugin can show at the cursor.
local text = require("coderd.text")

local M = {}

--- The byte column of LSP `character` in `line`, counted in `encoding` units
--- ("utf-8", "utf-16" or "utf-32"); past the end gives the line's length.
function M.byte_col(line, character, encoding)
  if encoding == "utf-8" then
    return math.min(character, #line)
  end
  local units, byte = 0, 0
  for char in line:gmatch("[%z\1-\127\194-\244][\128-\191]*") do
    if units >= character then
      break
    end
    units = units + ((encoding == "utf-16" and #char == 4) and 2 or 1)
    byte = byte + #char
  end
  return byte
end

local function same(a, b)
  return a.line == b.line and a.character == b.character
end

-- The part of an item to draw at the cursor: the whole text when it is inserted there; the
-- text after what is already typed when its range starts earlier on the cursor's line and
-- ends at the cursor (what a server answers for selectedCompletionInfo: the selected word
-- and what follows it). nil for an item meant for another place.
local function at_cursor(item, t, req, line, encoding)
  local range = type(item.range) == "table" and item.range or nil
  if not range or same(range.start, req.position) then
    return t
  end
  local finish = range["end"] or range.start
  if range.start.line ~= req.position.line or not same(finish, req.position) then
    return nil
  end
  local from = M.byte_col(line, range.start.character, encoding)
  local typed = line:sub(from + 1, req.at.col)
  if from > req.at.col or t:sub(1, #typed) ~= typed then
    return nil
  end
  return t:sub(#typed + 1)
end

--- Candidates `{ text, id }` for `req` (its position, and `at`: the line and byte column the
--- request was made at), distinct, in the server's order.
function M.from_result(result, req, encoding)
  local items = {}
  for _, item in ipairs(result.items or result) do
    local t = text.insert_text(item)
    t = t and at_cursor(item, t, req, req.at.line, encoding)
    if t then
      table.insert(items, { text = t, id = text.item_id(item) })
    end
  end
  return text.distinct(items)
end

return M
