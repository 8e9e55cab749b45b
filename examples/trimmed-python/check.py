# What the trimmed image is trimmed for: JSON, TLS with the system's CA
# bundle, SQLite and decimal arithmetic.
import decimal
import json
import sqlite3
import ssl

context = ssl.create_default_context()
certificates = context.cert_store_stats()["x509_ca"]
db = sqlite3.connect(":memory:")
db.execute("create table sums (total text)")
db.execute("insert into sums values (?)", (str(decimal.Decimal("1.10") + decimal.Decimal("2.20")),))
total = db.execute("select total from sums").fetchone()[0]
print(json.dumps({"ca_certificates": certificates > 100, "total": total}, sort_keys=True))
