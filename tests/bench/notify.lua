-- wrk script: POST pre-signed notifications from a file (one form body a
-- line; args: the file, the number of wrk threads). Thread k of T sends
-- lines k, k+T, k+2T, ... so with unique lines no body is sent twice
-- (until the file wraps). Each request's User-Agent is its body's
-- transactionId: nginx's access log (h5pay format) then tells which
-- order's notification got which answer (benchlib.notify_check).
local counter = 0
function setup(thread)
	thread:set("id", counter)
	counter = counter + 1
end

local bodies, ids, i, step = {}, {}, 0, 1
function init(args)
	for line in io.lines(args[1]) do
		bodies[#bodies + 1] = line
		ids[#ids + 1] = line:match("transactionId=([^&]+)") or "?"
	end
	step = tonumber(args[2]) or 1
	i = id + 1 - step
end

request = function()
	i = i + step
	if i > #bodies then
		i = (i - 1) % step + 1
	end
	return wrk.format("POST", "/notify",
	    {["Content-Type"] = "application/x-www-form-urlencoded",
	     ["User-Agent"] = ids[i]},
	    bodies[i])
end
