-- Pure helpers over suggestion text: no editor state, easy to reason about.
local M = {}

--- The text of an InlineCompletionItem (insertText is a string or a StringValue snippet).
function M.insert_text(item)
  local t = item and item.insertText
  if type(t) == "table" then
    t = t.value
  end
  if type(t) ~= "string" then
    return nil
  end
  return (t:gsub("\r\n", "\n"))
end

--- The suggestion's id for coderd/didShow|didAccept|didReject, or nil when the server sent none.
function M.item_id(item)
  local cmd = item and item.command
  local args = type(cmd) == "table" and cmd.arguments or nil
  local first = type(args) == "table" and args[1] or nil
  local id = type(first) == "table" and first.id or nil
  if type(id) == "string" or type(id) == "number" then
    return id
  end
  return nil
end

--- Splits the next word off `text`: leading blanks, then a run of word characters or a run
--- of other non-blank characters; a text that starts with a line break gives just "\n".
---@return string head, string rest
function M.split_word(text)
  if text:sub(1, 1) == "\n" then
    return "\n", text:sub(2)
  end
  local head = text:match("^[ \t]*[%w_\128-\255]+") or text:match("^[ \t]*[^%w_\128-\255%s]+")
    or text:match("^[ \t]+") or text:sub(1, 1)
  return head, text:sub(#head + 1)
end

--- Splits off the rest of the current line, including its line break when there is one.
---@return string head, string rest
function M.split_line(text)
  local nl = text:find("\n", 1, true)
  if not nl then
    return text, ""
  end
  return text:sub(1, nl), text:sub(nl + 1)
end

--- `text` as buffer lines (for nvim_buf_set_text and for drawing).
function M.lines(text)
  return vim.split(text, "\n", { plain = true })
end

--- Where the cursor ends after inserting `text` at (row, col) (0-based row, byte column).
function M.end_position(row, col, text)
  local lines = M.lines(text)
  if #lines == 1 then
    return row, col + #lines[1]
  end
  return row + #lines - 1, #lines[#lines]
end

--- Drops candidates that are empty or repeat an earlier one; keeps the server's order.
function M.distinct(items)
  local seen, out = {}, {}
  for _, item in ipairs(items) do
    if item.text ~= "" and not seen[item.text] then
      seen[item.text] = true
      table.insert(out, item)
    end
  end
  return out
end

return M
