-- wrk script: POST /pay as one logged-in buyer (args: cookie header), a
-- new idempotency key per request (each is a new order).
local cookie, n = nil, 0
local counter = 0
function setup(thread)
	thread:set("id", counter)
	counter = counter + 1
end

function init(args)
	cookie = args[1]
end

request = function()
	n = n + 1
	local body = string.format(
	    '{"items":[{"sku":"tea-oolong","qty":1}],"idempotencyKey":"w%d-%d-%d"}',
	    id, n, math.random(1, 1000000000))
	return wrk.format("POST", "/pay", {["Content-Type"] = "application/json",
	    ["Cookie"] = cookie}, body)
end
