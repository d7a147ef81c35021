"""How the records searched by meaning separate (issue 39): for each question of a set, the
named client's recorded sentences ranked by cosine with the question (E5 query → passage), the
best and second figures, and whether the best is a record that holds the answer. Chooses
``answers.records_floor`` on a development set; the held-out set is measured once after.

    .venv/bin/python -m bench.records_meaning records_dev.jsonl
"""

from __future__ import annotations

import sys

from bench.heldout import _cares, load
from device.answers.records import client_sentences
from device.nlu.encoder import SentenceEncoder
from device.nlu.names import NameIndex


def main(argv: list[str]) -> int:
    rows = [r for r in load(argv[0] if argv else "records_dev.jsonl") if "kind" in r]
    cares = _cares()
    encoder = SentenceEncoder(2)
    out = []
    for row in rows:
        if row["kind"] not in ("records-meaning", "unknown"):
            continue
        care = cares[row["bundle"]]
        clients = NameIndex.of_clients(care).named_in(row["q"])
        if len(clients) != 1:
            print(f"?? {row['q']} names {clients}")
            continue
        client = care.client(clients[0])
        assert client is not None
        hits = client_sentences(client, care)
        vectors = encoder.passages([h.text for h in hits])
        asked = encoder.embed([row["q"]])[0]
        ranked = sorted(zip((vectors @ asked).tolist(), hits, strict=True), key=lambda x: -x[0])
        best, hit = ranked[0]
        second = ranked[1][0] if len(ranked) > 1 else 0.0
        expected = set(row.get("expect_sources", []))
        words = [w.casefold() for group in row.get("expect_any", []) for w in group]
        good = hit.ref in expected and (not words or any(w in hit.text.casefold() for w in words))
        label = "right" if good else ("none" if row["kind"] == "unknown" else "other")
        out.append((best, best - second, label, row["q"], hit.text))
    for best, gap, label, q, text in sorted(out, reverse=True):
        print(f"{best:.3f} {gap:.3f} {label:5} {q[:50]:50} | {text[:50]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
