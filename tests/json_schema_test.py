#!/usr/bin/env python3
"""Every JSON document ticketsim writes, validated against its schema.

docs/result.schema.json describes one run's JSON result (`run --json`, and
each run of an export); docs/comparison.schema.json describes the JSON
export (`--export FILE.json`). A schema nobody checks drifts from the
writer, so this test validates against them:

  * the documents the comparison test makes from planted results and
    comparisons (it writes them when TICKETSIM_JSON_SAMPLES names a
    directory): every field set, every anomaly class, a corrupt store, an
    interrupted run, a stuck one, an interrupted comparison;
  * the documents the built ticketsim writes: `run --json` and `run
    --export` for a valid, an invalid (the seed's oversell), a stuck
    (dead lock holder) and a queue run whose seller was killed; `compare
    --export` of a small matrix with a monitor; `report --export` of a run's
    result and of a comparison; `check --json` of the seed's history;
  * every line of the `run --history` exports against
    docs/history.schema.json.

Finally documents broken on purpose must fail: a schema that accepts
anything proves nothing.

Arguments: the comparison test's executable. Environment: TICKETSIM (the
binary; meson sets it), SCENARIOS (the shipped scenarios),
TICKETSIM_REQUIRE_JSONSCHEMA=1 (fail rather than skip without the
jsonschema module, for CI). Exit status: 0 pass, 1 fail, 77 skip.
"""

import copy
import json
import os
import pathlib
import subprocess
import sys
import tempfile

SKIP = 77
DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"

MATRIX_SCENARIO = """\
name = "schema-test"
strategies = ["plain", "named-mutex"]
buyers = [1, 3]
runs = 2
tickets = 30
attempts = "until-sold-out"
monitor_interval = "1ms"
[delays]
purchase = "100us"
"""

SMALL_SCENARIO = """\
name = "small"
strategy = "named-mutex"
tickets = 5
buyers = 3
attempts = 3
"""


def validators(jsonschema):
    """A validator for each schema, the export's resolving its reference to
    the result's by $id, without the network."""
    result = json.loads((DOCS / "result.schema.json").read_text())
    comparison = json.loads((DOCS / "comparison.schema.json").read_text())
    for schema in (result, comparison):
        jsonschema.Draft202012Validator.check_schema(schema)
    try:  # jsonschema 4.18 and later
        from referencing import Registry, Resource

        registry = Registry().with_resources(
            [(schema["$id"], Resource.from_contents(schema)) for schema in (result, comparison)])

        def make(schema):
            return jsonschema.Draft202012Validator(schema, registry=registry)
    except ImportError:  # Debian 12's 4.10
        store = {schema["$id"]: schema for schema in (result, comparison)}

        def make(schema):
            resolver = jsonschema.RefResolver.from_schema(schema, store=store)
            return jsonschema.Draft202012Validator(schema, resolver=resolver)
    return make(result), make(comparison)


def ticketsim(*args, statuses=(0,)):
    command = [os.environ.get("TICKETSIM", "./ticketsim"), *map(str, args)]
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=240)
    if done.returncode not in statuses:
        raise AssertionError(f"{' '.join(command)} exited {done.returncode}: {done.stderr.strip()}")


