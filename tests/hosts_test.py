#!/usr/bin/env python3
"""One sale from several hosts (docs/hosts.md), on this one machine: each
host is an agent process started through the launch command, in a network
namespace of its own where this test can make one (root, `ip netns`), with
only its loopback up; the agents reach the run's embedded PostgreSQL server
over its Unix socket, so no traffic leaves 127.0.0.0/8 or this machine.

  * 4 hosts x 100 buyers: exact sales and a valid verdict for the safe
    strategies (for-update, atomic), the read-write strategy's oversell
    found; every agent ran in its own namespace;
  * a clock offset (50 ms) and drift (200 ppm) put into one agent: the
    estimate recovers the offset within its uncertainty, and the checker
    raises no false alarm; a clock that jumps (a drift far beyond any real
    clock's) gets the read-bounds check skipped, said so, and the rest kept;
  * an agent killed mid-run: the run ends (no hang), exit 3, naming the
    lost host; a launch command that fails and an agent of another protocol
    version: one line, exit 2; Ctrl-C while the agents start: exit 130;
  * after each: no agent, buyer or server process, namespace or run
    directory left behind.

Environment: TICKETSIM (the binary), SCENARIOS (the shipped scenarios).
"""

import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

TICKETSIM = os.environ["TICKETSIM"]
SCENARIOS = pathlib.Path(os.environ["SCENARIOS"])
failures = []
NETNS_PREFIX = f"ts-hosts-{os.getpid()}-"


def fail(message):
    failures.append(message)
    print("FAIL:", message, flush=True)


def check(condition, message):
    if not condition:
        fail(message)
    return condition


def netns_works():
    if os.geteuid() != 0 or not shutil.which("ip"):
        return False
    probe = NETNS_PREFIX + "probe"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True).returncode == 0
    if made:
        subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return made


NETNS = netns_works()


