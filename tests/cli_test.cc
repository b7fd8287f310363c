// Tests of the ticketsim command as a user runs it: exit statuses, one-line
// errors, the report and the JSON result.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

namespace {

std::string env_or(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value && *value ? value : fallback;
}

const std::string kTicketsim = env_or("TICKETSIM", "./ticketsim");
const std::string kScenarios = env_or("SCENARIOS", "../scenarios");

struct TempDir {
  TempDir() {
    char pattern[] = "/tmp/ticketsim-cli-XXXXXX";
    REQUIRE(mkdtemp(pattern) != nullptr);
    path = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string file(const std::string& name, const std::string& text) const {
    std::string full = (path / name).string();
    std::ofstream(full) << text;
    return full;
  }
  std::filesystem::path path;
};

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

// Runs ticketsim with `args`, capturing what it writes.
Outcome ticketsim(const std::vector<std::string>& args) {
  TempDir capture;
  std::string out_path = (capture.path / "out").string();
  std::string err_path = (capture.path / "err").string();
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(out, 1);
    dup2(err, 2);
    std::vector<char*> argv{const_cast<char*>(kTicketsim.c_str())};
    for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  Outcome outcome;
  outcome.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  outcome.out = slurp(out_path);
  outcome.err = slurp(err_path);
  return outcome;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

const char* kGoodScenario = R"(name = "small"
strategy = "named-mutex"
tickets = 5
buyers = 3
attempts = 3
)";

}  // namespace

TEST_CASE("the seed scenario reports the oversell with named witnesses and exits 0") {
  Outcome run = ticketsim({"run", kScenarios + "/seed.toml"});
  CHECK(run.status == 0);
  CHECK(contains(run.out, "verdict     invalid (expected invalid: as expected)"));
  CHECK(contains(run.out, "oversold"));
  CHECK(contains(run.out, "both sold ticket #1"));
  CHECK(run.err.empty());
}

TEST_CASE("the seed's load under a lock is valid and sells exactly one ticket") {
  for (std::string strategy : {"named-mutex", "sqlite"}) {
    CAPTURE(strategy);
    TempDir dir;
    std::string json = (dir.path / "result.json").string();
    Outcome run = ticketsim({"run", kScenarios + "/seed.toml", "--strategy", strategy, "--json", json});
    // seed.toml expects the oversell, so a valid run is not what it expects.
    CHECK(run.status == 1);
    CHECK(contains(run.out, "NOT as expected"));
    nlohmann::json result = nlohmann::json::parse(slurp(json));
    CHECK(result["verdict"] == "valid");
    CHECK(result["sold"] == 1);
    CHECK(result["remaining"] == 0);

    Outcome expected = ticketsim({"run", kScenarios + "/seed.toml", "--strategy", strategy, "--expect", "valid"});
    CHECK(expected.status == 0);
  }
}

TEST_CASE("--json writes the documented result") {
  TempDir dir;
  std::string scenario = dir.file("small.toml", kGoodScenario);
  std::string json_path = (dir.path / "result.json").string();
  Outcome run = ticketsim({"run", scenario, "--json", json_path, "--buyers", "4", "--seed", "7"});
  REQUIRE(run.status == 0);
  nlohmann::json result = nlohmann::json::parse(slurp(json_path));
  CHECK(result["schema_version"] == 1);
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
    Outcome run = ticketsim(args);
    CAPTURE(run.err);
    CHECK(run.status == 2);
    CHECK(run.err_lines() == 1);
    CHECK(run.out.empty());
    for (const std::string& part : c.expected) CHECK(contains(run.err, part));
  }
  Outcome missing = ticketsim({"run", "/nonexistent/scenario.toml"});
  CHECK(missing.status == 2);
  CHECK(contains(missing.err, "/nonexistent/scenario.toml"));
  CHECK(missing.err_lines() == 1);

  Outcome no_command = ticketsim({});
  CHECK(no_command.status == 2);
}

TEST_CASE("every shipped scenario runs under every strategy") {
  // Only the seed-sized scenarios: quick, and each strategy must finish.
  for (std::string file : {"seed.toml", "seed-serial.toml"}) {
    for (std::string strategy : {"plain", "named-mutex", "sqlite"}) {
      CAPTURE(file);
      CAPTURE(strategy);
      Outcome run = ticketsim({"run", kScenarios + "/" + file, "--strategy", strategy, "--buyers", "4"});
      CHECK((run.status == 0 || run.status == 1));
      CHECK(contains(run.out, "verdict"));
    }
  }
}
