-- Argo CD health check for hookwright.dev resources: Webhook, WebhookProvider and
-- ClusterWebhookProvider (register the same script for the three kinds; see argocd-cm.yaml).
-- Written for Lua 5.1 (Argo CD runs gopher-lua); tests/chart.rs runs it against real objects.
--
-- Webhook:
--   Healthy      Ready=True for the current generation (the remote webhook equals the spec)
--   Suspended    spec.suspend is true (Synced=False, reason Suspended)
--   Progressing  not reconciled yet, a spec change not yet reconciled (observedGeneration
--                behind metadata.generation), being deleted, or RateLimited (hookwright waits
--                for the rate-limit window and retries by itself)
--   Degraded     Synced=False for any other reason (InvalidSpec, Unauthorized, SecretNotFound,
--                InvalidSecret, ProviderNotReady, RemoteError, ...): the message says what to fix;
--                hookwright keeps retrying with backoff
-- WebhookProvider / ClusterWebhookProvider:
--   Healthy when Ready=True, Degraded when Ready=False (e.g. Unauthorized, SecretNotFound),
--   Progressing before hookwright has reported.

local function condition(status, type_)
  if status == nil or status.conditions == nil then
    return nil
  end
  for _, c in ipairs(status.conditions) do
    if c.type == type_ then
      return c
    end
  end
  return nil
end

local function describe(c)
  if c.message ~= nil and c.message ~= "" then
    return c.reason .. ": " .. c.message
  end
  return c.reason
end

local hs = { status = "Progressing", message = "Waiting for hookwright to reconcile" }
local generation = obj.metadata.generation
local status = obj.status

-- Reports about an older spec say nothing about this one.
local function current(c)
  return c ~= nil and (c.observedGeneration == nil or generation == nil or c.observedGeneration >= generation)
end

if obj.kind == "Webhook" then
  if obj.metadata.deletionTimestamp ~= nil then
    hs.message = "Being deleted: hookwright removes the remote webhook (unless deletionPolicy is Orphan)"
    return hs
  end
  if status == nil then
    return hs
  end
  if generation ~= nil and (status.observedGeneration == nil or status.observedGeneration < generation) then
    hs.message = "Waiting for hookwright to reconcile generation " .. tostring(generation)
    return hs
  end
  local ready = condition(status, "Ready")
  local synced = condition(status, "Synced")
  if synced ~= nil and synced.status == "False" and synced.reason == "Suspended" then
    hs.status = "Suspended"
    hs.message = describe(synced)
    return hs
  end
  if ready ~= nil and ready.status == "True" and current(ready) then
    hs.status = "Healthy"
    hs.message = describe(ready)
    return hs
  end
  if synced ~= nil and synced.status == "False" and current(synced) then
    if synced.reason == "RateLimited" then
      hs.message = describe(synced)
    else
      hs.status = "Degraded"
      hs.message = describe(synced)
    end
    return hs
  end
  return hs
end

-- WebhookProvider, ClusterWebhookProvider
local ready = condition(status, "Ready")
if ready == nil or not current(ready) then
  hs.message = "Waiting for hookwright to check the provider's token"
  return hs
end
if ready.status == "True" then
  hs.status = "Healthy"
else
  hs.status = "Degraded"
end
hs.message = describe(ready)
return hs
