# Collects ids of public incidents from the API's first pages, for single-read load.
#   python3 bench/make_ids.py BASE                                # read.lua: the API read
#   python3 bench/make_ids.py BASE /incidents/ page.lua           # page.lua: the incident page
import json, sys, urllib.request
base = sys.argv[1]
prefix = sys.argv[2] if len(sys.argv) > 2 else "/api/v1/incidents/"
out = sys.argv[3] if len(sys.argv) > 3 else "read.lua"
ids = []
for offset in range(0, 9800, 200):
    page = json.load(urllib.request.urlopen(f"{base}/api/v1/incidents?limit=200&offset={offset}"))
    ids += [i["id"] for i in page["incidents"]]
with open(out, "w") as f:
    f.write("-- Single public incident reads (%s), a random one of %d ids per request.\nlocal ids = {\n" % (prefix, len(ids)))
    f.write(",\n".join('"%s"' % i for i in ids))
    f.write("\n}\nrequest = function()\n  return wrk.format(\"GET\", \"%s\" .. ids[math.random(#ids)])\nend\n" % prefix)
print(len(ids), "ids ->", out)
