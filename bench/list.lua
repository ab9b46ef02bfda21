-- Public incident lists with filters: one of these paths per request, at random.
local paths = {
  "/api/v1/incidents?sector=energy",
  "/api/v1/incidents?type=ransomware",
  "/api/v1/incidents?state=UA",
  "/api/v1/incidents?target=DE&alleged=RU",
  "/api/v1/incidents?alleged=CN&sector=health",
  "/api/v1/incidents?from=2015-01-01&to=2015-12-31",
  "/api/v1/incidents?sector=finance&from=2020-01-01",
  "/api/v1/incidents?target=US&type=espionage&limit=20&offset=40",
  "/api/v1/incidents",
  "/api/v1/incidents?offset=200",
}
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
