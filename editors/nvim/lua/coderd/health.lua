-- :checkhealth coderd
local M = {}

-- 0.10+ has vim.health.ok/warn/error; 0.7-0.9 have require("health").report_*.
local h = vim.health or require("health")
local start = h.start or h.report_start
local ok = h.ok or h.report_ok
local warn = h.warn or h.report_warn
local err = h.error or h.report_error
local info = h.info or h.report_info

function M.check()
  start("coderd")
  if vim.fn.has("nvim-0.7.2") == 1 then
    ok("Neovim " .. tostring(vim.version().major) .. "." .. tostring(vim.version().minor)
      .. "." .. tostring(vim.version().patch))
  else
    err("Neovim 0.7.2 or newer is needed")
  end
  local coderd = require("coderd")
  local opts = coderd.options
  if not opts then
    warn("setup() has not been called", { 'Add require("coderd").setup({}) to your config' })
    return
  end
  local program = opts.cmd[1]
  if vim.fn.executable(program) == 1 then
    ok(("server command: %s (%s)"):format(table.concat(opts.cmd, " "), vim.fn.exepath(program)))
  else
    err(("server command not found: %s"):format(program), {
      -- coderd is not on PyPI: `pip install coderd` installs nothing.
      "Install coderd from its checkout: `pipx install /path/to/coderd` puts `coderd` on PATH "
        .. "(~/.local/bin; `pipx ensurepath` adds it)",
      "or in a virtualenv: `python -m venv ~/.venvs/coderd && ~/.venvs/coderd/bin/pip install "
        .. '-e /path/to/coderd`, then cmd = { vim.fn.expand("~/.venvs/coderd/bin/coderd"), "lsp" }',
      'or set cmd = { "/full/path/to/coderd", "lsp" } in setup()',
    })
    return
  end
  info("automatic suggestions: " .. (coderd.is_enabled() and "on" or "off (:CoderdToggle)"))
  -- In full: while typing they were cut to one line.
  for _, m in ipairs(coderd.messages()) do
    local report = m.level >= vim.log.levels.ERROR and err
      or m.level >= vim.log.levels.WARN and warn or info
    report("message: " .. m.text)
  end
  local client = require("coderd.client").get()
  if not client then
    warn("the server is not running", { "Open a file: the client starts with the first buffer" })
    return
  end
  ok(("client running (id %d, position encoding %s)")
    :format(client.id, tostring(client.offset_encoding)))
  local status, why = coderd.status(3000)
  if not status then
    warn("coderd/status: " .. tostring(why))
    return
  end
  local state = tostring(status.state)
  local line = ("server %s: state %s, model %s")
    :format(tostring(status.version), state, tostring(status.model))
  if state == "ready" then
    ok(line)
  elseif state == "loading" or state == "prefix-only" then
    warn(line)
  else
    err(line, { "Run `coderd doctor` in a terminal for the details" })
  end
  for _, problem in ipairs(status.problems or {}) do
    warn("configuration: " .. tostring(problem))
  end
  if type(status.last) == "table" and status.last.total_ms then
    info(("last suggestion took %d ms"):format(math.floor(status.last.total_ms)))
  end
end

return M
