# Collects ids of public incidents from the API's first pages, for single-read load.
import json, sys, urllib.request
base = sys.argv[1]
ids = []
for offset in range(0, 9800, 200):
    page = json.load(urllib.request.urlopen(f"{base}/api/v1/incidents?limit=200&offset={offset}"))
    ids += [i["id"] for i in page["incidents"]]
with open("read.lua", "w") as f:
    f.write("-- Single public incident reads, a random one of %d ids per request.\nlocal ids = {\n" % len(ids))
    f.write(",\n".join('"%s"' % i for i in ids))
    f.write("\n}\nrequest = function()\n  return wrk.format(\"GET\", \"/api/v1/incidents/\" .. ids[math.random(#ids)])\nend\n")
print(len(ids), "ids")
