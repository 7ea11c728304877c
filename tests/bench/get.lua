-- wrk script: GET with a cookie (args: cookie header value, then paths to
-- cycle through).
local paths, i, cookie = {}, 0, nil
function init(args)
	cookie = args[1]
	for k = 2, #args do
		paths[#paths + 1] = args[k]
	end
end

request = function()
	i = i % #paths + 1
	return wrk.format("GET", paths[i], {["Cookie"] = cookie})
end
