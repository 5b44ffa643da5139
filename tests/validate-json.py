#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Validate the JSON a devmem tool printed against its schema in docs/schema/.

    tests/validate-json.py [--min N] [--schema-dir DIR] SCHEMA FILE

SCHEMA is a file name in the schema directory (snapshot.schema.json, ...);
FILE holds one or more JSON documents (one per line or pretty-printed, one
after another); lines that are not JSON (a traced command's own output) are
reported, not skipped, unless --skip-prefix names their start. Prints one
line: how many documents were valid, or the first one that was not and why.
Exit 0 when all are valid and there are at least N (default 1).

It runs on Debian's python3-jsonschema (/usr/bin/python3), the package the
test list names.
"""
import argparse
import json
import os
import pathlib
import sys
import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)
try:
    import jsonschema
except ImportError:
    print("python3-jsonschema is not installed: run 'make deps' (or apt-get install python3-jsonschema)")
    sys.exit(2)

here = pathlib.Path(__file__).resolve().parent
ap = argparse.ArgumentParser()
ap.add_argument("--min", type=int, default=1)
ap.add_argument("--schema-dir", default=os.environ.get("DEVMEM_SCHEMA_DIR", here.parent / "docs" / "schema"))
ap.add_argument("--skip-prefix", action="append", default=[])
ap.add_argument("schema")
ap.add_argument("file")
a = ap.parse_args()

sdir = pathlib.Path(a.schema_dir).resolve()
store = {}
for f in sdir.glob("*.schema.json"):
    store[f.as_uri()] = json.loads(f.read_text())
main = sdir / a.schema
if main.as_uri() not in store:
    print(f"no schema {main}")
    sys.exit(2)
schema = store[main.as_uri()]
cls = jsonschema.validators.validator_for(schema)
cls.check_schema(schema)
resolver = jsonschema.RefResolver(main.as_uri(), schema, store=store)
validator = cls(schema, resolver=resolver)

try:
    text = pathlib.Path(a.file).read_text(encoding="utf-8", errors="strict")
except (OSError, UnicodeDecodeError) as e:
    print(f"{a.file}: cannot be read as UTF-8 text ({e}); the tool's output must be valid UTF-8")
    sys.exit(1)
dec = json.JSONDecoder()
pos, n = 0, 0
while True:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    if pos >= len(text):
        break
    line_end = text.find("\n", pos)
    line = text[pos:line_end if line_end >= 0 else len(text)]
    if any(line.startswith(p) for p in a.skip_prefix):
        pos = line_end + 1 if line_end >= 0 else len(text)
        continue
    try:
        doc, end = dec.raw_decode(text, pos)
    except ValueError as e:
        print(f"{a.file}: not JSON at offset {pos} ({e}): {line[:80]!r}")
        sys.exit(1)
    n += 1
    errs = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errs:
        e = errs[0]
        path = "/".join(str(p) for p in e.absolute_path) or "(top)"
        print(f"{a.file}: document {n} does not follow {a.schema}: at {path}: {e.message[:300]}")
        sys.exit(1)
    pos = end
if n < a.min:
    print(f"{a.file}: {n} JSON documents, expected at least {a.min}")
    sys.exit(1)
print(f"{n} documents follow {a.schema}")
