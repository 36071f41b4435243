#!/usr/bin/python3
"""Validates EVE JSON lines against Suricata's EVE schema.

usage: validate_eve.py SCHEMA EVE_FILE

Every line of EVE_FILE must be one JSON object that validates against
SCHEMA. Prints the first invalid line (with its number) and the reason, and
exits 1; exits 0 when every record is valid; exits 77 (the conventional
"skipped" code) when the jsonschema module is not installed, and 2 on usage
or I/O errors.
"""

import json
import sys


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        import jsonschema
    except ImportError:
        print("validate_eve: python3 module 'jsonschema' is not installed", file=sys.stderr)
        return 77
    schema_path, eve_path = argv[1], argv[2]
    try:
        with open(schema_path, encoding="utf-8") as f:
            schema = json.load(f)
    except (OSError, ValueError) as e:
        print(f"validate_eve: cannot read schema {schema_path}: {e}", file=sys.stderr)
        return 2
    if hasattr(jsonschema, "Draft202012Validator"):
        validator = jsonschema.Draft202012Validator(schema)
    else:
        validator = jsonschema.Draft7Validator(schema)
    try:
        # Bytes, then strict UTF-8: EVE must be valid UTF-8 on every line.
        with open(eve_path, "rb") as f:
            lines = f.read().split(b"\n")
    except OSError as e:
        print(f"validate_eve: cannot read {eve_path}: {e}", file=sys.stderr)
        return 2
    if lines and lines[-1] == b"":
        lines.pop()  # the newline that ends the last record
    for number, raw in enumerate(lines, start=1):
        try:
            record = json.loads(raw.decode("utf-8"))
            if not isinstance(record, dict):
                raise ValueError("record is not a JSON object")
            errors = sorted(validator.iter_errors(record), key=lambda e: list(e.path))
            if errors:
                where = "/".join(str(p) for p in errors[0].absolute_path) or "(top level)"
                raise ValueError(f"{where}: {errors[0].message}")
        except ValueError as e:  # json.JSONDecodeError and UnicodeDecodeError too
            print(f"{eve_path}:{number}: invalid EVE record: {e}", file=sys.stderr)
            print(raw.decode("utf-8", errors="backslashreplace"), file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
