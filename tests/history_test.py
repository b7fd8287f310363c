#!/usr/bin/env python3
"""Histories in and out (docs/history.md), through the built ticketsim:

  * a round trip: every strategy without a server, one PostgreSQL strategy
    and the crash scenarios without one are run with --history; `ticketsim
    check` of the export gives the run's verdict, counts and anomalies, and
    --linearizable the same answer as the run's (linearizable, for the
    strategies that are correct);
  * the seed: `run --history h.jsonl` then `check h.jsonl --linearizable`
    gives the run's verdict and `not linearizable`, naming the two sales;
  * the .edn export read by a small EDN reader: an invoke and one
    completion per operation, in time order, as Jepsen writes them;
  * planted histories for every anomaly class, through check;
  * malformed files: one line naming the file and the line, exit 2.

Environment: TICKETSIM (the binary), SCENARIOS (the shipped scenarios).
"""

import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile

TICKETSIM = os.environ["TICKETSIM"]
SCENARIOS = pathlib.Path(os.environ["SCENARIOS"])
failures = []


def fail(message):
    failures.append(message)
    print("FAIL:", message)


def ticketsim(*args):
    return subprocess.run([TICKETSIM, *map(str, args)], capture_output=True, text=True, timeout=300)


def linearizability_line(stdout):
    match = re.search(r"^  (linearizable|not linearizable|unknown): (.*)$", stdout, re.M)
    return match.groups() if match else (None, None)


COUNTS = ["verdict", "sold", "remaining", "searches", "attempts", "sold_out_answers", "indeterminate", "timeouts",
          "anomalies"]


def round_trip(tmp, name, scenario, correct):
    history = tmp / f"{name}.jsonl"
    run_json = tmp / f"{name}-run.json"
    check_json = tmp / f"{name}-check.json"
    run = ticketsim("run", scenario, "--history", history, "--json", run_json, "--linearizable")
    if run.returncode not in (0, 1):
        return fail(f"{name}: run exited {run.returncode}: {run.stderr.strip()}")
    ran = json.loads(run_json.read_text())
    check = ticketsim("check", history, "--json", check_json, "--expect", ran["verdict"], "--linearizable")
    if check.returncode != 0:
        return fail(f"{name}: check exited {check.returncode}: {check.stderr.strip()}\n{check.stdout}")
    checked = json.loads(check_json.read_text())
    for key in COUNTS:
        if ran[key] != checked[key]:
            fail(f"{name}: {key}: the run says {ran[key]}, check of its history {checked[key]}")
    run_answer = linearizability_line(run.stdout)[0]
    if run_answer != linearizability_line(check.stdout)[0]:
        fail(f"{name}: the run says {run_answer}, check of its history {linearizability_line(check.stdout)[0]}")
    if correct and ran["verdict"] == "valid" and run_answer != "linearizable":
        fail(f"{name}: a correct strategy's valid run is {run_answer}: {linearizability_line(run.stdout)[1]}")
    print(f"ok: {name}: {ran['verdict']}, {run_answer}")


def strategies():
    """(name, correct, server) of each strategy `ticketsim strategies` lists."""
    lines = ticketsim("strategies").stdout.splitlines()[1:]
    return [(line.split()[0], "correct" in line.split()[1], "server" in line) for line in lines if line.strip()]


SMALL = """\
name = "history-{strategy}"
strategy = "{strategy}"
tickets = 6
buyers = 4
attempts = "until-sold-out"
[delays]
search = "200us"
purchase = "200us"
"""


def test_round_trips(tmp):
    postgres_done = False
    for strategy, correct, server in strategies():
        if server and postgres_done:
            continue  # one PostgreSQL strategy: its server takes seconds to start
        if server and strategy != "postgres-atomic":
            continue
        postgres_done = postgres_done or server
        scenario = tmp / f"{strategy}.toml"
        scenario.write_text(SMALL.format(strategy=strategy))
        round_trip(tmp, strategy, scenario, correct)
    for scenario in sorted(SCENARIOS.glob("crash-*.toml")):
        if "postgres" not in scenario.name:
            round_trip(tmp, scenario.stem, scenario, False)


