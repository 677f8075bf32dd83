"""Shared helpers of the CLI end-to-end tests: named checks collected into one verdict, and
report.json validation against its JSON Schema."""
import json
import sys

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def validate(doc, what, schema_path):
    try:
        import jsonschema
    except ImportError:
        print("skip schema validation: python3-jsonschema is not installed")
        return
    errs = list(jsonschema.Draft202012Validator(json.load(open(schema_path))).iter_errors(doc))
    check(not errs, "%s matches reports/report.schema.json (%s)" % (what, errs[0].message if errs else ""))


def finish():
    sys.exit(1 if failures else 0)
