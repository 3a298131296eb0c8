"""Merchandising rules: let the business steer the answers without retraining.

A merchandiser edits one JSON or YAML file (model.py says what it may hold); `reco rules
publish FILE` validates it - every error names its line and field - and writes it as a sealed
version directory (`rules_YYYYMMDD_HHMMSS/`), promoted through `rules_current` and rolled back
like a run, by the artifact store's code. The API follows `rules_current`; a bad file is refused
and the rules in force stay. Rules apply after ranking (apply.py): blocks leave the candidates,
pins place a product at a rank, boosts and buries move a gamme or a brand by a bounded number of
ranks; every item a rule touched names the rule.
"""