def test_seed(tmp):
    history = tmp / "h.jsonl"
    run = ticketsim("run", SCENARIOS / "seed.toml", "--history", history)
    check = ticketsim("check", history, "--linearizable")
    verdict = re.search(r"^verdict +(\w+)", run.stdout, re.M).group(1)
    checked = re.search(r"^verdict +(\w+)", check.stdout, re.M)
    if not checked or checked.group(1) != verdict:
        fail(f"seed: the run's verdict is {verdict}, check says {checked and checked.group(1)}")
    if check.returncode != 1:
        fail(f"seed: check of an invalid history exited {check.returncode}")
    answer, why = linearizability_line(check.stdout)
    if answer != "not linearizable" or len(re.findall(r"buyer \d+'s purchase \([^)]*\) sold #1", why or "")) < 2:
        fail(f"seed: expected not linearizable, naming two sales of #1: {answer}: {why}")
    header = json.loads(history.read_text().splitlines()[0])
    if header["ticketsim_history"] != 1 or header["tickets"] != 1 or header["strategy"] != "plain" or \
            not re.fullmatch("[0-9a-f]{64}", header["scenario_sha256"]):
        fail(f"seed: header {header}")
    print("ok: seed: check --linearizable:", answer)


def read_edn(text):
    """The EDN a Jepsen history uses: one map per line of keywords,
    integers, nil and keyword values."""
    token = re.compile(r"\s*(?:([{}])|(:[\w\-?!]+)|(-?\d+)|(nil)|(,))")
    events = []
    for number, line in enumerate(text.splitlines(), 1):
        pos, items, opened, closed = 0, [], False, False
        while pos < len(line):
            match = token.match(line, pos)
            if not match:
                raise ValueError(f"line {number}: cannot read {line[pos:]!r}")
            pos = match.end()
            brace, keyword, integer, nil, _ = match.groups()
            if brace == "{":
                opened = True
            elif brace == "}":
                closed = True
            elif keyword:
                items.append(keyword)
            elif integer:
                items.append(int(integer))
            elif nil:
                items.append(None)
        if not (opened and closed and len(items) % 2 == 0):
            raise ValueError(f"line {number}: not one map")
        events.append(dict(zip(items[0::2], items[1::2])))
    return events


def test_edn(tmp):
    history = tmp / "h.edn"
    run_json = tmp / "edn.json"
    ticketsim("run", SCENARIOS / "crash-queue.toml", "--history", history, "--json", run_json)
    ran = json.loads(run_json.read_text())
    events = read_edn(history.read_text())
    pending, operations, last_time = {}, 0, -1
    for event in events:
        process, kind = event[":process"], event[":type"]
        if event[":time"] < last_time:
            fail(f"edn: time goes backwards at {event}")
        last_time = event[":time"]
        if event[":f"] not in (":read", ":buy"):
            fail(f"edn: :f {event[':f']}")
        if kind == ":invoke":
            if process in pending:
                fail(f"edn: process {process} invoked twice without a completion")
            pending[process] = event
            operations += 1
            continue
        invoke = pending.pop(process, None)
        if invoke is None or invoke[":f"] != event[":f"]:
            fail(f"edn: a completion without its invoke: {event}")
        if kind not in (":ok", ":fail", ":info"):
            fail(f"edn: :type {kind}")
        if kind == ":ok" and not isinstance(event[":value"], int):
            fail(f"edn: an :ok without a value: {event}")
    if pending:
        fail(f"edn: invokes never completed: {list(pending.values())[:3]}")
    if operations != ran["searches"] + ran["attempts"]:
        fail(f"edn: {operations} operations, the run made {ran['searches'] + ran['attempts']}")
    reads = sum(1 for e in events if e[":type"] == ":ok" and e[":f"] == ":read")
    print(f"ok: edn: {len(events)} events, {operations} operations, {reads} reads")


