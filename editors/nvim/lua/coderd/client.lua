-- The one coderd LSP client of this Neovim: start, attach buffers, and version-neutral calls.
--
-- Neovim 0.7 has vim.lsp.start_client + buf_attach_client; 0.8 added vim.lsp.start (which
-- reuses a running client by name); 0.11 made client methods colon calls (client:request).
local messages = require("coderd.messages")

local M = {}

local NAME = "coderd"
local has_011 = vim.fn.has("nvim-0.11") == 1

local client_id = nil -- the running client, nil before the first start or after it exited
local on_ready = nil -- function(client), called once the server answered `initialize`

local function call(client, method, ...)
  if has_011 then
    return client[method](client, ...)
  end
  return client[method](...)
end

--- The running client, or nil (not started, still starting up is fine, or exited).
function M.get()
  if not client_id then
    return nil
  end
  local client = vim.lsp.get_client_by_id(client_id)
  if client == nil or (client.is_stopped and call(client, "is_stopped")) then
    return nil
  end
  return client
end

--- The client once `initialize` has been answered, else nil: requests must wait for it.
function M.ready()
  local client = M.get()
  if client and client.initialized then
    return client
  end
  return nil
end

local function client_config(opts)
  local init = opts.init_options
  if type(init) == "table" and next(init) == nil then
    init = nil -- `{}` would go out as a JSON array
  end
  return {
    name = NAME,
    cmd = opts.cmd,
    cmd_env = opts.cmd_env,
    init_options = init,
    -- No workspace: coderd completes files one by one and needs no project root.
    root_dir = nil,
    on_init = function(client)
      if on_ready then
        vim.schedule(function()
          on_ready(client)
        end)
      end
    end,
    on_exit = function(code, signal, id)
      if id == client_id then
        client_id = nil
      end
      if (code ~= 0 or (signal ~= 0 and signal ~= 15)) and vim.v.exiting == vim.NIL then
        -- Neovim says so itself ("Client coderd quit with exit code ..."): a second message
        -- at the same moment could stack into a prompt, so this one is kept, not drawn.
        messages.report(vim.log.levels.WARN,
          ("coderd: the server exited (code %s, signal %s); it starts again with the next "
            .. "buffer or insert mode; see :checkhealth coderd"):format(code, signal),
          { draw = false })
      end
    end,
    -- The server's warnings (a prefix-only model, configuration problems) and errors (a
    -- wrong model path) arrive while the user types: never a hit-enter prompt.
    handlers = {
      ["window/showMessage"] = function(_, result)
        messages.from_server(result)
        return vim.NIL
      end,
    },
  }
end

-- Every live client named coderd, whoever started it (this module, an earlier setup(), or a
-- vim.lsp.start whose id was lost because it could not attach its buffer).
local function running_clients()
  local get = vim.lsp.get_clients or vim.lsp.get_active_clients
  local found = {}
  for _, client in ipairs(get()) do
    if client.name == NAME and not (client.is_stopped and call(client, "is_stopped")) then
      table.insert(found, client)
    end
  end
  return found
end

--- Attaches `bufnr` to the client, starting the server the first time.
---
--- One client per Neovim: a buffer that is not loaded yet (BufEnter while init.lua runs or
--- before the file is read) is left for the BufRead/FileType/BufEnter that follows, because
--- vim.lsp.start starts a client and then returns nil when it cannot attach, and the next
--- event would start a second one. A running client is found by name before starting one.
---@return integer|nil client id
function M.attach(bufnr, opts, ready_cb)
  on_ready = ready_cb
  if vim.fn.executable(opts.cmd[1]) ~= 1 then
    messages.report(vim.log.levels.ERROR, messages.not_found(opts.cmd[1]))
    return nil
  end
  if not vim.api.nvim_buf_is_loaded(bufnr) then
    return nil
  end
  local client = M.get() or running_clients()[1]
  if client then
    client_id = client.id
    vim.lsp.buf_attach_client(bufnr, client_id)
    return client_id
  end
  if vim.lsp.start then
    -- 0.8+: vim.lsp.start (start_client is deprecated from 0.11 and says so on screen).
    client_id = vim.lsp.start(client_config(opts), {
      bufnr = bufnr,
      reuse_client = function(c)
        return c.name == NAME
      end,
    })
    client_id = client_id or (running_clients()[1] or {}).id
  else
    client_id = vim.lsp.start_client(client_config(opts))
    if client_id then
      vim.lsp.buf_attach_client(bufnr, client_id)
    end
  end
  return client_id
end

--- Sends a request; `handler(err, result)` runs on the main loop. Returns the request id or nil.
function M.request(bufnr, method, params, handler)
  local client = M.ready()
  if not client then
    return nil
  end
  local ok, id = call(client, "request", method, params, function(err, result)
    if vim.in_fast_event() then
      vim.schedule(function()
        handler(err, result)
      end)
    else
      handler(err, result)
    end
  end, bufnr)
  return ok and id or nil
end

function M.cancel(id)
  local client = M.get()
  if client and id then
    call(client, "cancel_request", id)
  end
end

function M.notify(method, params)
  local client = M.ready()
  if client then
    call(client, "notify", method, params)
  end
end

--- The position encoding negotiated with the server ("utf-8" or "utf-16").
function M.offset_encoding()
  local client = M.get()
  return client and client.offset_encoding or "utf-16"
end

--- Position params for the cursor of the current window, in the client's position encoding.
function M.position_params()
  return vim.lsp.util.make_position_params(0, M.offset_encoding())
end

function M.stop()
  local client = M.get()
  if client then
    call(client, "stop")
  end
  client_id = nil
end

return M
