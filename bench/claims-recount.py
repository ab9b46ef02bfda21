# The SQL a statistics recount runs for claims, at a822b87 and now, on the 1M synthetic registry.
import sqlite3, statistics, sys, time
db = sqlite3.connect(sys.argv[1] if len(sys.argv) > 1 else '/tmp/bench/ab.db')
before = ["SELECT i.id, i.body, i.dataset, i.record_id, x.body AS claim FROM incidents i JOIN attributions x ON x.incident_seq = i.seq WHERE 1 = 1 ORDER BY i.start_date IS NULL, i.start_date DESC, i.seq DESC, x.id",
  "SELECT i.seq, i.tlp, x.body FROM incidents i JOIN claim_versions x ON x.incident_seq = i.seq WHERE 1 = 1 ORDER BY i.seq, x.log_index"]
after = ["SELECT i.seq, i.id, i.body, i.dataset, i.record_id, x.body AS claim FROM incidents i JOIN attributions x ON x.incident_seq = i.seq WHERE 1 = 1 ORDER BY i.seq, x.id",
 "SELECT i.seq, i.id, i.body, i.dataset, i.record_id FROM incidents i WHERE 1 = 1 AND i.seq IN (SELECT incident_seq FROM claim_versions) AND NOT EXISTS (SELECT 1 FROM attributions a WHERE a.incident_seq = i.seq)",
 "SELECT i.seq, x.body FROM claim_versions x JOIN incidents i ON i.seq = x.incident_seq WHERE 1 = 1 ORDER BY x.incident_seq, x.log_index",
 "SELECT i.seq, i.tlp, x.body FROM claim_versions x JOIN incidents i ON i.seq = x.incident_seq WHERE 1 = 1 ORDER BY x.incident_seq, x.log_index"]
res = {"a822b87": [], "now": []}
for k in range(7):
    for name, qs in [("a822b87", before), ("now", after)]:
        t = time.perf_counter()
        for q in qs: list(db.execute(q))
        res[name].append(time.perf_counter() - t)
for name in res: print(name, "median ms", round(1000*statistics.median(res[name]), 2), sorted(round(1000*x,2) for x in res[name]))
