#!/usr/bin/env python3
"""validate_spdx.py SCHEMA DOCUMENT: checks an SPDX 2.3 JSON document against
the official JSON schema (draft-07), and that its documentNamespace is an
absolute URI without '#', which the schema does not check. Prints each
problem; exits 1 when there is one. Needs python3-jsonschema."""
import json, sys, urllib.parse
import jsonschema
schema = json.load(open(sys.argv[1]))
doc = json.load(open(sys.argv[2]))
errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(doc), key=lambda e: list(e.path))
for e in errors[:20]:
    print("/".join(map(str, e.path)), e.message)
ns = doc.get("documentNamespace", "")
u = urllib.parse.urlparse(ns)
if not u.scheme or "#" in ns:
    print("documentNamespace", repr(ns), "is not an absolute URI without '#'"); errors.append(ns)
sys.exit(1 if errors else 0)
