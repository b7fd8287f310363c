// Tests of the ticketsim command as a user runs it: exit statuses, one-line
// errors, the report and the JSON result.
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <set>
#include <vector>
#include <signal.h>

#include <doctest/doctest.h>

#include "storage/store.h"
#include "tests/temp_dir.h"
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace {

std::string env_or(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value && *value ? value : fallback;
}

const std::string kTicketsim = env_or("TICKETSIM", "./ticketsim");
const std::string kScenarios = env_or("SCENARIOS", "../scenarios");

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Outcome {
  int status = -1;
  std::string out;
  std::string err;
  std::size_t err_lines() const {
    std::size_t lines = 0;
    for (char c : err) lines += c == '\n';
    return lines;
  }
};

// A ticketsim process started with its output going to files.
struct Running {
  pid_t pid = -1;
  std::string out_path;
  std::string err_path;
};

// In a forked child: ticketsim with `args`, its output to `running`'s files.
[[noreturn]] void exec_ticketsim(const std::vector<std::string>& args, const Running& running) {
  int out = open(running.out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  int err = open(running.err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  dup2(out, 1);
  dup2(err, 2);
  std::vector<char*> argv{const_cast<char*>(kTicketsim.c_str())};
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  execv(argv[0], argv.data());
  _exit(127);
}

Running start_ticketsim(const std::vector<std::string>& args, const TempDir& capture) {
  Running running{-1, (capture.path / "out").string(), (capture.path / "err").string()};
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) exec_ticketsim(args, running);
  running.pid = pid;
  return running;
}

Outcome finish(const Running& running) {
  int status = 0;
  REQUIRE(waitpid(running.pid, &status, 0) == running.pid);
  Outcome outcome;
  outcome.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  outcome.out = slurp(running.out_path);
  outcome.err = slurp(running.err_path);
  return outcome;
}

// Runs ticketsim with `args`, capturing what it writes.
Outcome run_ticketsim(const std::vector<std::string>& args) {
  TempDir capture;
  return finish(start_ticketsim(args, capture));
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Bad usage: exit 2, one line on stderr that says `message`, nothing on
// stdout.
void refused_with(const std::vector<std::string>& args, const std::string& message) {
  CAPTURE(args);
  Outcome outcome = run_ticketsim(args);
  CAPTURE(outcome.err);
  CHECK(outcome.status == 2);
  CHECK(outcome.err_lines() == 1);
  CHECK(contains(outcome.err, message));
  CHECK(outcome.out.empty());
}

const char* kGoodScenario = R"(name = "small"
strategy = "named-mutex"
tickets = 5
buyers = 3
attempts = 3
)";

}  // namespace

TEST_CASE("the seed scenario reports the oversell with named witnesses and exits 0") {
  Outcome run = run_ticketsim({"run", kScenarios + "/seed.toml"});
  CHECK(run.status == 0);
  CHECK(contains(run.out, "verdict     invalid (expected invalid: as expected)"));
  CHECK(contains(run.out, "oversold"));
  CHECK(contains(run.out, "both sold ticket #1"));
  CHECK(run.err.empty());
}

TEST_CASE("the seed's load under a lock is valid and sells exactly one ticket") {
  for (std::string strategy : {"named-mutex", "sqlite", "file-lock"}) {
    CAPTURE(strategy);
    TempDir dir;
    std::string json = (dir.path / "result.json").string();
    Outcome run = run_ticketsim({"run", kScenarios + "/seed.toml", "--strategy", strategy, "--json", json});
    // seed.toml expects the oversell of plain; another strategy is expected
    // what it guarantees, and the header says so.
    CHECK(run.status == 0);
    CHECK(contains(run.out, "  expect: valid (from the strategy " + strategy + "; the scenario expected invalid)\n"));
    CHECK(contains(run.out, "verdict     valid (expected valid: as expected)"));
    nlohmann::json result = nlohmann::json::parse(slurp(json));
    CHECK(result["verdict"] == "valid");
    CHECK(result["expected_verdict"] == "valid");
    CHECK(result["expected_from"] == "the strategy " + strategy);
    CHECK(result["scenario_expected_verdict"] == "invalid");
    CHECK(result["sold"] == 1);
    CHECK(result["remaining"] == 0);
    // `report` prints the header as run did.
    Outcome again = run_ticketsim({"report", json});
    CHECK(contains(again.out, "  expect: valid (from the strategy " + strategy + "; the scenario expected invalid)\n"));

    // --expect still decides.
    Outcome expected = run_ticketsim({"run", kScenarios + "/seed.toml", "--strategy", strategy, "--expect", "invalid"});
    CHECK(expected.status == 1);
    CHECK(contains(expected.out, "  expect: invalid (from --expect; the scenario expected invalid)\n"));
    CHECK(contains(expected.out, "NOT as expected"));
  }
  // The scenario's own strategy keeps the scenario's expectation.
  Outcome own = run_ticketsim({"run", kScenarios + "/seed.toml", "--strategy", "plain"});
  CHECK(own.status == 0);
  CHECK(!contains(own.out, "expect:"));
  CHECK(contains(own.out, "verdict     invalid (expected invalid: as expected)"));
}

TEST_CASE("--json writes the documented result") {
  TempDir dir;
  std::string scenario = dir.file("small.toml", kGoodScenario);
  std::string json_path = (dir.path / "result.json").string();
  Outcome run = run_ticketsim({"run", scenario, "--json", json_path, "--buyers", "4", "--seed", "7"});
  REQUIRE(run.status == 0);
  nlohmann::json result = nlohmann::json::parse(slurp(json_path));
  CHECK(result["schema_version"] == 2);
  CHECK(result["strategy"] == "named-mutex");
  CHECK(result["verdict"] == "valid");
  CHECK(result["expected_verdict"] == "valid");
  CHECK(result["tickets"] == 5);
  CHECK(result["buyer_count"] == 4);
  CHECK(result["seed"] == 7);
  CHECK(result["sold"] == 5);
  CHECK(result["remaining"] == 0);
  for (const char* key : {"oversold", "duplicate_tickets", "lost_updates", "corrupt_reads", "corrupt_store"}) {
    CAPTURE(key);
    CHECK(result["anomalies"][key] == 0);
  }
  CHECK(result["throughput"]["sales_per_s"].get<double>() > 0);
  CHECK(result["throughput"]["attempts_per_s"].get<double>() > 0);
  CHECK(result["spawn_s"].get<double>() > 0);
  for (const char* field : {"min", "mean", "stddev", "p50", "p90", "p99", "p99_9", "max"}) {
    CAPTURE(field);
    CHECK(result["latency_s"]["buy"][field].is_number());
  }
  CHECK(result["latency_s"]["buy"]["count"] == result["attempts"]);
  REQUIRE(result["buyers"].size() == 4);
  std::int64_t sold = 0;
  for (const auto& buyer : result["buyers"]) {
    CHECK(buyer["pid"].get<int>() > 0);
    CHECK(buyer["ppid"].get<int>() > 0);
    CHECK(buyer["exit_status"] == 0);
    sold += buyer["sold"].get<std::int64_t>();
  }
  CHECK(sold == 5);
}

TEST_CASE("bad input is one line and exit 2") {
  TempDir dir;
  struct Case {
    std::string name;
    std::string text;
    std::vector<std::string> extra;
    std::vector<std::string> expected;  // parts of the message
  };
  std::vector<Case> cases = {
      {"malformed.toml", "strategy = \"plain\"\ntickets = = 3\n", {}, {"malformed.toml:2:"}},
      {"misspelt.toml", "strategy = \"plain\"\ntickets = 1\nbuyer = 3\n", {},
       {"misspelt.toml:3:1:", "unknown key 'buyer'", "did you mean 'buyers'"}},
      {"strategy.toml", "strategy = \"spinlock\"\ntickets = 1\nbuyers = 3\n", {},
       {"strategy.toml:1:1:", "key 'strategy'", "unknown strategy 'spinlock'", "sqlite"}},
      {"zero.toml", "strategy = \"plain\"\ntickets = 1\nbuyers = 0\n", {},
       {"zero.toml:3:1:", "key 'buyers'", "must be from 1"}},
      {"ok.toml", kGoodScenario, {"--strategy", "spinlock"}, {"--strategy", "unknown strategy 'spinlock'"}},
      {"ok2.toml", kGoodScenario, {"--buyers", "0"}, {"--buyers"}},
      {"ok3.toml", kGoodScenario, {"--attempts", "never"}, {"--attempts"}},
      {"ok4.toml", kGoodScenario, {"--no-such-flag"}, {"--no-such-flag"}},
      {"ok5.toml", kGoodScenario, {"--json", "/nonexistent/dir/result.json"}, {"/nonexistent/dir/result.json"}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    std::string path = dir.file(c.name, c.text);
    std::vector<std::string> args{"run", path};
    args.insert(args.end(), c.extra.begin(), c.extra.end());
    Outcome run = run_ticketsim(args);
    CAPTURE(run.err);
    CHECK(run.status == 2);
    CHECK(run.err_lines() == 1);
    CHECK(run.out.empty());
    for (const std::string& part : c.expected) CHECK(contains(run.err, part));
  }
  Outcome missing = run_ticketsim({"run", "/nonexistent/scenario.toml"});
  CHECK(missing.status == 2);
  CHECK(contains(missing.err, "/nonexistent/scenario.toml"));
  CHECK(missing.err_lines() == 1);

  Outcome no_command = run_ticketsim({});
  CHECK(no_command.status == 2);
}

namespace {

// The strategies the CLI knows, from `run --help` ("Store strategy: plain,
// named-mutex, ..."). Not from the first word of each line of `ticketsim
// strategies`: it pads names to 17 columns, and a longer name
// (postgres-read-write) runs into its summary there.
std::vector<std::string> strategy_list() {
  Outcome help = run_ticketsim({"run", "--help"});
  REQUIRE(help.status == 0);
  const std::string label = "Store strategy: ";
  std::size_t start = help.out.find(label);
  REQUIRE(start != std::string::npos);
  start += label.size();
  std::istringstream list(help.out.substr(start, help.out.find('\n', start) - start));
  std::vector<std::string> names;
  for (std::string name; std::getline(list, name, ',');) names.push_back(name.substr(name.find_first_not_of(' ')));
  return names;
}

std::set<std::string> shm_names_of(pid_t pid) {
  std::set<std::string> names;
  std::string mark = "ticketsim-" + std::to_string(pid) + "-";
  for (const auto& entry : std::filesystem::directory_iterator("/dev/shm")) {
    std::string name = entry.path().filename().string();
    if (name.find(mark) != std::string::npos) names.insert(name);
  }
  return names;
}

}  // namespace

TEST_CASE("every shipped scenario that is not strategy-specific runs under every strategy") {
  std::vector<std::string> strategies = strategy_list();
  REQUIRE(strategies.size() == ticketsim::strategies().size());
  for (std::string file : {"seed.toml", "seed-serial.toml", "throughput.toml"}) {
    for (const std::string& strategy : strategies) {
      CAPTURE(file);
      CAPTURE(strategy);
      // A database server starts for each run: the seed's load is enough
      // here; tests/postgres_test.cc runs them under load.
      if (ticketsim::find_strategy(strategy)->server && file != "seed.toml") continue;
      std::vector<std::string> args{"run", kScenarios + "/" + file, "--strategy", strategy};
      // The throughput load, shortened: every strategy, not every purchase.
      if (file == "throughput.toml") args.insert(args.end(), {"--attempts", "300"});
      Outcome run = run_ticketsim(args);
      CHECK((run.status == 0 || run.status == 1));
      CHECK(contains(run.out, "verdict"));
      CHECK(run.err.empty());
      // Those without concurrency control may oversell.
      if (ticketsim::find_strategy(strategy)->expected_correct()) CHECK(contains(run.out, "verdict     valid"));
    }
  }
}

TEST_CASE("the crash scenarios end as they expect, named-mutex stuck on its dead holder") {
  for (const auto& entry : std::filesystem::directory_iterator(kScenarios)) {
    std::string name = entry.path().filename().string();
    if (!name.starts_with("crash-")) continue;
    CAPTURE(name);
    TempDir dir;
    std::string json = (dir.path / "result.json").string();
    Outcome run = run_ticketsim({"run", entry.path().string(), "--json", json});
    CAPTURE(run.out);
    CHECK(run.status == 0);
    // Nothing but the report: no server notice ("terminating connection due
    // to immediate shutdown") from a buyer's connection on stderr.
    CHECK(run.err == "");
    nlohmann::json result = nlohmann::json::parse(slurp(json));
    if (result["expected_verdict"] == "stuck") {
      CHECK(result["verdict"] == "stuck");
      std::string reason = result["stuck"]["reason"];
      CHECK(contains(reason, "is dead"));
      CHECK(result["stuck"]["after_s"].get<double>() <= result["lock_timeout_s"].get<double>() + 1.0);
    } else if (result["expected_verdict"] == "invalid") {
      // A server crash with asynchronous commits: acknowledged sales lost.
      CHECK(result["verdict"] == "invalid");
      CHECK(result["anomalies"]["lost_acknowledged_sales"].get<std::int64_t>() > 0);
    } else {
      CHECK(result["verdict"] == "valid");
      // Two buyers killed in mid-purchase; a server crash cuts off as many
      // purchases as were in flight.
      if (name.find("postgres") == std::string::npos && name.find("redis") == std::string::npos) {
        CHECK(result["indeterminate"] == 2);
      }
    }
  }
}

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::size_t count_of(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++count;
  return count;
}

}  // namespace

TEST_CASE("a stuck run: the waiters killed at the end are one line, cancelled, not indeterminate") {
  TempDir dir;
  // One buyer dies holding the named mutex in its second purchase. The 29
  // others queue for the lock, 10 ms each, so their waits began up to
  // about 300 ms apart: the first to pass lock_timeout (1.5 s, well beyond
  // the queue) ends the run, and those behind it, still waiting for the
  // lock, are killed by the runner having changed nothing.
  std::string scenario = dir.file("stuck.toml", R"(name = "stuck"
strategy = "named-mutex"
tickets = 400
buyers = 30
attempts = 10
seed = 2
lock_timeout = "1500ms"

[delays]
purchase = "10ms"

[[faults]]
action = "kill"
point = "in-critical-section"
attempt = 2

[expect]
verdict = "stuck"
)");
  std::string json_path = (dir.path / "stuck.json").string();
  std::string log_path = (dir.path / "stuck.csv").string();
  Outcome run = run_ticketsim({"run", scenario, "--json", json_path, "--log", log_path});
  CAPTURE(run.out);
  REQUIRE(run.status == 0);
  nlohmann::json result = nlohmann::json::parse(slurp(json_path));
  REQUIRE(result["verdict"] == "stuck");
  REQUIRE(result["faults"].size() == 1);
  CHECK(result["faults"][0]["carried_out"] == true);
  // Only the victim's purchase may have happened.
  CHECK(result["indeterminate"] == 1);
  CHECK(contains(run.out, " 1 indeterminate, "));
  std::int64_t waiting = 0;
  std::int64_t sigkilled = 0;
  for (const nlohmann::json& buyer : result["buyers"]) {
    if (buyer["exit_status"] == 137) ++sigkilled;
    if (buyer.contains("killed_waiting")) {
      CHECK(buyer["exit_status"] == 137);
      ++waiting;
    }
  }
  CHECK(waiting >= 5);
  CHECK(sigkilled == waiting + 1);
  CHECK(contains(run.out, fmt::format("  {} buyers still waiting were killed at the end; none had entered the "
                                      "critical section", waiting)));
  // One line per buyer only for the victim.
  CHECK(count_of(run.out, "killed by SIGKILL") == 1);
  // The purchases they were waiting in are cancelled, in the log as in the count.
  std::int64_t cancelled = 0;
  for (const std::string& line : lines_of(slurp(log_path))) cancelled += contains(line, ",buy,") && contains(line, ",cancelled,");
  CHECK(cancelled >= 1);
  CHECK(result["cancelled"] == cancelled);
  CHECK(contains(run.out, fmt::format(", {} cancelled at the end, ", cancelled)));
}

TEST_CASE("SIGINT mid-run: buyers killed and reaped, named objects removed, partial report") {
  for (std::string strategy : {"named-mutex", "robust-mutex", "queue"}) {
    CAPTURE(strategy);
    TempDir dir;
    // Eight buyers that each hold the lock for two seconds: a long run.
    std::string scenario = dir.file("long.toml", "strategy = \"" + strategy + "\"\ntickets = 8\nbuyers = 8\n"
                                                  "[delays]\npurchase = \"2s\"\n");
    std::string json = (dir.path / "result.json").string();
    Running running = start_ticketsim({"run", scenario, "--json", json}, dir);
    // Wait until the run has made its named objects, then a little more.
    for (int i = 0; i < 500 && shm_names_of(running.pid).empty(); ++i) usleep(10'000);
    REQUIRE_FALSE(shm_names_of(running.pid).empty());
    usleep(300'000);
    REQUIRE(kill(running.pid, SIGINT) == 0);
    Outcome run = finish(running);
    CHECK(run.status == 130);
    CHECK(contains(run.out, "verdict     interrupted"));
    CHECK(contains(run.out, "interrupted by SIGINT"));
    CHECK(shm_names_of(running.pid).empty());
    nlohmann::json result = nlohmann::json::parse(slurp(json));
    CHECK(result["verdict"] == "interrupted");
    REQUIRE(result["buyers"].size() == 8);
    for (const auto& buyer : result["buyers"]) {
      pid_t pid = buyer["pid"].get<pid_t>();
      CHECK(kill(pid, 0) == -1);  // no process, not even a zombie: reaped
    }
  }
}


namespace {

// The children of `parent`, from /proc.
std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> children;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string stat = slurp("/proc/" + name + "/stat");
    std::size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(stat.substr(close + 2));
    char state;
    pid_t ppid;
    fields >> state >> ppid;
    if (ppid == parent) children.push_back(std::stoi(name));
  }
  return children;
}

// Gone, or a zombie that only its new parent can reap.
bool process_dead(pid_t pid) {
  std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
  if (stat.empty()) return true;
  std::size_t close = stat.rfind(')');
  return close != std::string::npos && (stat[close + 2] == 'Z' || stat[close + 2] == 'X');
}

// The children of `parent` once there are `count` of them (or after 5 s).
std::vector<pid_t> wait_for_children(pid_t parent, std::size_t count) {
  std::vector<pid_t> children;
  for (int i = 0; i < 500 && children.size() < count; ++i) {
    usleep(10'000);
    children = children_of(parent);
  }
  return children;
}

}  // namespace

namespace {
std::vector<std::string> leftovers_of(pid_t pid);
}  // namespace

TEST_CASE("buyers die with ticketsim, even when it is killed outright") {
  TempDir dir;
  std::string scenario = dir.file("long.toml", "strategy = \"file-lock\"\ntickets = 8\nbuyers = 6\n"
                                               "[delays]\npurchase = \"2s\"\n");
  Running running = start_ticketsim({"run", scenario}, dir);
  std::vector<pid_t> buyers = wait_for_children(running.pid, 6);
  REQUIRE(buyers.size() == 6);
  REQUIRE(kill(running.pid, SIGKILL) == 0);
  finish(running);
  // PR_SET_PDEATHSIG: each buyer gets SIGKILL as its parent dies.
  for (pid_t buyer : buyers) {
    CAPTURE(buyer);
    bool dead = false;
    for (int i = 0; i < 500 && !dead; ++i) {
      dead = process_dead(buyer);
      if (!dead) usleep(10'000);
    }
    CHECK(dead);
  }
  // What it could not remove, `ticketsim clean` does: nothing is left.
  CHECK_FALSE(leftovers_of(running.pid).empty());
  CHECK(run_ticketsim({"clean"}).status == 0);
  CHECK(leftovers_of(running.pid).empty());
}

TEST_CASE("buyers, the seller and the monitor name themselves for ps, top and pkill -x") {
  TempDir dir;
  std::string scenario = dir.file("named.toml", "strategy = \"queue\"\ntickets = 8\nbuyers = 3\n"
                                                "monitor_interval = \"50ms\"\n[delays]\npurchase = \"2s\"\n");
  Running running = start_ticketsim({"run", scenario}, dir);
  // The seller, the monitor and three buyers; each names itself just after
  // fork, so read until every name is there (or 5 s have passed).
  std::multiset<std::string> names;
  for (int i = 0; i < 500; ++i) {
    names.clear();
    for (pid_t child : children_of(running.pid)) {
      std::string comm = slurp("/proc/" + std::to_string(child) + "/comm");
      if (!comm.empty() && comm.back() == '\n') comm.pop_back();
      names.insert(comm);
    }
    if (names == std::multiset<std::string>{"ts-buyer-0", "ts-buyer-1", "ts-buyer-2", "ts-monitor", "ts-seller"}) break;
    usleep(10'000);
  }
  CHECK(names == std::multiset<std::string>{"ts-buyer-0", "ts-buyer-1", "ts-buyer-2", "ts-monitor", "ts-seller"});
  REQUIRE(kill(running.pid, SIGINT) == 0);
  CHECK(finish(running).status == 130);
}

// The mappings of `pid` whose file names hold `library`.
bool maps_library(pid_t pid, const std::string& library) {
  return contains(slurp("/proc/" + std::to_string(pid) + "/maps"), library);
}

TEST_CASE("a server's client library is mapped only by runs of its strategies, so other forks stay cheap") {
  TempDir dir;
  struct Case {
    const char* strategy;
    bool libpq, hiredis;
  };
  for (Case c : {Case{"plain", false, false}, Case{"redis-decr", false, true}}) {
    CAPTURE(c.strategy);
    std::string scenario = dir.file(std::string(c.strategy) + ".toml",
                                    fmt::format("strategy = \"{}\"\ntickets = 2\nbuyers = 2\n[delays]\nsearch = \"3s\"\n",
                                                c.strategy));
    Running running = start_ticketsim({"run", scenario, "--store-dir", dir.path.string()}, dir);
    // The buyers once both have named themselves (the embedded Redis
    // server is a child too, and maps what it likes).
    std::vector<pid_t> buyers;
    for (int i = 0; i < 500 && buyers.size() < 2; ++i) {
      usleep(10'000);
      buyers.clear();
      for (pid_t child : children_of(running.pid)) {
        if (slurp("/proc/" + std::to_string(child) + "/comm").rfind("ts-buyer-", 0) == 0) buyers.push_back(child);
      }
    }
    REQUIRE(buyers.size() == 2);
    for (pid_t pid : {running.pid, buyers[0], buyers[1]}) {
      CHECK(maps_library(pid, "/libpq.so") == c.libpq);
      CHECK(maps_library(pid, "/libhiredis.so") == c.hiredis);
    }
    REQUIRE(kill(running.pid, SIGINT) == 0);
    CHECK(finish(running).status == 130);
  }
}

TEST_CASE("ticketsim bench prints each figure as a ratio to its limit and exports it") {
  TempDir dir;
  std::string json = (dir.path / "bench.json").string();
  std::string markdown = (dir.path / "bench.md").string();
  Outcome run = run_ticketsim({"bench", "--strategies", "plain,sqlite", "--buyers", "1,2", "--seconds", "0.05",
                           "--spawn-buyers", "20", "--rounds", "1", "--checker-operations", "8000,32000",
                           "--no-peer", "--store-dir", dir.path.string(), "--export", json, "--export", markdown});
  REQUIRE(run.status == 0);
  CHECK(contains(run.out, "sqlite at 2 buyers"));
  CHECK(contains(run.out, "sqlite at 1 buyer over the bare loop"));
  CHECK(!contains(run.out, "1 buyers"));
  CHECK(contains(run.out, "spawn 20 buyers to the barrier"));
  nlohmann::json report = nlohmann::json::parse(slurp(json));
  std::set<std::string> names;
  for (const auto& figure : report["figures"]) {
    names.insert(figure["name"]);
    CHECK(figure["value"].get<double>() > 0);
    if (figure["limit"].get<double>() > 0) CHECK(figure["ratio"].get<double>() > 0);
  }
  for (const char* name : {"plain at 1 buyer", "sqlite at 2 buyers", "sqlite at 2 buyers over the bare loop",
                           "checker at 8,000 operations", "checker at 32,000 operations",
                           "checker at 32,000 operations: peak memory beyond the history",
                           "checker growth: rate at 32,000 operations", "history memory",
                           "seed's load, 500 buyers, 300 tickets: wall time"}) {
    CAPTURE(name);
    CHECK(names.count(name) == 1);
  }
  // The bare loop is budgeted at 1 buyer for a strategy whose sales are a
  // throughput, never for plain's; the one-process limit is information.
  for (const auto& figure : report["figures"]) {
    std::string name = figure["name"];
    bool budgeted = !figure["budget"].is_null();
    if (name == "sqlite at 1 buyer over the bare loop") CHECK(budgeted);
    if (name == "plain at 1 buyer over the bare loop" || name == "sqlite at 1 buyer") CHECK(!budgeted);
  }
  CHECK(contains(slurp(markdown), "| sqlite at 2 buyers |"));
  CHECK(run_ticketsim({"bench", "--strategies", "spinlock"}).status == 2);
  CHECK(run_ticketsim({"bench", "--export", (dir.path / "x.pdf").string(), "--strategies", "plain", "--buyers", "1",
                   "--seconds", "0.01", "--spawn-buyers", "2", "--no-peer"}).status == 2);
}

TEST_CASE("validate checks scenario files without running them") {
  TempDir dir;
  std::string good = dir.file("good.toml", kGoodScenario);
  std::string bad = dir.file("bad.toml", "strategy = \"plain\"\ntickets = 1\nbuyer = 2\n");
  std::string seller = dir.file("seller.toml", "strategy = \"sqlite\"\ntickets = 1\nbuyers = 2\n"
                                               "[[faults]]\ntarget = \"seller\"\naction = \"kill\"\n");
  Outcome ok = run_ticketsim({"validate", good});
  CHECK(ok.status == 0);
  CHECK(contains(ok.out, good + ": ok"));
  Outcome mixed = run_ticketsim({"validate", good, bad, seller});
  CHECK(mixed.status == 2);
  CHECK(mixed.err_lines() == 2);
  CHECK(contains(mixed.err, "bad.toml:3:1: unknown key 'buyer'"));
  CHECK(contains(mixed.err, "needs a strategy with a seller"));
  // Nothing was run: no store directory was made.
  CHECK(!contains(mixed.out, "verdict"));
}

// Runs `ticketsim run` on a scenario of text `scenario` in `dir` (open to
// everyone), with `resource` lowered to `value` (soft and hard), as the
// unprivileged user nobody when `as_nobody` (the kernel does not hold root
// to RLIMIT_NPROC).
Outcome run_limited(const TempDir& dir, const std::string& scenario, int resource, rlim_t value, bool as_nobody) {
  std::filesystem::permissions(dir.path, std::filesystem::perms::all);
  std::string file = dir.file("limited.toml", scenario);
  std::filesystem::permissions(file, std::filesystem::perms::owner_read | std::filesystem::perms::group_read |
                                         std::filesystem::perms::others_read);
  Running running{-1, (dir.path / "out").string(), (dir.path / "err").string()};
  running.pid = fork();
  REQUIRE(running.pid >= 0);
  if (running.pid == 0) {
    const uid_t nobody = 65534;
    if (as_nobody && (setgid(nobody) != 0 || setuid(nobody) != 0)) _exit(120);
    rlimit limit{value, value};
    if (setrlimit(resource, &limit) != 0) _exit(121);
    exec_ticketsim({"run", file, "--store-dir", dir.path.string()}, running);
  }
  return finish(running);
}

TEST_CASE("a run the process limit would stop is refused before anything is forked, saying how to raise it") {
  TempDir dir;
  const std::string scenario = "strategy = \"named-mutex\"\ntickets = 10\nbuyers = 30\n";
  Outcome refused = run_limited(dir, scenario, RLIMIT_NPROC, 20, true);
  CAPTURE(refused.err);
  CHECK(refused.status == 2);
  CHECK(refused.err_lines() == 1);
  CHECK(contains(refused.err, "key 'buyers': 30 buyers would exceed the process limit RLIMIT_NPROC (ulimit -u 20)"));
  CHECK(contains(refused.err, "raise it with `ulimit -u 94` or more"));
  CHECK(refused.out.empty());
  // Root is not held to RLIMIT_NPROC: the same limit stops nothing.
  Outcome as_root = run_limited(dir, scenario, RLIMIT_NPROC, 20, false);
  CAPTURE(as_root.err);
  CHECK(as_root.status == 0);
}

TEST_CASE("an embedded Redis server without a file per buyer is refused before it starts") {
  TempDir dir;
  Outcome refused =
      run_limited(dir, "strategy = \"redis-lua\"\ntickets = 10\nbuyers = 200\n", RLIMIT_NOFILE, 64, true);
  CAPTURE(refused.err);
  CHECK(refused.status == 2);
  CHECK(refused.err_lines() == 1);
  CHECK(contains(refused.err, "RLIMIT_NOFILE (ulimit -n) allows 64 open files"));
  CHECK(contains(refused.err, "234 for 200 buyers; raise it with `ulimit -n 234`"));
}

TEST_CASE("fork failing part-way ends the run cleanly and says how many buyers started") {
  // As an unprivileged user whose process limit runs out after some buyers:
  // 70 sleepers of that user, a limit of 100, and a run of 40 buyers.
  TempDir dir;
  std::filesystem::permissions(dir.path, std::filesystem::perms::all);
  std::string scenario = dir.file("many.toml", "strategy = \"named-mutex\"\ntickets = 10\nbuyers = 30\n");
  std::filesystem::permissions(scenario, std::filesystem::perms::owner_read | std::filesystem::perms::group_read |
                                             std::filesystem::perms::others_read);
  const uid_t nobody = 65534;
  std::string out_path = (dir.path / "out").string(), err_path = (dir.path / "err").string();
  pid_t runner = fork();
  REQUIRE(runner >= 0);
  if (runner == 0) {
    rlimit limit{100, 100};
    if (setgid(nobody) != 0 || setuid(nobody) != 0 || setrlimit(RLIMIT_NPROC, &limit) != 0) _exit(120);
    std::vector<pid_t> sleepers;
    for (int i = 0; i < 70; ++i) {
      pid_t sleeper = fork();
      if (sleeper == 0) {
        pause();
        _exit(0);
      }
      if (sleeper > 0) sleepers.push_back(sleeper);
    }
    pid_t child = fork();
    if (child == 0) {
      int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(out, 1);
      dup2(err, 2);
      execl(kTicketsim.c_str(), kTicketsim.c_str(), "run", scenario.c_str(), "--store-dir", dir.path.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
    int status = 0;
    waitpid(child, &status, 0);
    for (pid_t sleeper : sleepers) kill(sleeper, SIGKILL);
    for (pid_t sleeper : sleepers) waitpid(sleeper, nullptr, 0);
    // Anything of this user still alive now is a buyer ticketsim left behind.
    int left = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
      std::string name = entry.path().filename().string();
      if (name.find_first_not_of("0123456789") != std::string::npos || std::stoi(name) == getpid()) continue;
      struct stat st {};
      if (stat(entry.path().c_str(), &st) == 0 && st.st_uid == nobody && !process_dead(std::stoi(name))) ++left;
    }
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) + 10 * left : 99);
  }
  int status = 0;
  REQUIRE(waitpid(runner, &status, 0) == runner);
  REQUIRE(WIFEXITED(status));
  std::string err = slurp(err_path);
  CAPTURE(err);
  CHECK(WEXITSTATUS(status) == 3);  // the run failed, and no buyer was left behind
  CHECK(contains(err, "fork failed after "));
  CHECK(contains(err, " of 30 buyers were started"));
  CHECK(slurp(out_path).empty());
  // The run's named mutex went with it.
  for (const auto& entry : std::filesystem::directory_iterator("/dev/shm")) {
    struct stat st {};
    if (stat(entry.path().c_str(), &st) != 0 || st.st_uid != nobody) continue;
    CHECK(entry.path().filename().string().find("ticketsim") == std::string::npos);
  }
}

TEST_CASE("SIGTERM to ticketsim and all its buyers at once: still interrupted, nothing left") {
  // As `pkill -f` does: the buyers keep ticketsim's command line. Their ends
  // (SIGCHLD) and ticketsim's SIGTERM come together; the SIGTERM must not be lost.
  TempDir dir;
  std::string scenario = dir.file("long.toml", "strategy = \"named-mutex\"\ntickets = 8\nbuyers = 6\n"
                                               "[delays]\npurchase = \"2s\"\n");
  Running running = start_ticketsim({"run", scenario}, dir);
  std::vector<pid_t> buyers = wait_for_children(running.pid, 6);
  REQUIRE(buyers.size() == 6);
  usleep(200'000);
  // ticketsim's first: sent after the buyers', it could come after the run
  // had seen every buyer end and finished (on a loaded machine it did),
  // when a SIGTERM rightly takes its default course. Sent first, it is
  // still pending among the buyers' SIGCHLDs, which is what this tests.
  kill(running.pid, SIGTERM);
  for (pid_t buyer : buyers) kill(buyer, SIGTERM);
  Outcome run = finish(running);
  CHECK(run.status == 130);
  CHECK(contains(run.out, "interrupted by SIGTERM"));
  CHECK(shm_names_of(running.pid).empty());
}

TEST_CASE("--store: a new file is made and kept; nothing existing is overwritten without --reset") {
  TempDir dir;
  std::string scenario = dir.file("s.toml", kGoodScenario);  // named-mutex, 5 tickets
  std::string store = (dir.path / "mine.json").string();

  Outcome made = run_ticketsim({"run", scenario, "--store", store});
  CHECK(made.status == 0);
  CHECK(slurp(store) == "{\"count\": 0}");
  struct stat st {};
  REQUIRE(stat(store.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  struct Case {
    std::string name;
    std::string content;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {"valid.json", "{\"count\": 3}", "already a named-mutex store with 3 tickets left"},
           {"garbage.json", "garbage", "not a named-mutex store"},
           {"empty.json", "", "not a named-mutex store"},
           {"schema.json", "{\"tickets\": 3}", "not a named-mutex store"},
       }) {
    CAPTURE(c.name);
    std::string path = dir.file(c.name, c.content);
    Outcome refused = run_ticketsim({"run", scenario, "--store", path});
    CHECK(refused.status == 2);
    CHECK(refused.err_lines() == 1);
    CHECK(contains(refused.err, c.message));
    CHECK(contains(refused.err, "pass --reset"));
    CHECK(slurp(path) == c.content);  // untouched

    Outcome reset = run_ticketsim({"run", scenario, "--store", path, "--reset"});
    CHECK(reset.status == 0);
    CHECK(slurp(path) == "{\"count\": 0}");
  }

  Outcome directory = run_ticketsim({"run", scenario, "--store", dir.path.string(), "--reset"});
  CHECK(directory.status == 2);
  CHECK(contains(directory.err, "is a directory"));

  // A link is never written through, and --reset replaces the link, not its target.
  std::string target = dir.file("target.json", "precious");
  std::string link = (dir.path / "link.json").string();
  REQUIRE(symlink(target.c_str(), link.c_str()) == 0);
  Outcome linked = run_ticketsim({"run", scenario, "--store", link});
  CHECK(linked.status == 2);
  CHECK(contains(linked.err, "symbolic link"));
  CHECK(run_ticketsim({"run", scenario, "--store", link, "--reset"}).status == 0);
  CHECK(slurp(target) == "precious");
  CHECK_FALSE(std::filesystem::is_symlink(link));

  // SQLite: its own file refused, then replaced; a JSON file is not a database.
  std::string database = (dir.path / "mine.db").string();
  CHECK(run_ticketsim({"run", scenario, "--strategy", "sqlite", "--store", database}).status == 0);
  Outcome again = run_ticketsim({"run", scenario, "--strategy", "sqlite", "--store", database});
  CHECK(again.status == 2);
  CHECK(contains(again.err, "already a sqlite store with 0 tickets left"));
  Outcome not_database = run_ticketsim({"run", scenario, "--strategy", "sqlite", "--store", store});
  CHECK(not_database.status == 2);
  CHECK(contains(not_database.err, "not a sqlite store"));
  CHECK(slurp(store) == "{\"count\": 0}");
}

TEST_CASE("a result that cannot be written after the run: the report is printed, then exit 4 with the reason") {
  TempDir dir;
  std::string scenario = dir.file("s.toml", kGoodScenario);
  std::filesystem::create_directory(dir.path / "full");
  std::string json = (dir.path / "full" / "r.json").string();
  std::string out_path = (dir.path / "out").string();
  std::string err_path = (dir.path / "err").string();
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // A directory of this process's own with room for one small file: the
    // path passes the checks made before the run (its temporary file can be
    // made), the result does not fit.
    if (unshare(CLONE_NEWNS) != 0 || mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        mount("ticketsim-test", (dir.path / "full").c_str(), "tmpfs", 0, "size=4k,nr_inodes=2") != 0) {
      _exit(77);
    }
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(out, 1);
    dup2(err, 2);
    execl(kTicketsim.c_str(), kTicketsim.c_str(), "run", scenario.c_str(), "--buyers", "40", "--json", json.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 77) {
    REQUIRE_MESSAGE(std::getenv("CI") == nullptr, "CI runs as root: the mount must work there");
    MESSAGE("cannot mount a tmpfs of its own here (needs root): skipped");
    return;
  }
  CHECK(WEXITSTATUS(status) == 4);
  CHECK(contains(slurp(out_path), "verdict     valid"));
  std::string err = slurp(err_path);
  CHECK(contains(err, json + ": cannot write the result: No space left on device"));
  CHECK(std::count(err.begin(), err.end(), '\n') == 1);
  CHECK_FALSE(std::filesystem::exists(json));
}

TEST_CASE("a full /dev/shm is a clear one-line error, and nothing is left") {
  TempDir dir;
  std::string scenario = dir.file("s.toml", kGoodScenario);
  std::string err_path = (dir.path / "err").string();
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // A /dev/shm of this process's own, with room for nothing.
    if (unshare(CLONE_NEWNS) != 0 || mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        mount("ticketsim-test", "/dev/shm", "tmpfs", 0, "size=4k,nr_inodes=1") != 0) {
      _exit(77);
    }
    int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(err, 2);
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    for (const char* strategy : {"named-mutex", "robust-mutex", "queue"}) {
      pid_t run = fork();
      if (run == 0) {
        execl(kTicketsim.c_str(), kTicketsim.c_str(), "run", scenario.c_str(), "--strategy", strategy,
              static_cast<char*>(nullptr));
        _exit(127);
      }
      int status = 0;
      waitpid(run, &status, 0);
      // The queue's reply queues, a page per buyer, are refused before the
      // run (exit 2); the locks' few bytes fail when they are made (exit 3).
      int expected = std::string_view(strategy) == "queue" ? 2 : 3;
      if (!WIFEXITED(status) || WEXITSTATUS(status) != expected) _exit(1);
    }
    _exit(0);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 77) {
    MESSAGE("cannot mount a /dev/shm of its own here (needs root): skipped");
    return;
  }
  CHECK(WEXITSTATUS(status) == 0);  // each run failed as expected
  std::string err = slurp(err_path);
  CAPTURE(err);
  std::size_t lines = 0;
  for (char c : err) lines += c == '\n';
  CHECK(lines == 3);
  CHECK(contains(err, "named mutex"));
  CHECK(contains(err, "shared memory"));
  CHECK(contains(err, "message queues"));
  CHECK(contains(err, "/dev/shm is full"));
}

TEST_CASE("SIGINT while the buyers are still being forked: the report covers those started") {
  TempDir dir;
  std::string scenario = dir.file("many.toml", "strategy = \"plain\"\ntickets = 10\nbuyers = 3000\n"
                                               "[delays]\npurchase = \"1s\"\n");
  std::string json = (dir.path / "result.json").string();
  Running running = start_ticketsim({"run", scenario, "--json", json}, dir);
  // Forking 3,000 buyers takes hundreds of milliseconds: stop it at 50.
  REQUIRE(wait_for_children(running.pid, 50).size() >= 50);
  kill(running.pid, SIGINT);
  Outcome run = finish(running);
  CHECK(run.status == 130);
  nlohmann::json result = nlohmann::json::parse(slurp(json));
  CHECK(result["verdict"] == "interrupted");
  CHECK(result["buyers"].size() >= 50);
  CHECK(result["buyers"].size() < 3000);
  for (const auto& buyer : result["buyers"]) CHECK(buyer["pid"].get<int>() > 0);
  CHECK(result["anomalies"]["unfinished_buyers"] == 0);  // ended by the runner, on purpose
}

TEST_CASE("--log writes one CSV row per operation") {
  TempDir dir;
  std::string scenario = dir.file("s.toml", kGoodScenario);  // 3 buyers x 3 attempts, 5 tickets
  std::string log = (dir.path / "ops.csv").string();
  std::string json = (dir.path / "result.json").string();
  Outcome run = run_ticketsim({"run", scenario, "--log", log, "--json", json});
  REQUIRE(run.status == 0);
  nlohmann::json result = nlohmann::json::parse(slurp(json));
  std::istringstream lines(slurp(log));
  std::string line;
  REQUIRE(std::getline(lines, line));
  CHECK(line == "buyer,pid,operation,start_us,latency_us,tries,outcome,ticket,count");
  int searches = 0, buys = 0, sold = 0;
  std::set<std::string> tickets;
  while (std::getline(lines, line)) {
    std::vector<std::string> fields;
    std::istringstream cells(line);
    for (std::string cell; std::getline(cells, cell, ',');) fields.push_back(cell);
    if (line.back() == ',') fields.push_back("");
    REQUIRE(fields.size() == 9);
    if (fields[2] == "search") ++searches;
    if (fields[2] == "search") CHECK(!fields[8].empty());  // the count it read
    if (fields[2] == "buy") ++buys;
    if (fields[6] == "sold") {
      ++sold;
      tickets.insert(fields[7]);
    }
    CHECK(std::stod(fields[4]) >= 0);
  }
  CHECK(searches == result["searches"]);
  CHECK(buys == result["attempts"]);
  CHECK(sold == 5);
  CHECK(tickets == std::set<std::string>{"1", "2", "3", "4", "5"});
  CHECK(run_ticketsim({"run", scenario, "--log", "/nonexistent/ops.csv"}).status == 2);
}

// ---------------------------------------------------------------------------
// compare, --export, report and -P.

namespace {

// Two strategies x two buyer counts x two runs, a few tickets each.
const char* kMatrixScenario = R"(name = "matrix"
strategies = ["named-mutex", "sqlite"]
buyers = [1, 3]
runs = 2
tickets = 30
attempts = "until-sold-out"
seed = 5
)";

}  // namespace

TEST_CASE("compare runs every cell, round the matrix, and writes each export its extension names") {
  TempDir dir;
  std::string scenario = dir.file("matrix.toml", kMatrixScenario);
  std::string base = (dir.path / "out").string();
  Outcome run = run_ticketsim({"compare", scenario, "--export", base + ".json", "--export", base + ".csv", "--export",
                           base + ".md", "--export", base + ".html"});
  CAPTURE(run.out);
  CAPTURE(run.err);
  REQUIRE(run.status == 0);
  // One line per run on stderr, numbered.
  CHECK(count_of(run.err, "/8] ") == 8);
  CHECK(contains(run.out, "matrix: 2 strategies x 2 buyer counts x 2 runs"));
  CHECK(contains(run.out, "summary"));
  CHECK(contains(run.out, "sold fastest"));

  nlohmann::json json = nlohmann::json::parse(slurp(base + ".json"));
  CHECK(json["schema_version"] == 2);
  CHECK(json["kind"] == "ticketsim-comparison");
  CHECK(json["matrix"]["strategies"] == nlohmann::json({"named-mutex", "sqlite"}));
  CHECK(json["matrix"]["buyers"] == nlohmann::json({1, 3}));
  CHECK(json["context"]["scenario_sha256"].get<std::string>().size() == 64);
  CHECK(contains(json["context"]["command_line"].get<std::string>(), " compare "));
  REQUIRE(json["runs"].size() == 8);
  // Round the matrix: every cell once, then every cell again, with the
  // second run's seed one more.
  const nlohmann::json& runs = json["runs"];
  std::vector<std::pair<std::string, int>> order;
  for (int i = 0; i < 4; ++i) order.emplace_back(runs[i]["strategy"], runs[i]["buyer_count"]);
  CHECK(order == std::vector<std::pair<std::string, int>>{{"named-mutex", 1}, {"named-mutex", 3}, {"sqlite", 1}, {"sqlite", 3}});
  for (int i = 0; i < 8; ++i) {
    CAPTURE(i);
    CHECK(runs[i]["cell"]["run"] == (i < 4 ? 1 : 2));
    CHECK(runs[i]["seed"] == (i < 4 ? 5 : 6));
    CHECK(runs[i]["verdict"] == "valid");
    CHECK(runs[i]["sold"] == 30);
    CHECK(contains(runs[i]["repeat_command"].get<std::string>(), " run " + scenario + " --strategy "));
  }
  REQUIRE(json["cells"].size() == 4);
  for (const auto& cell : json["cells"]) {
    CHECK(cell["runs"] == 2);
    CHECK(cell["verdicts"]["valid"] == 2);
    CHECK(cell["sales_per_s"]["median"].get<double>() > 0);
  }

  std::vector<std::string> csv = lines_of(slurp(base + ".csv"));
  REQUIRE(csv.size() == 9);
  CHECK(csv[0].rfind("strategy,buyers,run,seed,verdict,", 0) == 0);
  std::string md = slurp(base + ".md");
  CHECK(contains(md, "| Strategy | Buyers | Sales/s (median) | ± stddev | CV | Relative | p99 buy | Retried/failed | Correct runs |"));
  CHECK(count_of(md, "| 2 of 2 |") == 4);
  std::string html = slurp(base + ".html");
  for (std::string id : {"sales-per-second", "p99-latency", "anomalies", "inventory", "latency-distribution"}) {
    CHECK(contains(html, "id=\"" + id + "\""));
  }
}

TEST_CASE("run --export writes one run in every format, and report renders it again byte for byte") {
  TempDir dir;
  std::string scenario = dir.file("small.toml", kGoodScenario);
  std::string base = (dir.path / "one").string();
  Outcome run = run_ticketsim({"run", scenario, "--export", base + ".json", "--export", base + ".md", "--export",
                           base + ".csv", "--export", base + ".html", "--json", base + "-result.json"});
  REQUIRE(run.status == 0);
  CHECK(contains(run.out, "SQLite"));  // the context, after the report
  nlohmann::json json = nlohmann::json::parse(slurp(base + ".json"));
  REQUIRE(json["runs"].size() == 1);
  CHECK(json["runs"][0]["repeat_command"] == json["context"]["command_line"]);
  CHECK(lines_of(slurp(base + ".csv")).size() == 2);
  nlohmann::json result = nlohmann::json::parse(slurp(base + "-result.json"));
  CHECK(result["context"]["seed"] == result["seed"]);
  CHECK_FALSE(result["context"]["store_filesystem"].get<std::string>().empty());

  for (std::string extension : {".md", ".csv", ".html"}) {
    CAPTURE(extension);
    std::string again = (dir.path / ("again" + extension)).string();
    Outcome report = run_ticketsim({"report", base + ".json", "--export", again});
    REQUIRE(report.status == 0);
    CHECK(slurp(again) == slurp(base + extension));
  }
  // A single run's --json result is a report's input too.
  std::string from_result = (dir.path / "from-result.md").string();
  Outcome report = run_ticketsim({"report", base + "-result.json", "--export", from_result});
  REQUIRE(report.status == 0);
  CHECK(contains(slurp(from_result), "| named-mutex | 3 |"));
}

TEST_CASE("report on a run's --json result prints the run's report as run printed it, byte for byte") {
  TempDir dir;
  // A valid run, the seed's oversell (anomalies and their examples), and a
  // stuck one (its reason, a fault, killed buyers).
  std::vector<std::vector<std::string>> runs = {
      {"run", dir.file("small.toml", kGoodScenario)},
      {"run", kScenarios + "/seed.toml"},
      {"run", kScenarios + "/crash-named-mutex.toml"},
  };
  for (std::size_t i = 0; i < runs.size(); ++i) {
    CAPTURE(runs[i][1]);
    std::string json = (dir.path / ("result-" + std::to_string(i) + ".json")).string();
    std::vector<std::string> args = runs[i];
    args.insert(args.end(), {"--json", json});
    Outcome run = run_ticketsim(args);
    REQUIRE((run.status == 0 || run.status == 1));
    Outcome report = run_ticketsim({"report", json});
    CAPTURE(report.err);
    REQUIRE(report.status == 0);
    CHECK(report.out == run.out);
    CHECK(contains(report.out, "verdict     "));
    CHECK(contains(report.out, "latency "));
    CHECK(contains(report.out, "buyers      "));
    CHECK_FALSE(contains(report.out, "summary"));  // not a one-row comparison table
  }
  // The stuck run's reason and the oversell's examples came through.
  CHECK(contains(run_ticketsim({"report", (dir.path / "result-2.json").string()}).out, "  stuck after "));
  CHECK(contains(run_ticketsim({"report", (dir.path / "result-1.json").string()}).out, "both sold ticket #1"));
}

TEST_CASE("compare, report and --export refuse bad input in one line with exit 2") {
  TempDir dir;
  std::string scenario = dir.file("matrix.toml", kMatrixScenario);
  std::string small = dir.file("small.toml", kGoodScenario);
  refused_with({"run", small, "--export", (dir.path / "x.txt").string()}, "x.txt: unknown export format '.txt'; use .json, .csv, .md or .html");
  refused_with({"compare", small, "--export", "/nonexistent/x.md"}, "/nonexistent/x.md: cannot write the export");
  refused_with({"compare", small, "--strategies", "sqlite,bogus"}, "--strategies: unknown strategy 'bogus'");
  refused_with({"compare", small, "--buyers", "1,0"}, "--buyers: must be from 1 to");
  refused_with({"compare", small, "--runs", "0"}, "--runs: must be from 1 to 1000 (got 0)");
  refused_with({"run", scenario}, "matrix.toml: holds a comparison matrix (2 strategies, 2 buyer counts); run it with 'ticketsim compare'");
  refused_with({"run", small, "-P", "0"}, "--progress: Value 0 not in range");
  std::string missing = (dir.path / "missing.json").string();
  refused_with({"report", missing}, missing + ": cannot read the result");
  std::string garbage = dir.file("garbage.json", "{\n  \"kind\": \n");
  refused_with({"report", garbage}, garbage + ": not JSON: ");
  std::string other = dir.file("other.json", "{\"kind\": \"something-else\", \"schema_version\": 1}");
  refused_with({"report", other}, other + ": key 'kind' is 'something-else'");
  std::string no_runs = dir.file("no-runs.json", R"({"kind": "ticketsim-comparison", "schema_version": 2, "context": {},
    "scenario": {"name": "x", "file": "x.toml"}, "matrix": {"strategies": ["sqlite"], "buyers": [1], "runs": 1, "warmup": 0}})");
  refused_with({"report", no_runs}, no_runs + ": missing key 'runs'");
  // Exporting over the file being read would lose it.
  std::string keep = dir.file("keep.json", "{}");
  Outcome self = run_ticketsim({"report", keep, "--export", keep});
  CHECK(self.status == 2);
  CHECK(contains(self.err, "is the result being read"));
  CHECK(slurp(keep) == "{}");
  // A matrix scenario runs one cell when both are picked.
  CHECK(run_ticketsim({"run", scenario, "--strategy", "sqlite", "--buyers", "2"}).status == 0);
}

TEST_CASE("-P prints progress lines read from the shared history") {
  TempDir dir;
  // Eight buyers queue for a lock held 40 ms per sale: 40 sales take 1.6 s.
  std::string scenario = dir.file("slow.toml", "strategy = \"named-mutex\"\ntickets = 40\nbuyers = 8\n"
                                               "attempts = \"until-sold-out\"\n[delays]\npurchase = \"40ms\"\n");
  Outcome run = run_ticketsim({"run", scenario, "-P", "0.2"});
  CAPTURE(run.err);
  REQUIRE(run.status == 0);
  std::vector<std::string> progress;
  for (const std::string& line : lines_of(run.err)) {
    if (line.rfind("progress: ", 0) == 0) progress.push_back(line);
  }
  // Not a timing assertion: at 0.2 s a line, a 1.6 s run prints several.
  REQUIRE(progress.size() >= 3);
  double last_elapsed = 0;
  std::int64_t last_sold = 0;
  for (const std::string& line : progress) {
    CAPTURE(line);
    double elapsed = 0;
    long long sold = 0, tickets = 0, anomalies = 0;
    char unit[8] = {};
    // "progress: 1.2 s, 24.9 sales/s, p99 40.2ms, sold 30/40, 0 anomalies"
    std::size_t p99 = line.find(", p99 ");
    REQUIRE(p99 != std::string::npos);
    REQUIRE(std::sscanf(line.c_str(), "progress: %lf s,", &elapsed) == 1);
    REQUIRE(std::sscanf(line.c_str() + line.find(", sold ") , ", sold %lld/%lld, %lld anomal%7s", &sold, &tickets, &anomalies, unit) == 4);
    CHECK(elapsed > last_elapsed);
    CHECK(sold >= last_sold);
    CHECK(sold <= 40);
    CHECK(tickets == 40);
    CHECK(anomalies == 0);
    last_elapsed = elapsed;
    last_sold = sold;
  }
  CHECK(last_sold > 0);
}

TEST_CASE("plain oversells under compare too: progress counts the anomalies and the summary names them") {
  TempDir dir;
  // Two buyers read the same count and hold it 300 ms: both sell ticket 1.
  std::string scenario = dir.file("race.toml", "strategies = [\"plain\", \"named-mutex\"]\ntickets = 4\nbuyers = 2\n"
                                               "attempts = 2\nruns = 1\n[delays]\npurchase = \"300ms\"\n");
  std::string json = (dir.path / "out.json").string();
  Outcome run = run_ticketsim({"compare", scenario, "-P", "0.1", "--export", json});
  CAPTURE(run.out);
  CAPTURE(run.err);
  REQUIRE(run.status == 0);
  // A matrix file with no [expect]: each strategy is expected what it
  // guarantees, so plain's oversell is as expected.
  nlohmann::json exported = nlohmann::json::parse(slurp(json));
  for (const nlohmann::json& result : exported["runs"]) {
    bool racy = result["strategy"] == "plain";
    CHECK(result["expected_verdict"] == (racy ? "invalid" : "valid"));
    CHECK(result["expected_from"] == "the strategy " + result["strategy"].get<std::string>());
    CHECK(result["scenario_expected_verdict"].is_null());
    CHECK(result["as_expected"] == true);
  }
  CHECK(contains(run.out, "plain was invalid in 1 of 1 run: oversold in 1") == false);  // 4 tickets, 4 sales at most
  CHECK(contains(run.out, "plain was invalid in 1 of 1 run: duplicate tickets in 1"));
  CHECK(contains(run.out, "at 2 buyers, named-mutex sold fastest"));
  CHECK(contains(run.out, "the only strategy correct in every run"));
  // The live count saw the tickets sold twice before the checker did.
  bool counted = false;
  for (const std::string& line : lines_of(run.err)) {
    if (contains(line, "plain") && contains(line, "progress: ") && !contains(line, ", 0 anomalies")) counted = true;
  }
  CHECK(counted);
}

TEST_CASE("SIGINT during compare: the run it cut is left out, the exports keep the others, nothing is left") {
  TempDir dir;
  // Each run: 3 buyers, a lock held 150 ms per sale, 6 sales: about 1 s.
  std::string scenario = dir.file("long.toml", "strategies = [\"named-mutex\", \"robust-mutex\"]\ntickets = 6\n"
                                               "buyers = 3\nattempts = 2\nruns = 3\n[delays]\npurchase = \"150ms\"\n");
  std::string json = (dir.path / "partial.json").string();
  Running running = start_ticketsim({"compare", scenario, "--export", json}, dir);
  // Wait for the first run to be reported, then interrupt the second.
  for (int i = 0; i < 1000 && !contains(slurp(running.err_path), "[1/6]"); ++i) usleep(10'000);
  REQUIRE(contains(slurp(running.err_path), "[1/6]"));
  usleep(300'000);
  REQUIRE(kill(running.pid, SIGINT) == 0);
  Outcome run = finish(running);
  CAPTURE(run.err);
  CHECK(run.status == 130);
  CHECK(contains(run.out, "interrupted by SIGINT after"));
  CHECK(shm_names_of(running.pid).empty());
  nlohmann::json result = nlohmann::json::parse(slurp(json));
  CHECK(result["interrupted_by"] == "SIGINT");
  REQUIRE(result["runs"].size() >= 1);
  CHECK(result["runs"].size() < 6);
  for (const auto& one : result["runs"]) CHECK(one["verdict"] == "valid");
}

TEST_CASE("the shipped comparison runs its whole matrix and writes all four exports") {
  TempDir dir;
  std::string file = kScenarios + "/compare-locks.toml";
  Outcome valid = run_ticketsim({"validate", file});
  CHECK(valid.status == 0);
  CHECK(contains(valid.out, "ok (compare: 6 strategies x 4 buyer counts x 3 runs"));
  std::string base = (dir.path / "compare").string();
  // On tmpfs, as a user comparing the locks alone would: the run takes a
  // fifth of the time it takes on ext4.
  Outcome run = run_ticketsim({"compare", file, "--store-dir", "/dev/shm", "--export", base + ".json", "--export",
                           base + ".csv", "--export", base + ".md", "--export", base + ".html"});
  CAPTURE(run.err);
  REQUIRE(run.status == 0);
  nlohmann::json json = nlohmann::json::parse(slurp(base + ".json"));
  CHECK(json["context"]["store_filesystem"] == "tmpfs");
  CHECK(json["matrix"]["strategies"].size() >= 4);
  CHECK(json["matrix"]["buyers"].size() >= 4);
  CHECK(json["matrix"]["runs"] >= 3);
  REQUIRE(json["runs"].size() == 72);
  for (const auto& one : json["runs"]) {
    CAPTURE(one["strategy"]);
    // plain may sell too many, or too few (its torn reads use up the
    // buyers' tickets + 1 attempts); every lock sells exactly the tickets.
    if (one["strategy"] != "plain") {
      CHECK(one["verdict"] == "valid");
      CHECK(one["sold"] == 5000);
    }
    CHECK_FALSE(one["inventory"].empty());  // the monitor ran
  }
  CHECK(lines_of(slurp(base + ".csv")).size() == 73);
  CHECK(count_of(slurp(base + ".md"), "\n| ") == 24 + 1);  // the header and a row per cell
  CHECK(contains(slurp(base + ".html"), "<figure class=\"chart\" id=\"inventory\"><figcaption>Tickets left over time at 8 buyers"));
}

TEST_CASE("two outputs naming the same file are refused before the run, naming both flags") {
  TempDir dir;
  std::string scenario = dir.file("s.toml", kGoodScenario);
  std::string st = (dir.path / "st.json").string();
  std::string a = (dir.path / "a.json").string();
  // The same file by another spelling: ./, a .. and a link.
  std::filesystem::create_directory(dir.path / "sub");
  std::string a_again = (dir.path / "sub" / ".." / "a.json").string();
  std::string existing = dir.file("existing.md", "keep");
  std::filesystem::create_symlink(existing, dir.path / "link.md");
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {{"run", scenario, "--store", st, "--json", st}, "named by both --store and --json"},
           {{"run", scenario, "--json", a, "--export", a_again}, "named by both --json and --export"},
           {{"run", scenario, "--log", scenario}, "named by both the scenario and --log"},
           {{"run", scenario, "--export", (dir.path / "s.toml").string()}, "unknown export format"},
           {{"run", scenario, "--export", existing, "--export", (dir.path / "link.md").string()},
            "named twice by --export"},
           {{"compare", scenario, "--export", a, "--export", a}, "named twice by --export"},
           {{"run", scenario, "--json", a, "--log", a}, "named by both --json and --log"},
       }) {
    CAPTURE(c.args);
    Outcome outcome = run_ticketsim(c.args);
    CAPTURE(outcome.err);
    CHECK(outcome.status == 2);
    CHECK(outcome.err_lines() == 1);
    CHECK(contains(outcome.err, c.message));
    CHECK(outcome.out.empty());
  }
  CHECK_FALSE(std::filesystem::exists(st));
  CHECK_FALSE(std::filesystem::exists(a));
  CHECK(slurp(existing) == "keep");
  CHECK(slurp(scenario) == kGoodScenario);
}

TEST_CASE("output paths are checked before the run, with the system's reason") {
  TempDir dir;
  std::string scenario = dir.file("s.toml", kGoodScenario);
  // /proc takes no new file: found before the run, not after it.
  Outcome proc = run_ticketsim({"run", scenario, "--json", "/proc/x"});
  CHECK(proc.status == 2);
  CHECK(proc.out.empty());
  CHECK(proc.err_lines() == 1);
  CHECK(contains(proc.err, "/proc/x: cannot write the result: "));
  CHECK_FALSE(contains(proc.err, "the result: \n"));
  Outcome log = run_ticketsim({"run", scenario, "--log", "/nonexistent/x.csv"});
  CHECK(log.status == 2);
  CHECK(contains(log.err, "/nonexistent/x.csv: cannot write the log: /nonexistent is not a directory"));
  Outcome exported = run_ticketsim({"run", scenario, "--export", "/proc/x.md"});
  CHECK(exported.status == 2);
  CHECK(contains(exported.err, "/proc/x.md: cannot write the export: "));
  // Nothing is left by the checks.
  CHECK(std::filesystem::directory_iterator(dir.path) != std::filesystem::directory_iterator());
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path)) ++files;
  CHECK(files == 1);
}

TEST_CASE("flags that would be ignored or changed silently are refused, or honoured") {
  TempDir dir;
  std::string scenario = dir.file("s.toml", kGoodScenario);
  refused_with({"run", scenario, "--reset"}, "--reset: replaces what is at --store FILE, and there is no --store");
  refused_with({"run", scenario, "--store", (dir.path / "st.json").string(), "--store-dir", dir.path.string()},
          "--store and --store-dir: the store is --store FILE, so --store-dir would be ignored");
  // Refused as the TOML key is, not clamped to INT64_MAX.
  refused_with({"run", scenario, "--seed", "99999999999999999999"},
          "--seed: must be from 0 to 9223372036854775807 (got 99999999999999999999)");
  refused_with({"compare", scenario, "--seed", "99999999999999999999"}, "--seed: must be from 0 to");
  refused_with({"run", scenario, "--seed", "-1"}, "--seed: must be 0 or more (got -1)");
  refused_with({"run", scenario, "--store-dir", "/nonexistent"}, "--store-dir: /nonexistent: no such directory");
  refused_with({"compare", scenario, "--store-dir", scenario}, "not a directory");
  refused_with({"bench", "--export", (dir.path / "b.pdf").string()}, "unknown export format '.pdf'");
  // Extensions are case-insensitive, for run's exports and bench's.
  std::string upper = (dir.path / "R.HTML").string();
  Outcome html = run_ticketsim({"run", scenario, "--export", upper});
  CHECK(html.status == 0);
  CHECK(contains(slurp(upper), "<html"));
  std::string md = (dir.path / "B.MD").string();
  Outcome bench = run_ticketsim({"bench", "--strategies", "sqlite", "--buyers", "1", "--seconds", "0.01",
                                 "--spawn-buyers", "2", "--no-peer", "--store-dir", dir.path.string(), "--export", md});
  CHECK(bench.status == 0);
  CHECK(contains(slurp(md), "|"));
}

namespace {

// A pid that was a process and is no longer one.
pid_t dead_pid() {
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) _exit(0);
  REQUIRE(waitpid(pid, nullptr, 0) == pid);
  return pid;
}

// What ticketsim left named for `pid` in /dev/shm and the run directories' parent.
std::vector<std::string> leftovers_of(pid_t pid) {
  std::vector<std::string> found;
  std::string mark = "ticketsim-" + std::to_string(pid) + "-";
  for (std::filesystem::path parent : {std::filesystem::path("/dev/shm"), std::filesystem::path(env_or("TMPDIR", "/tmp"))}) {
    for (const auto& entry : std::filesystem::directory_iterator(parent)) {
      std::string name = entry.path().filename().string();
      if (name.starts_with(mark) || name.starts_with("sem." + mark)) found.push_back(entry.path().string());
    }
  }
  return found;
}

}  // namespace

