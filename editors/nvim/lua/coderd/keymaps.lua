-- Insert-mode keys. Each is an <expr> mapping: it decides, without touching the buffer, whether
-- to run the action (<Cmd> runs it right after) or to give the key its usual meaning.
local M = {}

local ACTIONS = {
  -- name = { method of require("coderd"), falls back to the key when nothing is shown }
  accept = { "accept", true },
  accept_word = { "accept_word", true },
  accept_line = { "accept_line", true },
  next = { "next", false },
  prev = { "prev", false },
  dismiss = { "dismiss", true },
}

local mapped = {} -- lhs we mapped, to unmap on a second setup()

function M.apply(keys, api)
  for _, lhs in ipairs(mapped) do
    pcall(vim.keymap.del, "i", lhs)
  end
  mapped = {}
  for name, spec in pairs(ACTIONS) do
    local lhs = keys[name]
    if type(lhs) == "string" and lhs ~= "" then
      local method, fallback = spec[1], spec[2]
      local run = ("<Cmd>lua require('coderd').%s()<CR>"):format(method)
      vim.keymap.set("i", lhs, function()
        if fallback and not api.is_visible() then
          return lhs
        end
        return run
      end, { expr = true, silent = true, replace_keycodes = true, desc = "coderd: " .. name })
      table.insert(mapped, lhs)
    end
  end
end

return M
