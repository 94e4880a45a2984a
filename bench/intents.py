"""Intent accuracy of the bot on the labelled corpus of citizen messages (issue 16).

    .venv/bin/python bench/intents.py            # table by category + misclassified examples
    .venv/bin/python bench/intents.py --quiet    # the table only

Reads tests/conversations/corpus.yaml (development part and held-out part, reported apart)
with the shipped catalogue's FAQ; no database, no services. See bench/README.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pandawa.catalog.loader import default_catalog_path, load_file
from tests.conversations import corpus


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quiet", action="store_true", help="the table only")
    args = parser.parse_args()
    catalog = load_file(default_catalog_path())
    parts = {"development": corpus.load("messages"), "held-out": corpus.load("held_out")}
    scores = {name: corpus.score(catalog, examples) for name, examples in parts.items() if examples}
    scores["all"] = corpus.score(catalog, [e for examples in parts.values() for e in examples])
    print(corpus.table(scores))
    if not args.quiet:
        for name, score in scores.items():
            if name == "all":
                continue
            print(f"\nmisclassified ({name}): {len(score.wrong)}")
            for example, got in score.wrong:
                print(f"  {example.text!r}: expected {example.label}, got {got}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
