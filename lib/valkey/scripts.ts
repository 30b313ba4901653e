/**
 * The store's conditional writes as Lua scripts: each runs atomically on the server, so a write and its
 * condition are one step, as a DynamoDB ConditionExpression is. A record is ONE hash (one key, so one slot
 * in cluster mode): `status`, `token`, `leaseUntil` (epoch ms), `expiresAt` (epoch s), `fingerprint`,
 * `owner`, `result`, `outcome`, and a field `step:<name>` per step checkpoint (JSON). The hash expires with
 * the record: PEXPIREAT at `expiresAt`, on the server's clock.
 *
 * Each write is a function `(key, a, o)` reading its arguments from `a[o + 1]` on, so that one script
 * writes one record (`KEYS[1]`, `ARGV`, 0) and a batch script the records of a batch (`KEYS[i]`, a stride).
 * The conditions are the DynamoDB store's (lib/persistence/dynamodb/conditions.ts):
 * - claimable: no record, or its `expiresAt` is past (`claim`, `putCompleted`);
 * - take-overable: held by the token seen, in progress, live, and its lease ended or its owner the taker's;
 * - owned: held by the token (`checkpoint`, `extendLease`);
 * - owned and in progress (`complete`, `release`); a completion that meets its own completed record is done.
 */
import { createHash } from 'node:crypto';

/** A Lua script and its SHA-1 (for EVALSHA). */
export interface Script {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
}

/** Arguments per record of each write (the stride of its batch script). */
export const STRIDE = { claim: 7, complete: 5, release: 2 } as const;

const CLAIM = `
local function claim(key, a, o)
  local expires = redis.call('HGET', key, 'expiresAt')
  -- Claimable: no record, or an expired one that the server has not deleted yet.
  if expires and tonumber(expires) > tonumber(a[o + 1]) then
    return {'existing', redis.call('HGETALL', key)}
  end
  redis.call('DEL', key)
  redis.call('HSET', key, 'status', 'INPROGRESS', 'token', a[o + 2], 'leaseUntil', a[o + 3], 'expiresAt', a[o + 4])
  if a[o + 6] ~= '' then redis.call('HSET', key, 'fingerprint', a[o + 6]) end
  if a[o + 7] ~= '' then redis.call('HSET', key, 'owner', a[o + 7]) end
  redis.call('PEXPIREAT', key, a[o + 5])
  return {'claimed'}
end`;

const TAKE_OVER = `
local function takeover(key, a, o)
  local r = redis.call('HMGET', key, 'status', 'token', 'leaseUntil', 'expiresAt', 'owner')
  -- Gone, or expired: the caller claims it anew.
  if not r[4] or tonumber(r[4]) <= tonumber(a[o + 1]) then return {'gone'} end
  local ended = tonumber(r[3]) < tonumber(a[o + 2])
  local sameOwner = a[o + 8] ~= '' and r[5] == a[o + 8]
  -- Only the holder we saw, only in progress, only once its lease ended or by its own durable execution.
  if r[2] ~= a[o + 3] or r[1] ~= 'INPROGRESS' or not (ended or sameOwner) then
    return {'existing', redis.call('HGETALL', key)}
  end
  -- The expiry never moves earlier: the later of the stored one and the taker's.
  local expires, expiresMs = a[o + 6], a[o + 7]
  if tonumber(r[4]) > tonumber(expires) then expires, expiresMs = r[4], r[4] .. '000' end
  redis.call('HSET', key, 'token', a[o + 4], 'leaseUntil', a[o + 5], 'expiresAt', expires)
  if a[o + 8] == '' then redis.call('HDEL', key, 'owner') else redis.call('HSET', key, 'owner', a[o + 8]) end
  redis.call('PEXPIREAT', key, expiresMs)
  return {'claimed', redis.call('HGETALL', key)}
end`;

const CHECKPOINT = `
local function checkpoint(key, a, o)
  if redis.call('HGET', key, 'token') ~= a[o + 1] then return 'lost' end
  redis.call('HSET', key, a[o + 2], a[o + 3])
  return 'ok'
end`;

