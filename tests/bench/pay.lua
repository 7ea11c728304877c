-- wrk script: POST /pay, each request as the next buyer of a list
-- (args: a file of Cookie header values, one buyer a line; the number of
-- wrk threads; a tag unique to the run), round-robin (thread k of T
-- starts at buyer k and steps by T), a new idempotency key per request
-- (each is a new order: the tag keeps a second run from replaying the
-- first one's keys, which h5payd would answer from its database).
local counter = 0
function setup(thread)
	thread:set("id", counter)
	counter = counter + 1
end

local cookies, i, step, n, tag = {}, 0, 1, 0, "r"
function init(args)
	for line in io.lines(args[1]) do
		cookies[#cookies + 1] = line
	end
	step = tonumber(args[2]) or 1
	tag = args[3] or tag
	i = id + 1 - step
end

request = function()
	i = i + step
	if i > #cookies then
		i = (i - 1) % step + 1
	end
	n = n + 1
	local body = string.format(
	    '{"items":[{"sku":"tea-oolong","qty":1}],"idempotencyKey":"bench-%s-%d-%d"}',
	    tag, id, n)
	return wrk.format("POST", "/pay", {["Content-Type"] = "application/json",
	    ["Cookie"] = cookies[i]}, body)
end
