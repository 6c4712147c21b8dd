#!/usr/bin/env python3
"""Build the seed corpora for the fuzz targets from the repository.

  python3 fuzz/seeds/make-corpus.py OUT_DIR

writes OUT_DIR/scheme (reader, evaluator) and OUT_DIR/store (store_import):
- every flows/*.flow, tests/conformance/*.scm and stdlib/*.scm file;
- the Scheme snippets quoted in crates/*/tests/*.rs (string literals that
  open with a bracket or a quote);
- the JSON documents in docs/store-format.md and the store seeds kept in
  fuzz/seeds/store/ (exports of real flows at every status).
Seeds over 16 KiB are skipped: AFL++ works best on small inputs.
"""
import hashlib, pathlib, re, sys

root = pathlib.Path(__file__).resolve().parents[2]
out = pathlib.Path(sys.argv[1])
MAX = 16 * 1024


def put(kind, text):
    data = text.encode()
    if not data.strip() or len(data) > MAX:
        return
    d = out / kind
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()[:16]).write_bytes(data)


for pattern in ["flows/*.flow", "tests/conformance/*.scm", "stdlib/*.scm"]:
    for f in sorted(root.glob(pattern)):
        put("scheme", f.read_text())

# Rust string literals: raw r#"..."# and plain "..." with the common escapes.
raw = re.compile(r'r(#+)"(.*?)"\1', re.S)
plain = re.compile(r'"((?:[^"\\]|\\.)*)"', re.S)
for f in sorted(root.glob("crates/*/tests/*.rs")):
    src = f.read_text()
    for m in raw.finditer(src):
        if m.group(2).lstrip()[:1] in "('{#[`":
            put("scheme", m.group(2))
    for m in plain.finditer(raw.sub("", src)):
        s = m.group(1)
        if s.lstrip()[:1] not in "('{#[`":
            continue
        s = (s.replace('\\\\', '\0').replace('\\"', '"').replace('\\n', '\n')
             .replace('\\t', '\t').replace('\0', '\\'))
        put("scheme", s)

doc = (root / "docs/store-format.md").read_text()
for m in re.finditer(r"```json\n(.*?)```", doc, re.S):
    put("store", m.group(1))
for f in sorted((root / "fuzz/seeds/store").glob("*.json")):
    put("store", f.read_text())
