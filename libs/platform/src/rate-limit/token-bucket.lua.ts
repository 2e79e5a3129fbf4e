/**
 * Atomic multi-bucket token bucket, run inside Redis so the limit holds exactly across every gateway replica.
 * Written by hand: the all-or-nothing check over several buckets (key and user, requests and tokens) in one
 * round trip is what none of the usual rate-limit libraries offers.
 *
 * KEYS[i]: bucket hash (fields t = tokens, ts = ms of last refill)
 * ARGV: mode ('take' | 'adjust'), then per bucket: capacity, cost
 *   take:   if every bucket has >= cost tokens, subtract from all; else subtract nothing.
 *   adjust: add -cost (a refund when cost < 0, a charge when > 0, may go negative) to every bucket.
 * Buckets refill continuously at capacity per 60 s. Returns {allowed, retryAfterMs, remaining_1, reset_1, ...}
 * where reset is ms until the bucket is full again.
 */
export const TOKEN_BUCKET_LUA = `
local mode = ARGV[1]
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
local n = #KEYS
local tokens = {}
local caps = {}
local costs = {}
local allowed = 1
local retry = 0
for i = 1, n do
  local cap = tonumber(ARGV[2 * i])
  local cost = tonumber(ARGV[2 * i + 1])
  local state = redis.call('HMGET', KEYS[i], 't', 'ts')
  local t = tonumber(state[1])
  local ts = tonumber(state[2])
  if t == nil then t = cap; ts = now end
  local rate = cap / 60000
  t = math.min(cap, t + (now - ts) * rate)
  tokens[i] = t
  caps[i] = cap
  costs[i] = cost
  if mode == 'take' and t < cost then
    allowed = 0
    local wait = math.ceil((cost - t) / rate)
    if cost > cap then wait = -1 end
    if wait == -1 or retry == -1 then retry = -1 elseif wait > retry then retry = wait end
  end
end
local out = {allowed, retry}
for i = 1, n do
  local t = tokens[i]
  if mode == 'adjust' then t = math.min(caps[i], t - costs[i]) elseif allowed == 1 then t = t - costs[i] end
  redis.call('HSET', KEYS[i], 't', tostring(t), 'ts', tostring(now))
  redis.call('PEXPIRE', KEYS[i], 120000)
  local rate = caps[i] / 60000
  out[#out + 1] = math.floor(t)
  out[#out + 1] = math.ceil((caps[i] - t) / rate)
end
return out
`;
