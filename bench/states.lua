-- A state's record page, for one of the states most present in the synthetic registry.
local codes = {"FR", "RU", "US", "DE", "CN", "UA", "GB", "IR", "KP", "IL"}
request = function()
  return wrk.format("GET", "/states/" .. codes[math.random(#codes)])
end
