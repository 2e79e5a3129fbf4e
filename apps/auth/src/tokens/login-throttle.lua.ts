/**
 * Login attempts, atomically. KEYS: (failures, lock) per subject. ARGV: attempt id, window ms, the lock-out
 * schedule (seconds, comma-separated: lockoutSchedule()), then each subject's limit.
 *
 * `begin`: if any subject is locked, returns the longest lock left (ms) and counts nothing. Otherwise counts the
 * attempt as a failure of every subject before the password is checked (so parallel attempts cannot all slip in
 * under the limit), locks each subject whose count reaches its limit (the schedule's entry for the count, its last
 * entry beyond; the lock holds the attempt id), and returns 0.
 */
export const LOGIN_BEGIN_LUA = `
local n = #KEYS / 2
local locked = 0
for i = 1, n do
  local ttl = redis.call('PTTL', KEYS[2 * i])
  if ttl > locked then locked = ttl end
end
if locked > 0 then return locked end
local schedule = {}
for s in string.gmatch(ARGV[3], '%d+') do schedule[#schedule + 1] = tonumber(s) end
for i = 1, n do
  local failures = redis.call('INCR', KEYS[2 * i - 1])
  if failures == 1 then redis.call('PEXPIRE', KEYS[2 * i - 1], ARGV[2]) end
  local max = tonumber(ARGV[3 + i])
  if failures >= max then
    local lockS = schedule[math.min(failures - max + 1, #schedule)]
    redis.call('SET', KEYS[2 * i], ARGV[1], 'PX', lockS * 1000)
  end
end
return 0
`;

/**
 * Undoes what `begin` counted for an attempt that did not fail. KEYS: (failures, lock) per subject. ARGV: attempt
 * id, then per subject `clear` (the password was right for this subject: forget its failures and lock) or
 * `undo` (take the attempt back; drop the lock only if this attempt set it).
 */
export const LOGIN_END_LUA = `
local n = #KEYS / 2
for i = 1, n do
  local fail, lock = KEYS[2 * i - 1], KEYS[2 * i]
  if ARGV[1 + i] == 'clear' then
    redis.call('DEL', fail, lock)
  else
    if redis.call('EXISTS', fail) == 1 and redis.call('DECR', fail) <= 0 then redis.call('DEL', fail) end
    if redis.call('GET', lock) == ARGV[1] then redis.call('DEL', lock) end
  end
end
return 0
`;