TEST_CASE("ticketsim clean lists and removes what a killed run left, and nothing else") {
  TempDir dir;
  std::string scenario = dir.file("long.toml", "strategy = \"named-mutex\"\ntickets = 8\nbuyers = 4\n"
                                               "[delays]\npurchase = \"2s\"\n");
  Running running = start_ticketsim({"run", scenario}, dir);
  for (int i = 0; i < 500 && leftovers_of(running.pid).size() < 2; ++i) usleep(10'000);
  REQUIRE(kill(running.pid, SIGKILL) == 0);
  finish(running);
  std::vector<std::string> left = leftovers_of(running.pid);
  CAPTURE(left);
  REQUIRE(left.size() == 2);  // the run directory and the named mutex

  // Decoys: a live owner's (this test's), another program's, a file where a
  // directory would be.
  pid_t dead = dead_pid();
  std::filesystem::path parent = env_or("TMPDIR", "/tmp");
  std::filesystem::path live = parent / ("ticketsim-" + std::to_string(getpid()) + "-abcdef");
  std::filesystem::path other = parent / "ticketsim-notmine";
  std::filesystem::path file = parent / ("ticketsim-" + std::to_string(dead) + "-abcdef");
  std::filesystem::path shm_other = "/dev/shm/ticketsim-other-name";
  std::filesystem::create_directory(live);
  std::filesystem::create_directory(other);
  std::ofstream(file) << "not a directory";
  std::ofstream(shm_other) << "x";

  Outcome dry = run_ticketsim({"clean", "--dry-run"});
  CHECK(dry.status == 0);
  for (const std::string& path : left) CHECK(contains(dry.out, path));
  CHECK(leftovers_of(running.pid) == left);
  Outcome clean = run_ticketsim({"clean"});
  CHECK(clean.status == 0);
  CHECK(contains(clean.out, "removed "));
  CHECK(leftovers_of(running.pid).empty());
  CHECK(std::filesystem::exists(live));
  CHECK(std::filesystem::exists(other));
  CHECK(std::filesystem::exists(file));
  CHECK(std::filesystem::exists(shm_other));
  std::filesystem::remove(live);
  std::filesystem::remove(other);
  std::filesystem::remove(file);
  std::filesystem::remove(shm_other);

  // A run sweeps them at its start too.
  pid_t gone = dead_pid();
  std::filesystem::path stale_dir = parent / ("ticketsim-" + std::to_string(gone) + "-Zz09aB");
  std::filesystem::path stale_shm = "/dev/shm/sem.ticketsim-" + std::to_string(gone) + "-0123abcd";
  std::filesystem::create_directory(stale_dir);
  std::ofstream(stale_dir / "store.json") << "{}";
  std::ofstream(stale_shm) << "x";
  Outcome run = run_ticketsim({"run", dir.file("s.toml", kGoodScenario)});
  CHECK(run.status == 0);
  CHECK(run.err.empty());
  CHECK_FALSE(std::filesystem::exists(stale_dir));
  CHECK_FALSE(std::filesystem::exists(stale_shm));
}

TEST_CASE("the bare command, help and version say what there is") {
  std::vector<std::string> commands = {"run", "compare", "report", "validate", "strategies", "init", "bench", "clean"};
  Outcome bare = run_ticketsim({});
  CHECK(bare.status == 2);
  CHECK(bare.out.empty());
  for (const std::string& command : commands) CHECK(contains(bare.err, "\n  " + command + " "));
  CHECK(contains(bare.err, "ticketsim COMMAND --help"));
  CHECK_FALSE(contains(bare.err, "A subcommand is required"));
  for (std::vector<std::string> args : {std::vector<std::string>{"help"}, {"--help"}, {"-h"}}) {
    CAPTURE(args);
    Outcome help = run_ticketsim(args);
    CHECK(help.status == 0);
    for (const std::string& command : commands) CHECK(contains(help.out, "\n  " + command + " "));
    CHECK(contains(help.out, "ticketsim COMMAND --help"));
  }
  Outcome help_run = run_ticketsim({"help", "run"});
  CHECK(help_run.status == 0);
  CHECK(contains(help_run.out, "--strategy"));
  CHECK(run_ticketsim({"help", "nonsense"}).status == 2);
  for (std::vector<std::string> args : {std::vector<std::string>{"version"}, {"--version"}, {"-V"}}) {
    CAPTURE(args);
    Outcome version = run_ticketsim(args);
    CHECK(version.status == 0);
    CHECK(version.out.starts_with("ticketsim " TICKETSIM_VERSION "\n"));
    CHECK(contains(version.out, "build: "));
    CHECK(contains(version.out, "SQLite "));
    CHECK(contains(version.out, "Boost "));
    CHECK(version.err.empty());
  }
}

TEST_CASE("parse errors name the user's words and what to type instead") {
  TempDir dir;
  std::string scenario = dir.file("s.toml", kGoodScenario);
  refused_with({"validate"}, "ticketsim: validate: give at least one scenario file");
  refused_with({"run"}, "ticketsim: run: give a scenario file: ticketsim run SCENARIO.toml");
  refused_with({"report"}, "ticketsim: report: give a result file");
  refused_with({"compare", scenario, "--strategy", "sqlite"}, "compare: unknown option --strategy (did you mean --strategies?)");
  refused_with({"run", scenario, "--strategies", "sqlite"}, "run: unknown option --strategies (did you mean --strategy?)");
  refused_with({"compare", scenario, "--buyers", "1", "x"},
       "compare: --buyers: 'x' is not a number; a list is one word, comma-separated: --buyers 1,2");
  refused_with({"compare", "--buyers", "1", "2", "three", scenario}, "a list is one word, comma-separated: --buyers 1,2");
  refused_with({"run", scenario, "--buyers", "many"}, "run: --buyers: 'many' is not a number");
  refused_with({"strategy"}, "unknown command 'strategy' (did you mean strategies?)");
}

TEST_CASE("strategies lists each one's guarantee and needs; init writes a scenario that validates") {
  Outcome list = run_ticketsim({"strategies"});
  REQUIRE(list.status == 0);
  std::istringstream lines(list.out);
  std::string heading;
  std::getline(lines, heading);
  CHECK(heading.starts_with("strategy"));
  std::size_t guarantee_column = heading.find("guarantee");
  std::size_t needs_column = heading.find("needs");
  REQUIRE(guarantee_column != std::string::npos);
  REQUIRE(needs_column != std::string::npos);
  std::size_t rows = 0;
  for (std::string line; std::getline(lines, line); ++rows) {
    CAPTURE(line);
    const ticketsim::StrategyInfo& info = ticketsim::strategies()[rows];
    CHECK(line.starts_with(std::string(info.name) + " "));
    // Padded to the longest name: every column starts at the same place.
    CHECK(line.substr(guarantee_column).starts_with(info.expected_correct() ? "correct" : "none"));
    CHECK(line[needs_column - 1] == ' ');
    CHECK(contains(line, std::string(info.summary)));
    if (info.server) CHECK(contains(line, std::string(server_kind_name(info.server_kind)) + " server"));
    if (info.has_seller) CHECK(contains(line, "seller process"));
  }
  CHECK(rows == ticketsim::strategies().size());

  TempDir dir;
  std::string path = (dir.path / "new.toml").string();
  Outcome init = run_ticketsim({"init", path});
  CHECK(init.status == 0);
  std::string text = slurp(path);
  for (const char* key : {"name", "description", "strategy", "tickets", "buyers", "attempts", "mode", "seed",
                          "lock_timeout", "monitor_interval", "strategies", "runs", "warmup", "[delays]", "search",
                          "purchase", "jitter", "[store]", "json_write", "journal_mode", "synchronous",
                          "[postgres]", "conninfo", "isolation", "max_tries", "synchronous_commit", "fsync",
                          "full_page_writes", "[[faults]]", "action", "target", "point", "count", "attempt",
                          "duration", "[expect]", "verdict"}) {
    CAPTURE(key);
    CHECK(contains(text, key));
  }
  Outcome valid = run_ticketsim({"validate", path});
  CAPTURE(valid.err);
  CHECK(valid.status == 0);
  CHECK(contains(valid.out, path + ": ok"));
  // Never over an existing file without --force.
  std::ofstream(path) << "mine";
  Outcome again = run_ticketsim({"init", path});
  CHECK(again.status == 2);
  CHECK(contains(again.err, "already exists"));
  CHECK(slurp(path) == "mine");
  CHECK(run_ticketsim({"init", path, "--force"}).status == 0);
  CHECK(slurp(path) == text);

  Outcome run_help = run_ticketsim({"run", "--help"});
  CHECK(contains(run_help.out, "docs/scenarios.md"));
  CHECK(contains(run_help.out, "which buyers the faults hit"));
}

TEST_CASE("a long run on a terminal shows a live progress line without -P; a pipe gets none") {
  TempDir dir;
  // Two buyers, a lock held 500 ms per sale, 6 sales: about 3 s.
  std::string scenario = dir.file("slow.toml", "strategy = \"named-mutex\"\ntickets = 6\nbuyers = 2\n"
                                               "attempts = \"until-sold-out\"\n[delays]\npurchase = \"500ms\"\n");
  int master = -1;
  pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // stdout to a file, stderr stays the terminal.
    int out = open((dir.path / "out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(out, 1);
    execl(kTicketsim.c_str(), kTicketsim.c_str(), "run", scenario.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  std::string terminal;
  char buffer[4096];
  for (;;) {
    pollfd fd{master, POLLIN, 0};
    if (poll(&fd, 1, 30'000) <= 0) break;
    ssize_t n = read(master, buffer, sizeof buffer);
    if (n <= 0) break;  // EIO once the child has closed the terminal
    terminal.append(buffer, static_cast<std::size_t>(n));
  }
  close(master);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CAPTURE(terminal);
  CHECK(contains(terminal, "progress: 2.0 s"));
  CHECK(contains(terminal, "\r"));  // one line, rewritten in place
  CHECK(contains(slurp((dir.path / "out").string()), "verdict     valid"));

  Outcome piped = run_ticketsim({"run", scenario});
  CHECK(piped.status == 0);
  CHECK(piped.err.empty());
}

// ---------------------------------------------------------------------------
// PostgreSQL: a server the user names, and compare's one server

TEST_CASE("--postgres naming a socket directory with no server: one line, exit 2, nothing run") {
  TempDir dir;
  TempDir stores;
  std::string conninfo = fmt::format("host={} dbname=tickets connect_timeout=5", dir.path.string());
  std::string scenario = dir.file("pg.toml", R"(name = "pg"
strategy = "postgres-atomic"
tickets = 4
buyers = 3
attempts = 2
)");
  std::vector<std::vector<std::string>> commands = {
      {"run", scenario, "--postgres", conninfo, "--store-dir", stores.path.string()},
      {"run", kScenarios + "/seed.toml", "--strategy", "postgres-for-update", "--postgres", conninfo},
      {"compare", scenario, "--strategies", "sqlite,postgres-atomic", "--buyers", "1,2", "--runs", "1", "--postgres",
       conninfo, "--store-dir", stores.path.string()},
      {"bench", "--strategies", "postgres-atomic", "--buyers", "1", "--postgres", conninfo, "--no-peer"},
  };
  for (const std::vector<std::string>& args : commands) {
    CAPTURE(args[0]);
    Outcome outcome = run_ticketsim(args);
    CAPTURE(outcome.err);
    CHECK(outcome.status == 2);
    CHECK(outcome.err_lines() == 1);
    CHECK(contains(outcome.err, "ticketsim: PostgreSQL: cannot use the server --postgres or [postgres] conninfo names: "));
    CHECK(contains(outcome.err, dir.path.string() + "/.s.PGSQL.5432"));  // libpq's reason: the socket it tried
    CHECK(outcome.out.empty());  // no report: no run was made (compare did not run its sqlite cells first)
    CHECK(stores.empty());       // no run directory left, no store made
  }
  // A conninfo libpq cannot parse is refused as the scenario key is.
  Outcome garbled = run_ticketsim({"run", scenario, "--postgres", "host"});
  CHECK(garbled.status == 2);
  CHECK(contains(garbled.err, "ticketsim: --postgres: not a libpq conninfo: "));
}

TEST_CASE("compare starts one embedded PostgreSQL server for its whole matrix, each run with fresh tables") {
  // A pg_config on PATH that names a directory whose initdb counts its runs,
  // then runs the real one. The server's account must reach it: not a
  // TempDir, which is owner-only.
  const std::filesystem::path real = "/usr/lib/postgresql/15/bin";
  REQUIRE(std::filesystem::exists(real / "initdb"));
  char pattern[] = "/tmp/ticketsim-fake-bindir-XXXXXX";
  REQUIRE(mkdtemp(pattern) != nullptr);
  std::filesystem::path fake = pattern;
  std::filesystem::permissions(fake, std::filesystem::perms(0755));
  std::filesystem::path count = fake / "initdb-runs";
  { std::ofstream(count).flush(); }
  std::filesystem::permissions(count, std::filesystem::perms(0666));
  // Not initdb and pg_config, which are scripts below: writing a script
  // through a symlink would overwrite the real program for the machine.
  for (const auto& entry : std::filesystem::directory_iterator(real)) {
    std::filesystem::path name = entry.path().filename();
    if (name != "initdb" && name != "pg_config") std::filesystem::create_symlink(entry.path(), fake / name);
  }
  auto script = [&](const std::string& name, const std::string& text) {
    std::ofstream(fake / name) << text;
    std::filesystem::permissions(fake / name, std::filesystem::perms(0755));
  };
  script("initdb", fmt::format("#!/bin/sh\necho run >> {}\nexec {} \"$@\"\n", count.string(), (real / "initdb").string()));
  script("pg_config", fmt::format("#!/bin/sh\necho {}\n", fake.string()));
  std::string path = std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin";
  setenv("PATH", (fake.string() + ":" + path).c_str(), 1);

  TempDir dir;
  std::string scenario = dir.file("pg.toml", R"(name = "pg"
strategies = ["postgres-atomic", "postgres-for-update"]
buyers = [1, 3]
runs = 2
tickets = 5
attempts = "until-sold-out"
)");
  std::string json = (dir.path / "c.json").string();
  Outcome outcome = run_ticketsim({"compare", scenario, "--export", json});
  setenv("PATH", path.c_str(), 1);
  CAPTURE(outcome.err);
  CHECK(outcome.status == 0);
  std::ifstream in(count);
  std::string line;
  int initdb_runs = 0;
  while (std::getline(in, line)) initdb_runs += line == "run";
  CHECK(initdb_runs == 1);  // 8 runs, one server
  nlohmann::json exported = nlohmann::json::parse(slurp(json));
  REQUIRE(exported["runs"].size() == 8);
  for (const nlohmann::json& run : exported["runs"]) {
    CHECK(run["verdict"] == "valid");
    CHECK(run["sold"] == 5);  // fresh tables: every run sells its own 5 tickets
    CHECK(run["connection_s"]["max"].get<double>() > 0);
  }
  std::filesystem::remove_all(fake);
}