class Namespaces:
    """One network namespace per host, loopback up, removed at the end."""

    def __init__(self, hosts):
        self.names = [NETNS_PREFIX + host for host in hosts] if NETNS else []
        for name in self.names:
            subprocess.run(["ip", "netns", "add", name], check=True)
            subprocess.run(["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"], check=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for name in self.names:
            subprocess.run(["ip", "netns", "del", name], capture_output=True)


def launch_command(tmp, agent_args="{ticketsim} agent --stdio"):
    """Each agent records its network namespace and its pid, then becomes
    the agent (exec: the same process)."""
    inner = f"readlink /proc/self/ns/net > {tmp}/{{host}}.netns; echo $$ > {tmp}/{{host}}.pid; exec {agent_args}"
    if NETNS:
        return f"ip netns exec {NETNS_PREFIX}{{host}} sh -c '{inner}'"
    return f"sh -c '{inner}'"


def processes():
    """Every process as (pid, ppid, stat, comm)."""
    ps = subprocess.run(["ps", "-eo", "pid,ppid,stat,comm"], capture_output=True, text=True).stdout
    return [tuple(line.split(None, 3)) for line in ps.splitlines()[1:] if len(line.split(None, 3)) == 4]


def leftovers(before_pids):
    """What this test's runs left: processes of theirs still under this
    test, or orphaned to pid 1 since it began; namespaces; run directories."""
    found = []
    table = processes()
    parent = {parts[0]: parts[1] for parts in table}

    def ours(pid):
        while pid in parent and pid not in ("0", "1"):
            if pid == str(os.getpid()):
                return True
            pid = parent[pid]
        return False

    for parts in table:
        if parts[0] in before_pids or not (ours(parts[0]) or parts[1] == "1"):
            continue  # not this test's: another run on the machine
        line = " ".join(parts)
        comm = parts[3]
        if comm.startswith(("ts-agent", "ts-buyer")) or (comm == "postgres" and parts[1] != "1"):
            found.append(f"process {line.strip()}")
        if comm.startswith("ts-") and "Z" in parts[2]:
            found.append(f"zombie {line.strip()}")
    names = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout if NETNS else ""
    found += [f"namespace {n}" for n in names.split() if n.startswith(NETNS_PREFIX)]
    found += [f"directory {d}" for d in sorted(RUNS.iterdir())]
    return found


RUNS = None  # the runs' $TMPDIR: their directories, and the embedded server's


def environment():
    return {**os.environ, "TMPDIR": str(RUNS)}


def run(*args, timeout=240):
    return subprocess.run([TICKETSIM, *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          env=environment())


def scenario_file(tmp, name, text):
    path = tmp / f"{name}.toml"
    path.write_text(text)
    return path


def four_hosts(tmp):
    hosts = ["a", "b", "c", "d"]
    with Namespaces(hosts):
        for strategy, expected, extra in [
            ("postgres-for-update", "valid", ""),
            ("postgres-atomic", "valid", ""),
            ("postgres-read-write", "invalid", '[delays]\nsearch = "50ms"\npurchase = "200ms"\n'),
        ]:
            racy = expected == "invalid"
            tickets = 1 if racy else 300
            path = scenario_file(tmp, strategy, f'strategy = "{strategy}"\ntickets = {tickets}\nbuyers = 400\n'
                                 f'{"attempts = 1" if racy else ""}\n{extra}'
                                 f'[hosts]\nnames = ["a", "b", "c", "d"]\n[expect]\nverdict = "{expected}"\n')
            result_path = tmp / f"{strategy}.json"
            for host in hosts:
                (tmp / f"{host}.netns").unlink(missing_ok=True)
            done = run("run", path, "--launch", launch_command(tmp), "--json", result_path)
            if not check(done.returncode == 0, f"{strategy} on 4 hosts: exit {done.returncode}: "
                         f"{done.stderr.strip()[-400:]}\n{done.stdout[-2000:]}"):
                continue
            result = json.loads(result_path.read_text())
            check(result["verdict"] == expected, f"{strategy}: verdict {result['verdict']}")
            each = result["hosts"]["each"]
            check([h["name"] for h in each] == hosts, f"{strategy}: hosts {[h['name'] for h in each]}")
            check(all(h["buyers"] == 100 for h in each), f"{strategy}: buyers per host {[h['buyers'] for h in each]}")
            check(len(result["buyers"]) == 400, f"{strategy}: {len(result['buyers'])} buyers in the result")
            check(sum(h["sold"] for h in each) == result["sold"], f"{strategy}: host sales do not add up")
            if racy:
                check(result["anomalies"]["oversold"] > 0, f"{strategy}: no oversell found: {result['anomalies']}")
                check(result["sold"] > 1, f"{strategy}: sold {result['sold']}")
            else:
                check(result["sold"] == 300 and result["remaining"] == 0,
                      f"{strategy}: sold {result['sold']}, remaining {result['remaining']}")
                check(all(h["sold"] > 0 for h in each), f"{strategy}: a host sold nothing: {[h['sold'] for h in each]}")
                check(result["final_store"]["ledger_sales"] == 300, f"{strategy}: ledger {result['final_store']}")
            check("hosts       4 hosts" in done.stdout, f"{strategy}: no hosts line in the report")
            spaces = {(tmp / f"{host}.netns").read_text().strip() for host in hosts if (tmp / f"{host}.netns").exists()}
            check(len(spaces) == 4, f"{strategy}: the agents' namespaces: {spaces}")
            if NETNS:
                own = os.readlink("/proc/self/ns/net")
                check(own not in spaces, f"{strategy}: an agent ran in the test's own network namespace")


def clocks(tmp):
    """Host b's agent runs 50 ms ahead and 200 ppm fast."""
    hosts = ["a", "b"]
    skewed = ("sh -c 'if [ {host} = b ]; then exec {ticketsim} agent --stdio --test-clock-offset 50 "
              "--test-clock-drift 200; else exec {ticketsim} agent --stdio; fi'")
    # Searches and sales interleaved across the hosts for about a second:
    # with the 50 ms uncorrected, b's reads would look stale or phantom.
    path = scenario_file(tmp, "clocks", 'strategy = "postgres-atomic"\ntickets = 2000\nbuyers = 40\n'
                         'attempts = 50\n[delays]\npurchase = "5ms"\n[hosts]\nnames = ["a", "b"]\n')
    with Namespaces(hosts):
        result_path = tmp / "clocks.json"
        began = time.monotonic()
        done = run("run", path, "--launch", skewed, "--json", result_path)
        wall = time.monotonic() - began
        if check(done.returncode == 0, f"clocks: exit {done.returncode}: {done.stderr.strip()[-400:]}\n{done.stdout}"):
            result = json.loads(result_path.read_text())
            a, b = result["hosts"]["each"]
            # The drift moves b's clock 200 ppm of the time since its agent
            # started (before the start, within the run's wall time) beyond
            # the offset put in.
            true_low, true_high = 0.050, 0.050 + 200e-6 * wall
            offset_error = max(0.0, true_low - b["clock_offset_s"], b["clock_offset_s"] - true_high)
            check(offset_error <= b["clock_uncertainty_s"],
                  f"clocks: b's offset estimated {b['clock_offset_s']:.6f} s +- {b['clock_uncertainty_s']:.6f}, "
                  f"put in 0.050")
            check(abs(a["clock_offset_s"]) <= a["clock_uncertainty_s"], f"clocks: a's offset {a['clock_offset_s']}")
            check(result["verdict"] == "valid", f"clocks: verdict {result['verdict']}: {result['anomaly_examples']}")
            check(result["anomalies"]["stale_reads"] == 0 and result["anomalies"]["phantom_reads"] == 0,
                  f"clocks: false alarms {result['anomaly_examples']}")
            check(result["hosts"]["read_bounds_skipped"] is None, "clocks: read bounds skipped")
        # A clock that jumps: 5% fast, beyond any real clock. Its times
        # cannot be placed: the read-bounds check is skipped and said so.
        jumpy = skewed.replace("--test-clock-drift 200", "--test-clock-drift 50000")
        done = run("run", path, "--launch", jumpy, "--json", result_path)
        if check(done.returncode == 0, f"jumpy clock: exit {done.returncode}: {done.stderr.strip()[-400:]}"):
            result = json.loads(result_path.read_text())
            skipped = result["hosts"]["read_bounds_skipped"] or ""
            check("host b" in skipped, f"jumpy clock: read bounds not skipped: {skipped!r}")
            check("stale and phantom reads not checked: host b" in done.stdout, "jumpy clock: the report does not say so")
            check(result["sold"] == 2000 and result["verdict"] == "valid", f"jumpy clock: {result['verdict']}")


def lost_host(tmp):
    hosts = ["a", "b", "c"]
    path = scenario_file(tmp, "lost", 'strategy = "postgres-for-update"\ntickets = 100000\nbuyers = 30\n'
                         'attempts = 1000\n[delays]\npurchase = "10ms"\n[hosts]\nnames = ["a", "b", "c"]\n')
    with Namespaces(hosts):
        for host in hosts:
            (tmp / f"{host}.pid").unlink(missing_ok=True)
        started = time.monotonic()
        child = subprocess.Popen([TICKETSIM, "run", path, "--launch", launch_command(tmp)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment())
        ready = 0
        for line in child.stderr:
            if "every buyer at the barrier" in line:
                ready += 1
                if ready == len(hosts):
                    break
        time.sleep(1.0)  # the buyers are buying (each buyer's purchases take 10 s)
        pid = int((tmp / "c.pid").read_text())
        os.kill(pid, signal.SIGKILL)
        try:
            out, err = child.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            child.kill()
            out, err = child.communicate()
            fail("lost host: the run hung after an agent was killed")
            return
        elapsed = time.monotonic() - started
        check(child.returncode == 3, f"lost host: exit {child.returncode}: {err[-400:]}")
        check(re.search(r"^  c +lost mid-run: .*(SIGKILL|137)", out, re.M), f"lost host: no lost line for c:\n{out[-1500:]}")
        check("host c lost mid-run" in out, f"lost host: the verdict does not name host c:\n{out[-1500:]}")
        check(elapsed < 60, f"lost host: the run took {elapsed:.1f} s to end")


def bad_launches(tmp):
    path = scenario_file(tmp, "bad", 'strategy = "postgres-atomic"\ntickets = 10\nbuyers = 4\n'
                         '[hosts]\nnames = ["a", "b"]\n')
    done = run("run", path, "--launch", "echo cannot reach {host} >&2; exit 255")
    check(done.returncode == 2, f"failed launch: exit {done.returncode}")
    lines = done.stderr.strip().splitlines()
    check(len(lines) == 1 and "host a" in lines[0] and "cannot reach a" in lines[0],
          f"failed launch: the error is not one line naming the host and its words: {done.stderr!r}")
    done = run("run", path, "--launch", "{ticketsim} agent --stdio --test-protocol-version 99")
    check(done.returncode == 2, f"version mismatch: exit {done.returncode}: {done.stderr!r}")
    lines = done.stderr.strip().splitlines()
    check(len(lines) == 1 and "protocol 99" in lines[0] and "host a" in lines[0],
          f"version mismatch: {done.stderr!r}")
    done = run("compare", path)
    check(done.returncode == 2 and "[hosts]" in done.stderr, f"compare with hosts: {done.returncode} {done.stderr!r}")
    done = run("run", path, "--strategy", "file-lock", "--launch", "{ticketsim} agent --stdio")
    check(done.returncode == 2 and "server strategy" in done.stderr, f"file store on hosts: {done.returncode} {done.stderr!r}")


def interrupted(tmp):
    """Ctrl-C while the agents are still starting: the run stops at once,
    exit 130, nothing forked anywhere."""
    path = scenario_file(tmp, "interrupted", 'strategy = "postgres-atomic"\ntickets = 10\nbuyers = 4\n'
                         '[hosts]\nnames = ["a", "b"]\n')
    child = subprocess.Popen([TICKETSIM, "run", path, "--launch", "sleep 60; exec {ticketsim} agent --stdio"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment())
    time.sleep(1.0)
    started = time.monotonic()
    child.send_signal(signal.SIGINT)
    try:
        out, err = child.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        return fail("interrupted: the run did not stop after SIGINT")
    check(child.returncode == 130, f"interrupted: exit {child.returncode}: {err[-300:]}")
    check("interrupted by SIGINT" in out, f"interrupted: the report does not say so:\n{out[:600]}")
    check(time.monotonic() - started < 20, "interrupted: it took more than 20 s to stop")


def main():
    if not NETNS:
        print("network namespaces: cannot make them here (not root, or no `ip netns`); agents run as plain processes")
    global RUNS
    with tempfile.TemporaryDirectory() as name:
        tmp = pathlib.Path(name)
        # The server runs as another user when this is root: it must reach it.
        tmp.chmod(0o755)
        RUNS = tmp / "runs"
        RUNS.mkdir()
        RUNS.chmod(0o1777)
        for test in (bad_launches, interrupted, four_hosts, clocks, lost_host):
            print(f"--- {test.__name__}", flush=True)
            before_pids = {parts[0] for parts in processes()}
            test(tmp)
            time.sleep(0.2)
            left = leftovers(before_pids)
            check(not left, f"{test.__name__}: left behind: {left}")
    print(f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
