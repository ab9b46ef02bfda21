#!/usr/bin/env python3
"""Builds a full-size stand-in for the EuRepoC 1.1 release from the bundled even half.

The repository carries only the incidents with even IDs (820 of 1,643). For the import
benchmark, this writes a release of the same format and about the full size: every
incident twice, once as itself and once with ID + 1 (attribution and receiver rows
follow their incident). Values are real; only the odd copies' IDs are invented.

    python3 scripts/full-size-eurepoc.py data/eurepoc-1.1-even /tmp/eurepoc-full
"""
import csv, os, sys

src, dst = sys.argv[1], sys.argv[2]
os.makedirs(dst, exist_ok=True)
for name, key in [("EuRepoC_Global_Database_1.1.csv", "ID"),
                  ("EuRepoC_Attribution_dataset_1.1.csv", "incident_ID"),
                  ("EuRepoC_Receiver_dataset_1.1.csv", "ID")]:
    with open(os.path.join(src, name), newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        fields = reader.fieldnames
    out = []
    for r in rows:
        out.append(r)
        twin = dict(r)
        twin[key] = str(int(float(r[key])) + 1)
        if "attribution_ID" in twin and twin["attribution_ID"]:
            twin["attribution_ID"] = str(float(twin["attribution_ID"]) + 0.5)
        out.append(twin)
    with open(os.path.join(dst, name), "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(out)
print(f"wrote a {len(out)}-row stand-in release to {dst}")
