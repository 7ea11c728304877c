-- wrk script: POST pre-signed notifications from a file (one form body a
-- line). Thread k of T sends lines k, k+T, k+2T, ... so with unique lines
-- no body is sent twice (until the file wraps).
local counter = 0
function setup(thread)
	thread:set("id", counter)
	counter = counter + 1
end

local bodies, i, step = {}, 0, 1
function init(args)
	for line in io.lines(args[1]) do
		bodies[#bodies + 1] = line
	end
	step = tonumber(args[2]) or 1
	i = id
end

request = function()
	i = i + step
	if i > #bodies then
		i = (i % step) + 1
	end
	return wrk.format("POST", "/notify",
	    {["Content-Type"] = "application/x-www-form-urlencoded"},
	    bodies[i])
end
