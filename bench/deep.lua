-- Incident list pages at any depth of the public list (600,724 incidents at 1M), some
-- filtered: what a client paging through the whole registry asks for.
local filters = {"", "&sector=health", "&state=RU", "&type=ransomware"}
request = function()
  local offset = math.random(0, 600000)
  local f = filters[math.random(#filters)]
  return wrk.format("GET", "/api/v1/incidents?limit=20&offset=" .. offset .. f)
end
