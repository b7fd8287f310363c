// Scenario files: every key, the defaults, and one-line errors that say where.
#include "sim/scenario.h"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "storage/store.h"

using namespace ticketsim;
using namespace std::chrono_literals;

namespace {

// The minimal valid scenario; tests append to or replace its lines.
constexpr const char* kMinimal =
    "strategy = \"plain\"\n"
    "tickets = 1\n"
    "buyers = 2\n";

// The InputError message `text` raises as "x.toml"; fails the test when it
// parses, or when the message is not one line naming the file.
std::string error_of(const std::string& text, const std::string& path = "x.toml") {
  try {
    parse_scenario(text, path);
  } catch (const InputError& e) {
    std::string message = e.what();
    CAPTURE(message);
    CHECK(message.find('\n') == std::string::npos);
    CHECK(message.rfind(path + ":", 0) == 0);
    return message;
  } catch (const std::exception& e) {
    FAIL("not an InputError: " << e.what());
    return {};
  }
  FAIL("parsed without error:\n" << text);
  return {};
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A directory removed at the end of the test.
struct TempDir {
  TempDir() {
    char pattern[] = "/tmp/ticketsim-scenario-test-XXXXXX";
    REQUIRE(mkdtemp(pattern) != nullptr);
    path = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::filesystem::path path;
};

}  // namespace

TEST_CASE("a full scenario reads every key") {
  const char* text =
      "name = \"full\"\n"
      "description = \"every key there is\"\n"
      "strategy = \"sqlite\"\n"
      "tickets = 40\n"
      "buyers = 8\n"
      "attempts = \"until-sold-out\"\n"
      "mode = \"serial\"\n"
      "seed = 42\n"
      "\n"
      "[delays]\n"
      "search = \"50ms\"\n"
      "purchase = \"1.5s\"\n"
      "jitter = 0.25\n"
      "\n"
      "[expect]\n"
      "verdict = \"invalid\"\n";
  Scenario s = parse_scenario(text, "dir/x.toml");
  CHECK(s.file == "dir/x.toml");
  CHECK(s.name == "full");
  CHECK(s.description == "every key there is");
  CHECK(s.strategy == "sqlite");
  CHECK(s.tickets == 40);
  CHECK(s.buyers == 8);
  CHECK_FALSE(s.attempts.has_value());
  CHECK(s.max_attempts() == 41);
  CHECK(s.mode == Mode::kSerial);
  CHECK(s.seed == 42);
  CHECK(s.delays.search == 50ms);
  CHECK(s.delays.purchase == 1500ms);
  CHECK(s.delays.jitter == doctest::Approx(0.25));
  CHECK(s.expected == Verdict::kInvalid);
}

TEST_CASE("other values of the enumerated keys") {
  Scenario s = parse_scenario(std::string(kMinimal) +
                                  "attempts = 7\n"
                                  "mode = \"concurrent\"\n"
                                  "seed = 0\n"
                                  "[delays]\n"
                                  "search = 0\n"
                                  "purchase = \"0\"\n"
                                  "jitter = 1\n"
                                  "[expect]\n"
                                  "verdict = \"valid\"\n",
                              "x.toml");
  REQUIRE(s.attempts.has_value());
  CHECK(*s.attempts == 7);
  CHECK(s.max_attempts() == 7);
  CHECK(s.mode == Mode::kConcurrent);
  CHECK(s.seed == 0);
  CHECK(s.delays.search == 0ns);
  CHECK(s.delays.purchase == 0ns);
  CHECK(s.delays.jitter == 1.0);
  CHECK(s.expected == Verdict::kValid);

  Scenario zero = parse_scenario("strategy = \"named-mutex\"\ntickets = 0\nbuyers = 1\n", "x.toml");
  CHECK(zero.strategy == "named-mutex");
  CHECK(zero.tickets == 0);
  CHECK(zero.buyers == 1);
}

TEST_CASE("defaults apply when optional keys are absent") {
  Scenario s = parse_scenario(kMinimal, "some/where/my-run.toml");
  CHECK(s.name == "my-run");
  CHECK(s.description.empty());
  CHECK(s.strategy == "plain");
  CHECK(s.tickets == 1);
  CHECK(s.buyers == 2);
  REQUIRE(s.attempts.has_value());
  CHECK(*s.attempts == 1);
  CHECK(s.mode == Mode::kConcurrent);
  CHECK(s.seed == 1);
  CHECK(s.delays.search == 0ns);
  CHECK(s.delays.purchase == 0ns);
  CHECK(s.delays.jitter == 0.0);
  CHECK(s.expected == Verdict::kValid);

  CHECK(parse_scenario(kMinimal, "x.toml").name == "x");
}

TEST_CASE("mode and verdict names") {
  CHECK(mode_name(Mode::kSerial) == "serial");
  CHECK(mode_name(Mode::kConcurrent) == "concurrent");
  CHECK(verdict_name(Verdict::kValid) == "valid");
  CHECK(verdict_name(Verdict::kInvalid) == "invalid");
}

TEST_CASE("a TOML syntax error names the file and its line") {
  SUBCASE("bad value on line 3") {
    std::string message = error_of("strategy = \"plain\"\ntickets = 1\nbuyers = = 2\n");
    CHECK(message.rfind("x.toml:3:", 0) == 0);
  }
  SUBCASE("unterminated string on line 2") {
    std::string message = error_of("tickets = 1\nstrategy = \"plain\nbuyers = 2\n");
    CHECK(message.rfind("x.toml:2:", 0) == 0);
  }
  SUBCASE("duplicate key on line 4") {
    std::string message = error_of(std::string(kMinimal) + "buyers = 3\n");
    CHECK(message.rfind("x.toml:4:", 0) == 0);
  }
}

TEST_CASE("an unknown key is named with its place and a suggestion") {
  std::string message = error_of("strategy = \"plain\"\ntickets = 1\nbuyer = 2\n");
  CHECK(message.rfind("x.toml:3:1:", 0) == 0);
  CHECK(contains(message, "unknown key 'buyer'"));
  CHECK(contains(message, "did you mean 'buyers'"));

  // Nothing close: no suggestion.
  std::string far = error_of(std::string(kMinimal) + "colour = \"red\"\n");
  CHECK(far.rfind("x.toml:4:1:", 0) == 0);
  CHECK(contains(far, "unknown key 'colour'"));
  CHECK_FALSE(contains(far, "did you mean"));
}

TEST_CASE("an unknown key inside [delays] or [expect]") {
  std::string message = error_of(std::string(kMinimal) + "[delays]\nsearch = \"1ms\"\nserch = \"5ms\"\n");
  CHECK(message.rfind("x.toml:6:1:", 0) == 0);
  CHECK(contains(message, "unknown key 'delays.serch'"));
  CHECK(contains(message, "did you mean 'delays.search'"));

  std::string verdict = error_of(std::string(kMinimal) + "[expect]\nverdikt = \"valid\"\n");
  CHECK(verdict.rfind("x.toml:5:1:", 0) == 0);
  CHECK(contains(verdict, "unknown key 'expect.verdikt'"));
  CHECK(contains(verdict, "did you mean 'expect.verdict'"));
}

TEST_CASE("an unknown strategy lists the known ones") {
  std::string message = error_of("tickets = 1\nbuyers = 2\nstrategy = \"lockless\"\n");
  CHECK(message.rfind("x.toml:3:1: key 'strategy'", 0) == 0);
  CHECK(contains(message, "'lockless'"));
  CHECK(contains(message, strategy_names()));
  for (const StrategyInfo& info : strategies()) CHECK(contains(message, std::string(info.name)));
}

TEST_CASE("out-of-range numbers name the key and its line") {
  SUBCASE("buyers = 0") {
    std::string message = error_of("strategy = \"plain\"\ntickets = 1\n# a comment\nbuyers = 0\n");
    CHECK(message.rfind("x.toml:4:1: key 'buyers':", 0) == 0);
    CHECK(contains(message, "(got 0)"));
  }
  SUBCASE("buyers = -3") {
    std::string message = error_of("strategy = \"plain\"\ntickets = 1\nbuyers = -3\n");
    CHECK(message.rfind("x.toml:3:1: key 'buyers':", 0) == 0);
    CHECK(contains(message, "(got -3)"));
  }
  SUBCASE("buyers beyond the limit") {
    std::string message = error_of("strategy = \"plain\"\ntickets = 1\nbuyers = 32769\n");
    CHECK(contains(message, "key 'buyers'"));
    CHECK(contains(message, "32768"));
  }
  SUBCASE("tickets = -1") {
    std::string message = error_of("strategy = \"plain\"\nbuyers = 1\n\n\ntickets = -1\n");
    CHECK(message.rfind("x.toml:5:1: key 'tickets':", 0) == 0);
    CHECK(contains(message, "(got -1)"));
  }
  SUBCASE("tickets beyond the limit") {
    std::string message = error_of("strategy = \"plain\"\nbuyers = 1\ntickets = 100000001\n");
    CHECK(contains(message, "key 'tickets'"));
  }
  SUBCASE("attempts = 0") {
    std::string message = error_of(std::string(kMinimal) + "attempts = 0\n");
    CHECK(message.rfind("x.toml:4:1: key 'attempts':", 0) == 0);
    CHECK(contains(message, "until-sold-out"));
  }
  SUBCASE("attempts = -2") {
    std::string message = error_of(std::string(kMinimal) + "attempts = -2\n");
    CHECK(message.rfind("x.toml:4:1: key 'attempts':", 0) == 0);
  }
  SUBCASE("attempts = \"forever\"") {
    std::string message = error_of(std::string(kMinimal) + "attempts = \"forever\"\n");
    CHECK(message.rfind("x.toml:4:1: key 'attempts':", 0) == 0);
    CHECK(contains(message, "'forever'"));
  }
  SUBCASE("seed = -1") {
    std::string message = error_of(std::string(kMinimal) + "seed = -1\n");
    CHECK(message.rfind("x.toml:4:1: key 'seed':", 0) == 0);
  }
}

TEST_CASE("bad delays") {
  SUBCASE("not a duration") {
    std::string message = error_of(std::string(kMinimal) + "[delays]\npurchase = \"50 parsecs\"\n");
    CHECK(message.rfind("x.toml:5:1: key 'delays.purchase':", 0) == 0);
    CHECK(contains(message, "'50 parsecs'"));
  }
  SUBCASE("a bare number other than 0") {
    std::string message = error_of(std::string(kMinimal) + "[delays]\nsearch = 50\n");
    CHECK(message.rfind("x.toml:5:1: key 'delays.search':", 0) == 0);
  }
  SUBCASE("jitter = 2") {
    std::string message = error_of(std::string(kMinimal) + "[delays]\njitter = 2\n");
    CHECK(message.rfind("x.toml:5:1: key 'delays.jitter':", 0) == 0);
    CHECK(contains(message, "0 to 1"));
  }
  SUBCASE("jitter = -0.5") {
    std::string message = error_of(std::string(kMinimal) + "[delays]\njitter = -0.5\n");
    CHECK(contains(message, "key 'delays.jitter'"));
  }
  SUBCASE("jitter = \"a lot\"") {
    std::string message = error_of(std::string(kMinimal) + "[delays]\njitter = \"a lot\"\n");
    CHECK(contains(message, "key 'delays.jitter'"));
  }
  SUBCASE("delays is not a table") {
    std::string message = error_of(std::string(kMinimal) + "delays = 5\n");
    CHECK(message.rfind("x.toml:4:1: key 'delays':", 0) == 0);
  }
}

// jitter must be from 0 to 1; nan compares false with both bounds.
TEST_CASE("jitter = nan is rejected") {
  std::string message = error_of(std::string(kMinimal) + "[delays]\njitter = nan\n");
  CHECK(contains(message, "key 'delays.jitter'"));
}

TEST_CASE("bad mode and verdict") {
  std::string mode = error_of(std::string(kMinimal) + "mode = \"parallel\"\n");
  CHECK(mode.rfind("x.toml:4:1: key 'mode':", 0) == 0);
  CHECK(contains(mode, "'parallel'"));
  CHECK(contains(mode, "concurrent"));
  CHECK(contains(mode, "serial"));

  std::string verdict = error_of(std::string(kMinimal) + "[expect]\nverdict = \"maybe\"\n");
  CHECK(verdict.rfind("x.toml:5:1: key 'expect.verdict':", 0) == 0);
  CHECK(contains(verdict, "'maybe'"));

  std::string expect = error_of(std::string(kMinimal) + "expect = \"valid\"\n");
  CHECK(contains(expect, "key 'expect'"));
}

TEST_CASE("wrong types") {
  std::string buyers = error_of("strategy = \"plain\"\ntickets = 1\nbuyers = \"ten\"\n");
  CHECK(buyers.rfind("x.toml:3:1: key 'buyers':", 0) == 0);
  CHECK(contains(buyers, "integer"));

  std::string tickets = error_of("strategy = \"plain\"\ntickets = 1.5\nbuyers = 1\n");
  CHECK(tickets.rfind("x.toml:2:1: key 'tickets':", 0) == 0);
  CHECK(contains(tickets, "integer"));

  std::string strategy = error_of("strategy = 3\ntickets = 1\nbuyers = 1\n");
  CHECK(strategy.rfind("x.toml:1:1: key 'strategy':", 0) == 0);
  CHECK(contains(strategy, "string"));

  std::string name = error_of(std::string(kMinimal) + "name = [\"a\"]\n");
  CHECK(name.rfind("x.toml:4:1: key 'name':", 0) == 0);

  std::string seed = error_of(std::string(kMinimal) + "seed = \"1\"\n");
  CHECK(contains(seed, "key 'seed'"));

  std::string attempts = error_of(std::string(kMinimal) + "attempts = 1.5\n");
  CHECK(contains(attempts, "key 'attempts'"));
}

TEST_CASE("missing required keys") {
  std::string strategy = error_of("tickets = 1\nbuyers = 2\n");
  CHECK(contains(strategy, "missing key 'strategy'"));
  std::string tickets = error_of("strategy = \"plain\"\nbuyers = 2\n");
  CHECK(contains(tickets, "missing key 'tickets'"));
  std::string buyers = error_of("strategy = \"plain\"\ntickets = 2\n");
  CHECK(contains(buyers, "missing key 'buyers'"));
  std::string empty = error_of("");
  CHECK(contains(empty, "missing key"));
}

// The header promises a one-line message; values and keys from the file are
// quoted into it as they are.
TEST_CASE("messages stay on one line when a value holds a newline") {
  error_of(std::string(kMinimal) + "mode = \"para\\nllel\"\n");
  error_of("tickets = 1\nbuyers = 2\nstrategy = \"lock\\nless\"\n");
  error_of(std::string(kMinimal) + "[delays]\nsearch = \"5\\nms\"\n");
  error_of(std::string(kMinimal) + "\"bu\\nyers\" = 2\n");
}

TEST_CASE("command-line overrides name their option") {
  Scenario s = parse_scenario(kMinimal, "x.toml");

  auto message = [](auto&& call) -> std::string {
    try {
      call();
    } catch (const InputError& e) {
      return e.what();
    }
    FAIL("no InputError");
    return {};
  };

  std::string buyers = message([&] { set_buyers(s, 0, "--buyers"); });
  CHECK(buyers.rfind("--buyers: ", 0) == 0);
  CHECK(contains(buyers, "(got 0)"));
  CHECK(buyers.find('\n') == std::string::npos);
  CHECK(message([&] { set_buyers(s, -3, "--buyers"); }).rfind("--buyers: ", 0) == 0);
  CHECK(message([&] { set_buyers(s, kMaxBuyers + 1, "--buyers"); }).rfind("--buyers: ", 0) == 0);

  std::string strategy = message([&] { set_strategy(s, "nope", "--strategy"); });
  CHECK(strategy.rfind("--strategy: ", 0) == 0);
  CHECK(contains(strategy, "'nope'"));
  CHECK(contains(strategy, strategy_names()));

  std::string tickets = message([&] { set_tickets(s, -1, "--tickets"); });
  CHECK(tickets.rfind("--tickets: ", 0) == 0);
  CHECK(contains(tickets, "(got -1)"));
  CHECK(message([&] { set_tickets(s, kMaxTickets + 1, "--tickets"); }).rfind("--tickets: ", 0) == 0);

  for (const char* bad : {"0", "-1", "forever", "", "5x", "1.5", " 3"}) {
    CAPTURE(bad);
    std::string attempts = message([&] { set_attempts(s, bad, "--attempts"); });
    CHECK(attempts.rfind("--attempts: ", 0) == 0);
  }

  // A failed override leaves the scenario as it was.
  CHECK(s.buyers == 2);
  CHECK(s.tickets == 1);
  CHECK(s.strategy == "plain");
  REQUIRE(s.attempts.has_value());
  CHECK(*s.attempts == 1);

  set_buyers(s, 12, "--buyers");
  CHECK(s.buyers == 12);
  set_strategy(s, "sqlite", "--strategy");
  CHECK(s.strategy == "sqlite");
  set_tickets(s, 0, "--tickets");
  CHECK(s.tickets == 0);
  set_tickets(s, 9, "--tickets");
  CHECK(s.tickets == 9);
  set_attempts(s, "5", "--attempts");
  REQUIRE(s.attempts.has_value());
  CHECK(*s.attempts == 5);
  set_attempts(s, "until-sold-out", "--attempts");
  CHECK_FALSE(s.attempts.has_value());
  CHECK(s.max_attempts() == 10);
}

TEST_CASE("load_scenario") {
  SUBCASE("a missing file names the path") {
    const std::string path = "/nonexistent-ticketsim-dir/nothing.toml";
    try {
      load_scenario(path);
      FAIL("loaded a missing file");
    } catch (const InputError& e) {
      std::string message = e.what();
      CHECK(message.rfind(path + ":", 0) == 0);
      CHECK(message.find('\n') == std::string::npos);
    }
  }
  SUBCASE("a directory is refused") {
    TempDir dir;
    CHECK_THROWS_AS(load_scenario(dir.path.string()), InputError);
  }
  SUBCASE("a file on disk") {
    TempDir dir;
    std::filesystem::path path = dir.path / "on-disk.toml";
    std::ofstream(path) << kMinimal << "buyers_typo = 1\n";
    try {
      load_scenario(path.string());
      FAIL("loaded a file with an unknown key");
    } catch (const InputError& e) {
      std::string message = e.what();
      CHECK(message.rfind(path.string() + ":4:1:", 0) == 0);
    }
    std::ofstream(path, std::ios::trunc) << kMinimal;
    Scenario s = load_scenario(path.string());
    CHECK(s.name == "on-disk");
    CHECK(s.file == path.string());
    CHECK(s.buyers == 2);
  }
}

TEST_CASE("every shipped scenario loads") {
  const char* env = std::getenv("SCENARIOS");
  std::filesystem::path dir = env && *env ? env : "../scenarios";
  REQUIRE_MESSAGE(std::filesystem::is_directory(dir), "no scenarios directory at " << dir);
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".toml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  REQUIRE_FALSE(files.empty());
  for (const auto& file : files) {
    CAPTURE(file);
    Scenario s;
    CHECK_NOTHROW(s = load_scenario(file.string()));
    CHECK_FALSE(s.name.empty());
    CHECK(find_strategy(s.strategy) != nullptr);
    CHECK(s.buyers >= 1);
    CHECK(s.tickets >= 0);
  }
}
