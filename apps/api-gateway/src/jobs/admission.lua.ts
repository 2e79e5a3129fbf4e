/**
 * Admission to a model's queue, atomic across gateway replicas (one script, one round trip).
 *
 * KEYS: 1 in-flight set (member job id, score lease expiry), 2 the user's in-flight set, 3 BullMQ's active list of
 *       the queue, 4 recent completions (member job id, score completion time).
 * ARGV: 1 now (ms), 2 lease (ms), 3 job id, 4 served (the model's slots: at least this many are in service),
 *       5 max queue, 6 user cap (0: none).
 * Returns {1, waitingAhead} when admitted (waitingAhead -1: a slot is free), or {0, reason, waiting, completions in
 * the last minute, ms since the oldest of them}.
 */
export const ADMIT_LUA = `
local now = tonumber(ARGV[1])
local lease = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local inflight = redis.call('ZCARD', KEYS[1])
local served = math.max(redis.call('LLEN', KEYS[3]), tonumber(ARGV[4]))
local waiting = math.max(0, inflight - served)
local reason = nil
if inflight >= served + tonumber(ARGV[5]) then
  reason = 'queue'
elseif tonumber(ARGV[6]) > 0 and redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[6]) then
  reason = 'user'
end
if reason then
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - 60000)
  local done = redis.call('ZCARD', KEYS[4])
  local oldest = redis.call('ZRANGE', KEYS[4], 0, 0, 'WITHSCORES')
  local span = 60000
  if oldest[2] then span = now - tonumber(oldest[2]) end
  return {0, reason, waiting, done, span}
end
redis.call('ZADD', KEYS[1], now + lease, ARGV[3])
redis.call('ZADD', KEYS[2], now + lease, ARGV[3])
redis.call('PEXPIRE', KEYS[1], lease * 2)
redis.call('PEXPIRE', KEYS[2], lease * 2)
if inflight < served then return {1, -1} end
return {1, inflight - served}
`;

/**
 * KEYS: 1 in-flight set, 2 the user's set, 3 recent completions. ARGV: 1 now, 2 job id, 3 1 when the job
 * completed (counts towards the drain rate).
 */
export const RELEASE_LUA = `
redis.call('ZREM', KEYS[1], ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[2])
if ARGV[3] == '1' then
  local now = tonumber(ARGV[1])
  redis.call('ZADD', KEYS[3], now, ARGV[2])
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - 60000)
  redis.call('PEXPIRE', KEYS[3], 120000)
end
return 1
`;

/**
 * Where a waiting job stands. KEYS: 1 BullMQ's wait list (new jobs pushed on the left, taken from the right),
 * 2 recent completions. ARGV: 1 job id, 2 now. Returns {jobs ahead (-1: not waiting any more), completions in the
 * last minute, ms since the oldest of them}.
 */
export const POSITION_LUA = `
local idx = redis.call('LPOS', KEYS[1], ARGV[1], 'RANK', -1)
local ahead = -1
if idx then ahead = redis.call('LLEN', KEYS[1]) - 1 - idx end
local now = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - 60000)
local done = redis.call('ZCARD', KEYS[2])
local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
local span = 60000
if oldest[2] then span = now - tonumber(oldest[2]) end
return {ahead, done, span}
`;
