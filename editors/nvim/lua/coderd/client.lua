-- The one coderd LSP client of this Neovim: start, attach buffers, and version-neutral calls.
--
-- Neovim 0.7 has vim.lsp.start_client + buf_attach_client; 0.8 added vim.lsp.start (which
-- reuses a running client by name); 0.11 made client methods colon calls (client:request).
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
      if code ~= 0 and not vim.v.exiting then
        vim.schedule(function()
          vim.notify(("coderd: the server exited (code %s, signal %s); see :checkhealth coderd")
            :format(code, signal), vim.log.levels.WARN)
        end)
      end
    end,
  }
end

--- Attaches `bufnr` to the client, starting the server the first time.
---@return integer|nil client id
function M.attach(bufnr, opts, ready_cb)
  on_ready = ready_cb
  if vim.fn.executable(opts.cmd[1]) ~= 1 then
    return nil -- reported by :checkhealth coderd; no pop-up per buffer
  end
  if M.get() == nil then
    client_id = nil
  end
  if vim.lsp.start then
    client_id = vim.lsp.start(client_config(opts), {
      bufnr = bufnr,
      reuse_client = function(client)
        return client.name == NAME and client.id == client_id
      end,
    }) or client_id
    return client_id
  end
  if client_id == nil then
    client_id = vim.lsp.start_client(client_config(opts))
  end
  if client_id then
    vim.lsp.buf_attach_client(bufnr, client_id)
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

--- Position params for the cursor of the current window, in the client's position encoding.
function M.position_params()
  local client = M.get()
  local encoding = client and client.offset_encoding or "utf-16"
  return vim.lsp.util.make_position_params(0, encoding)
end

function M.stop()
  local client = M.get()
  if client then
    call(client, "stop")
  end
  client_id = nil
end

return M