def op(process, operation, invoke, complete, outcome, **fields):
    line = {"process": process, "operation": operation, "invoke_ns": invoke, "complete_ns": complete,
            "outcome": outcome}
    line.update(fields)
    return line


def header(tickets, **fields):
    return {"ticketsim_history": 1, "tickets": tickets, **fields}


# A planted history per anomaly class: the lines, and the class it shows.
PLANTED = {
    "oversold": [header(1, final={"remaining": 0}), op(0, "buy", 0, 10, "sold", count=1, ticket=1),
                 op(1, "buy", 20, 30, "sold", count=1, ticket=1)],
    "duplicate_tickets": [header(2, final={"remaining": 1}), op(0, "buy", 0, 10, "sold", count=2, ticket=2),
                          op(1, "buy", 0, 10, "sold", count=2, ticket=2)],
    "lost_updates": [header(2, final={"remaining": 1}), op(0, "buy", 0, 10, "sold", count=2, ticket=2),
                     op(1, "buy", 20, 30, "sold", count=1, ticket=1)],
    "unacknowledged_sales": [header(3, final={"remaining": 0}), op(0, "buy", 0, 10, "sold", count=3, ticket=3)],
    "out_of_range": [header(2, final={"remaining": 2}), op(0, "search", 0, 10, "ok", count=7)],
    "corrupt_reads": [header(2, final={"remaining": 2}), op(0, "search", 0, 10, "corrupt")],
    "stale_reads": [header(2, final={"remaining": 1}), op(0, "buy", 0, 10, "sold", count=2, ticket=2),
                    op(1, "search", 20, 30, "ok", count=2)],
    "phantom_reads": [header(2, final={"remaining": 2}), op(0, "search", 0, 10, "ok", count=1)],
    "store_errors": [header(2, final={"remaining": 2}), op(0, "buy", 0, 10, "error")],
    "corrupt_store": [header(2, final={"corrupt": "not a {\"count\": N} document"}),
                      op(0, "search", 0, 10, "ok", count=2)],
    "ledger_mismatch": [header(2, final={"remaining": 1, "ledger_sales": 0}),
                        op(0, "buy", 0, 10, "sold", count=2, ticket=2)],
    "unfinished_buyers": [header(2, final={"remaining": 2}, unfinished=[{"process": 0, "failure": "killed by SIGKILL"}]),
                          op(0, "search", 0, 10, "ok", count=2)],
    "lost_acknowledged_sales": [header(2, final={"remaining": 1}),
                                op(0, "buy", 0, 10, "sold", count=2, ticket=2, in_ledger=False)],
}


def test_planted(tmp):
    for anomaly, lines in PLANTED.items():
        path = tmp / f"{anomaly}.jsonl"
        path.write_text("".join(json.dumps(line) + "\n" for line in lines))
        result = tmp / f"{anomaly}.json"
        check = ticketsim("check", path, "--json", result)
        if check.returncode != 1:
            fail(f"planted {anomaly}: check exited {check.returncode}: {check.stderr.strip()}")
            continue
        anomalies = json.loads(result.read_text())["anomalies"]
        if not anomalies.get(anomaly):
            fail(f"planted {anomaly}: not found; found {[k for k, v in anomalies.items() if v]}")
        elif not re.search(rf"^  {anomaly} +\d+  \S", check.stdout, re.M):
            fail(f"planted {anomaly}: no witness line in the report:\n{check.stdout}")
    # Without a header: --tickets gives the count; without --final the final
    # count is not checked, and no throughput is made up.
    path = tmp / "bare.jsonl"
    path.write_text(json.dumps(op(0, "buy", 0, 10, "sold", count=2, ticket=2)) + "\n")
    check = ticketsim("check", path, "--tickets", 2)
    if check.returncode != 0 or "no final count given" not in check.stdout or "throughput  not measured" not in check.stdout:
        fail(f"bare history: exited {check.returncode}:\n{check.stdout}{check.stderr}")
    if ticketsim("check", path, "--tickets", 2, "--final", 2).returncode != 1:
        fail("bare history: --final 2 after a sale is not a lost update")
    print(f"ok: {len(PLANTED)} planted anomaly classes")