const EXTEND = `
local function extend(key, a, o)
  if redis.call('HGET', key, 'token') ~= a[o + 1] then return 'lost' end
  redis.call('HSET', key, 'leaseUntil', a[o + 2], 'expiresAt', a[o + 3])
  redis.call('PEXPIREAT', key, a[o + 4])
  return 'ok'
end`;

const COMPLETE = `
local function complete(key, a, o)
  local r = redis.call('HMGET', key, 'token', 'status', 'fingerprint', 'owner')
  if r[1] ~= a[o + 1] then return 'lost' end
  -- Completed by this very token: an earlier attempt was applied and its answer lost. Done, once.
  if r[2] ~= 'INPROGRESS' then return 'already' end
  redis.call('DEL', key)
  redis.call('HSET', key, 'status', 'COMPLETED', 'token', a[o + 1], 'leaseUntil', '0', 'result', a[o + 2],
    'outcome', a[o + 3], 'expiresAt', a[o + 4])
  if r[3] then redis.call('HSET', key, 'fingerprint', r[3]) end
  if r[4] then redis.call('HSET', key, 'owner', r[4]) end
  redis.call('PEXPIREAT', key, a[o + 5])
  return 'done'
end`;

const PUT_COMPLETED = `
local function putcompleted(key, a, o)
  local expires = redis.call('HGET', key, 'expiresAt')
  if expires and tonumber(expires) > tonumber(a[o + 1]) then
    return {'existing', redis.call('HGETALL', key)}
  end
  redis.call('DEL', key)
  redis.call('HSET', key, 'status', 'COMPLETED', 'token', a[o + 2], 'leaseUntil', '0', 'result', a[o + 3],
    'outcome', a[o + 4], 'expiresAt', a[o + 5])
  if a[o + 7] ~= '' then redis.call('HSET', key, 'fingerprint', a[o + 7]) end
  redis.call('PEXPIREAT', key, a[o + 6])
  return {'written'}
end`;

const RELEASE = `
local function release(key, a, o)
  local r = redis.call('HMGET', key, 'token', 'status')
  -- Gone already (our own retried release, or expiry): nothing to release.
  if not r[1] then return 'ok' end
  if r[1] ~= a[o + 1] then return 'lost' end
  -- A completed record is never released.
  if r[2] ~= 'INPROGRESS' then return 'ok' end
  if a[o + 2] == '1' then redis.call('HSET', key, 'leaseUntil', '0') else redis.call('DEL', key) end
  return 'ok'
end`;

function script(name: string, source: string): Script {
  const text = source.trim();
  return { name, source: text, sha: createHash('sha1').update(text).digest('hex') };
}

/** One write on one record: `KEYS[1]`, its arguments from `ARGV[1]`. */
function single(fn: string, source: string): Script {
  return script(fn, `${source}\nreturn ${fn}(KEYS[1], ARGV, 0)`);
}

/** The same write on every key of `KEYS`, `stride` arguments each; replies in the order of the keys. */
function batch(fn: string, source: string, stride: number): Script {
  return script(
    `${fn}-batch`,
    `${source}\nlocal out = {}\nfor i = 1, #KEYS do out[i] = ${fn}(KEYS[i], ARGV, (i - 1) * ${stride}) end\nreturn out`,
  );
}

export const SCRIPTS = {
  claim: single('claim', CLAIM),
  takeOver: single('takeover', TAKE_OVER),
  checkpoint: single('checkpoint', CHECKPOINT),
  extendLease: single('extend', EXTEND),
  complete: single('complete', COMPLETE),
  putCompleted: single('putcompleted', PUT_COMPLETED),
  release: single('release', RELEASE),
  claimBatch: batch('claim', CLAIM, STRIDE.claim),
  completeBatch: batch('complete', COMPLETE, STRIDE.complete),
  releaseBatch: batch('release', RELEASE, STRIDE.release),
} as const;
