-- Full-text searches (words, phrases, exclusions, with and without filters).
local paths = {
  "/api/v1/incidents?q=energy",
  "/api/v1/incidents?q=health+target",
  "/api/v1/incidents?q=%22operation+number+424242%22",
  "/api/v1/incidents?q=%22against+a+water+target%22",
  "/api/v1/incidents?q=ransomware",
  "/api/v1/incidents?q=telecommunications+-government",
  "/api/v1/incidents?q=incident+777777",
  "/api/v1/incidents?q=finance&state=UA",
  "/api/v1/incidents?q=elections&from=2018-01-01&to=2019-12-31",
  "/api/v1/incidents?q=space+OR+chemicals",
}
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
