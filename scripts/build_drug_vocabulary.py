#!/usr/bin/env python
"""Write search/engine/vocabulary/drugs.json from drug-named-entity-recognition.

Run after upgrading that package (it is in the `vocabulary` extra, not a run-time dependency):

    .venv/bin/pip install -e ".[vocabulary]" && .venv/bin/python scripts/build_drug_vocabulary.py

Why a generated file instead of calling the library at run time: the library unpickles its whole
dictionary of 107,000 names at import (10-15 s here, about 200 MB), for every web worker; we
need the names of about 150 drugs. The file records the library version it came from, and
tests/engine/test_vocabulary.py checks it against the library when the library is installed.
"""

from __future__ import annotations

import json
import re
import sys
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from search.engine.vocabulary.drug_table import (  # noqa: E402
    DRUG_CLASSES,
    NOT_DRUG_NAMES,
    PRODUCTS,
)

OUTPUT = ROOT / "search" / "engine" / "vocabulary" / "drugs.json"
# A usable name: plain letters, digits, spaces and hyphens, at most three words, four letters.
USABLE = re.compile(r"^[a-z][a-z0-9\- ]{3,40}$")


def wanted_generics() -> set[str]:
    generics = {g for _, _, members in DRUG_CLASSES.values() for g in members}
    generics |= {g for ingredients in PRODUCTS.values() for g in ingredients}
    return generics - set(PRODUCTS)


def build() -> dict:
    from drug_named_entity_recognition import drugs_finder as library

    names: dict[str, set[str]] = {}
    for generic in sorted(wanted_generics()):
        canonicals = set(library.drug_variant_to_canonical.get(generic, ()))
        canonicals |= {c for c in library.drug_canonical_to_data if c == generic}
        names.setdefault(generic, set()).add(generic)
        for canonical in canonicals:
            data = library.drug_canonical_to_data.get(canonical, {})
            for variant in [canonical, *data.get("synonyms", ())]:
                variant = variant.lower().strip()
                if (
                    USABLE.match(variant)
                    and len(variant.split()) <= 3
                    and variant not in NOT_DRUG_NAMES
                    and not any(word in NOT_DRUG_NAMES for word in variant.split()[:1])
                ):
                    names.setdefault(variant, set()).add(generic)
    for product, ingredients in PRODUCTS.items():
        names.setdefault(product, set()).update(ingredients)
    return {
        "source": (
            "drug-named-entity-recognition "
            f"{version('drug-named-entity-recognition')} (MIT) for brand and generic names, "
            "search/engine/vocabulary/drug_table.py for products, kits and classes"
        ),
        "names": {name: sorted(generics) for name, generics in sorted(names.items())},
    }


def main() -> None:
    OUTPUT.write_text(json.dumps(build(), indent=0, sort_keys=True) + "\n")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
