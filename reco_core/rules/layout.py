"""A rules version directory and its kind for the artifact store.

rules_YYYYMMDD_HHMMSS[_tag]/
    rules.json      the validated rules, canonical JSON (what serving loads)
    source.txt      the file as the merchandiser wrote it (JSON or YAML), for the record
    version.json    who published it, from which file, when
    manifest.json   sha256 and size of every other file
"""

from __future__ import annotations

from typing import Final

from reco_core.artifacts.layout import Kind, stamped_name_re

RULES_JSON: Final = "rules.json"
SOURCE: Final = "source.txt"
VERSION: Final = "version.json"
RULES_FILES: Final = (RULES_JSON, SOURCE, VERSION)
RULES_PREFIX: Final = "rules_"
RULES: Final = Kind(
    noun="rules version",
    prefix=RULES_PREFIX,
    current_link="rules_current",
    promotion_log="rules_promotions.jsonl",
    name_re=stamped_name_re(RULES_PREFIX),
    required_files=RULES_FILES,
    verifier="reco_core.rules.versions:verify_rules",
)