def main():
    try:
        import jsonschema
    except ImportError:
        if os.environ.get("TICKETSIM_REQUIRE_JSONSCHEMA") == "1":
            print("FAIL: the jsonschema module is missing (Debian: python3-jsonschema)")
            return 1
        print("SKIP: the jsonschema module is missing (Debian: python3-jsonschema)")
        return SKIP
    if len(sys.argv) != 2:
        print("usage: json_schema_test.py COMPARISON_TEST")
        return 1
    result_validator, export_validator = validators(jsonschema)
    scenarios = pathlib.Path(os.environ.get("SCENARIOS", "scenarios"))

    with tempfile.TemporaryDirectory(prefix="ticketsim-schema-") as temp:
        out = pathlib.Path(temp)
        samples = out / "samples"
        samples.mkdir()
        subprocess.run([sys.argv[1], "-tc=the JSON results and exports these tests make*"],
                       env={**os.environ, "TICKETSIM_JSON_SAMPLES": str(samples)}, check=True,
                       stdout=subprocess.DEVNULL, timeout=120)
        documents = {f"comparison_test: {path.name}": path for path in sorted(samples.iterdir())}

        small = out / "small.toml"
        small.write_text(SMALL_SCENARIO)
        matrix = out / "matrix.toml"
        matrix.write_text(MATRIX_SCENARIO)
        # Valid, invalid, stuck on a dead lock holder, stuck on a dead seller.
        for name, scenario in [("small", small), ("seed", scenarios / "seed.toml"),
                               ("crash-named-mutex", scenarios / "crash-named-mutex.toml"),
                               ("crash-seller", scenarios / "crash-seller.toml")]:
            ticketsim("run", scenario, "--json", out / f"result-{name}.json", "--export", out / f"export-{name}.json",
                      "--history", out / f"history-{name}.jsonl", statuses=(0, 1))
            documents[f"run --json ({name})"] = out / f"result-{name}.json"
            documents[f"run --export ({name})"] = out / f"export-{name}.json"
        # `check --json` writes the result of a history.
        ticketsim("check", out / "history-seed.jsonl", "--json", out / "result-check-seed.json", "--linearizable",
                  statuses=(1,))
        documents["check --json (seed)"] = out / "result-check-seed.json"
        ticketsim("compare", matrix, "--export", out / "export-compare.json")
        documents["compare --export"] = out / "export-compare.json"
        ticketsim("report", out / "result-seed.json", "--export", out / "export-report-result.json")
        documents["report RESULT --export"] = out / "export-report-result.json"
        ticketsim("report", out / "export-compare.json", "--export", out / "export-report-export.json")
        documents["report EXPORT --export"] = out / "export-report-export.json"

        failures = []
        checked = {"result": 0, "export": 0}
        for label, path in documents.items():
            document = json.loads(path.read_text())
            kind = "export" if "kind" in document else "result"
            validator = export_validator if kind == "export" else result_validator
            errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
            checked[kind] += 1
            for error in errors[:5]:
                failures.append(f"{label}: at /{'/'.join(map(str, error.absolute_path))}: {error.message}")
        print(f"{checked['result']} results and {checked['export']} exports validated")
        if checked["result"] < 9 or checked["export"] < 8:
            failures.append(f"too few documents: {checked}")

        # Every line of each --history export, against docs/history.schema.json.
        history_validator = jsonschema.Draft202012Validator(json.loads((DOCS / "history.schema.json").read_text()))
        jsonschema.Draft202012Validator.check_schema(history_validator.schema)
        lines = 0
        for path in sorted(out.glob("history-*.jsonl")):
            for number, line in enumerate(path.read_text().splitlines(), 1):
                lines += 1
                for error in list(history_validator.iter_errors(json.loads(line)))[:3]:
                    failures.append(f"{path.name}:{number}: at /{'/'.join(map(str, error.absolute_path))}: "
                                    f"{error.message}")
        print(f"{lines} history lines validated")
        if lines < 40:
            failures.append(f"too few history lines: {lines}")
        seed_lines = (out / "history-seed.jsonl").read_text().splitlines()
        history_header, history_operation = json.loads(seed_lines[0]), json.loads(seed_lines[1])
        for change, base in [(lambda d: d.pop("tickets"), history_header),
                             (lambda d: d.update(ticketsim_history=2), history_header),
                             (lambda d: d.update(outcome="maybe"), history_operation),
                             (lambda d: d.pop("invoke_ns"), history_operation),
                             (lambda d: d.update(operation="buy"), history_operation),
                             (lambda d: d.update(extra=1), history_operation)]:
            document = copy.deepcopy(base)
            change(document)
            if history_validator.is_valid(document):
                failures.append(f"broken history line {document} was accepted")

        # Broken on purpose: each must be refused.
        result = json.loads((out / "result-seed.json").read_text())
        export = json.loads((out / "export-compare.json").read_text())
        broken = []
        for change, base in [(lambda d: d.pop("verdict"), result),
                             (lambda d: d.update(verdict="fine"), result),
                             (lambda d: d.update(new_field=1), result),
                             (lambda d: d["anomalies"].pop("oversold"), result),
                             (lambda d: d["latency_histogram"]["buy"].pop(), result),
                             (lambda d: d.update(stuck={"reason": "x", "after_s": 1}), result),
                             (lambda d: d["runs"][0].pop("cell"), export),
                             (lambda d: d["runs"][1]["latency_s"]["buy"].pop("p99"), export),
                             (lambda d: d["cells"][0]["verdicts"].pop("stuck"), export),
                             (lambda d: d.update(kind="other"), export)]:
            document = copy.deepcopy(base)
            change(document)
            broken.append((document, export_validator if "kind" in base else result_validator))
        for i, (document, validator) in enumerate(broken):
            if validator.is_valid(document):
                failures.append(f"broken document {i} was accepted")

    for failure in failures:
        print("FAIL:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