MALFORMED = {
    "not json": ("{\"ticketsim_history\": 1, \"tickets\": 2}\n{oops\n", 2, "not a JSON object"),
    "completion without invoke": (json.dumps({"process": 0, "operation": "search", "complete_ns": 5,
                                              "outcome": "ok", "count": 1}) + "\n", 1, "a completion without an invoke"),
    "backwards": ("".join(json.dumps(line) + "\n" for line in [
        op(0, "search", 100, 200, "ok", count=2), op(0, "search", 150, 300, "ok", count=2)]), 2, "time goes backwards"),
    "unknown outcome": (json.dumps(op(0, "buy", 0, 1, "maybe")) + "\n", 1, "unknown outcome 'maybe'"),
    "complete before invoke": (json.dumps(op(0, "search", 10, 5, "ok", count=2)) + "\n", 1, "before invoke_ns"),
}


def test_malformed(tmp):
    for name, (text, line, words) in MALFORMED.items():
        path = tmp / (name.replace(" ", "-") + ".jsonl")
        path.write_text(text)
        check = ticketsim("check", path, "--tickets", 2)
        message = check.stderr.strip()
        if check.returncode != 2 or message.count("\n") or f"{path}:{line}:" not in message or words not in message:
            fail(f"malformed ({name}): exited {check.returncode}, said {message!r}")
    missing = tmp / "no-tickets.jsonl"
    missing.write_text(json.dumps(op(0, "search", 0, 1, "ok", count=2)) + "\n")
    check = ticketsim("check", missing)
    if check.returncode != 2 or "--tickets" not in check.stderr:
        fail(f"no tickets: exited {check.returncode}, said {check.stderr.strip()!r}")
    run = ticketsim("run", SCENARIOS / "seed.toml", "--history", tmp / "h.txt")
    if run.returncode != 2 or "unknown history format" not in run.stderr:
        fail(f"--history h.txt: exited {run.returncode}, said {run.stderr.strip()!r}")
    print(f"ok: {len(MALFORMED)} malformed files refused")


def test_compare(tmp):
    scenario = tmp / "compare.toml"
    scenario.write_text(SMALL.format(strategy="plain"))
    directory = tmp / "histories"
    compare = ticketsim("compare", scenario, "--strategies", "plain,named-mutex", "--runs", 1, "--history", directory)
    if compare.returncode != 0:
        return fail(f"compare --history: exited {compare.returncode}: {compare.stderr.strip()}")
    files = sorted(path.name for path in directory.iterdir())
    if files != ["named-mutex-4-buyers-run1.jsonl", "plain-4-buyers-run1.jsonl"]:
        fail(f"compare --history: wrote {files}")
    for name in files:
        check = ticketsim("check", directory / name)
        if check.returncode not in (0, 1) or not check.stdout.startswith("ticketsim"):
            fail(f"compare --history: check {name} exited {check.returncode}: {check.stderr.strip()}")
    again = ticketsim("compare", scenario, "--strategies", "plain", "--runs", 1, "--history", directory)
    if again.returncode != 2 or "exists" not in again.stderr:
        fail(f"compare --history into a directory holding its files: exited {again.returncode}: {again.stderr}")
    same = ticketsim("run", scenario, "--json", tmp / "x.jsonl", "--history", tmp / "x.jsonl")
    if same.returncode != 2 or "named by both --json and --history" not in same.stderr:
        fail(f"run --json and --history one file: exited {same.returncode}: {same.stderr.strip()}")
    print("ok: compare --history")


def main():
    with tempfile.TemporaryDirectory(prefix="history-test-") as directory:
        tmp = pathlib.Path(directory)
        test_malformed(tmp)
        test_planted(tmp)
        test_seed(tmp)
        test_edn(tmp)
        test_compare(tmp)
        test_round_trips(tmp)
    if failures:
        print(f"{len(failures)} failed")
        sys.exit(1)


if __name__ == "__main__":
    main()
