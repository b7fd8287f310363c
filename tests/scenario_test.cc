// Scenario files: every key, the defaults, and one-line errors that say where.
#include "sim/scenario.h"
#include "sim/runner.h"

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

#include "tests/temp_dir.h"

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

// ---------------------------------------------------------------------------
// lock_timeout, monitor_interval, [store], [[faults]], and the verdict "stuck".

TEST_CASE("new keys have their defaults when absent") {
  Scenario s = parse_scenario(kMinimal, "x.toml");
  CHECK(s.lock_timeout == 10s);
  CHECK(s.monitor_interval == 0ns);
  CHECK_FALSE(s.plain_rename);
  CHECK(s.journal_mode == "wal");
  CHECK(s.synchronous == "normal");
  CHECK(s.faults.empty());
}

TEST_CASE("lock_timeout") {
  SUBCASE("durations of 1ms and more") {
    CHECK(parse_scenario(std::string(kMinimal) + "lock_timeout = \"250ms\"\n", "x.toml").lock_timeout == 250ms);
    CHECK(parse_scenario(std::string(kMinimal) + "lock_timeout = \"1ms\"\n", "x.toml").lock_timeout == 1ms);
    CHECK(parse_scenario(std::string(kMinimal) + "lock_timeout = \"1000us\"\n", "x.toml").lock_timeout == 1ms);
    CHECK(parse_scenario(std::string(kMinimal) + "lock_timeout = \"2s\"\n", "x.toml").lock_timeout == 2s);
    CHECK(parse_scenario(std::string(kMinimal) + "lock_timeout = \"1.5s\"\n", "x.toml").lock_timeout == 1500ms);
  }
  SUBCASE("below 1ms") {
    for (const char* value : {"\"999us\"", "\"0.5ms\"", "0", "\"0\"", "\"0s\""}) {
      CAPTURE(value);
      std::string message = error_of(std::string(kMinimal) + "lock_timeout = " + value + "\n");
      CHECK(message.rfind("x.toml:4:1: key 'lock_timeout':", 0) == 0);
      CHECK(contains(message, "at least 1ms"));
    }
  }
  SUBCASE("not a duration") {
    std::string message = error_of(std::string(kMinimal) + "lock_timeout = \"soon\"\n");
    CHECK(message.rfind("x.toml:4:1: key 'lock_timeout':", 0) == 0);
    CHECK(contains(message, "'soon'"));
    std::string number = error_of(std::string(kMinimal) + "lock_timeout = 5\n");
    CHECK(number.rfind("x.toml:4:1: key 'lock_timeout':", 0) == 0);
    std::string negative = error_of(std::string(kMinimal) + "lock_timeout = \"-1s\"\n");
    CHECK(negative.rfind("x.toml:4:1: key 'lock_timeout':", 0) == 0);
  }
}

TEST_CASE("monitor_interval") {
  CHECK(parse_scenario(std::string(kMinimal) + "monitor_interval = 0\n", "x.toml").monitor_interval == 0ns);
  CHECK(parse_scenario(std::string(kMinimal) + "monitor_interval = \"0s\"\n", "x.toml").monitor_interval == 0ns);
  CHECK(parse_scenario(std::string(kMinimal) + "monitor_interval = \"100us\"\n", "x.toml").monitor_interval == 100us);
  CHECK(parse_scenario(std::string(kMinimal) + "monitor_interval = \"5ms\"\n", "x.toml").monitor_interval == 5ms);
  for (const char* value : {"\"99us\"", "\"1us\"", "\"50000ns\""}) {
    CAPTURE(value);
    std::string message = error_of(std::string(kMinimal) + "\nmonitor_interval = " + value + "\n");
    CHECK(message.rfind("x.toml:5:1: key 'monitor_interval':", 0) == 0);
    CHECK(contains(message, "100us"));
  }
  std::string bad = error_of(std::string(kMinimal) + "monitor_interval = \"often\"\n");
  CHECK(bad.rfind("x.toml:4:1: key 'monitor_interval':", 0) == 0);
}

TEST_CASE("[store] options") {
  SUBCASE("every value") {
    Scenario s = parse_scenario(std::string(kMinimal) +
                                    "[store]\n"
                                    "json_write = \"rename\"\n"
                                    "journal_mode = \"delete\"\n"
                                    "synchronous = \"full\"\n",
                                "x.toml");
    CHECK(s.plain_rename);
    CHECK(s.journal_mode == "delete");
    CHECK(s.synchronous == "full");

    Scenario other = parse_scenario(std::string(kMinimal) +
                                        "[store]\n"
                                        "json_write = \"truncate\"\n"
                                        "journal_mode = \"wal\"\n"
                                        "synchronous = \"off\"\n",
                                    "x.toml");
    CHECK_FALSE(other.plain_rename);
    CHECK(other.journal_mode == "wal");
    CHECK(other.synchronous == "off");
    CHECK(parse_scenario(std::string(kMinimal) + "[store]\nsynchronous = \"normal\"\n", "x.toml").synchronous ==
          "normal");
    // An empty [store] changes nothing.
    Scenario empty = parse_scenario(std::string(kMinimal) + "[store]\n", "x.toml");
    CHECK_FALSE(empty.plain_rename);
    CHECK(empty.journal_mode == "wal");
    CHECK(empty.synchronous == "normal");
  }
  SUBCASE("a value not among the choices lists them") {
    std::string write = error_of(std::string(kMinimal) + "[store]\njson_write = \"append\"\n");
    CHECK(write.rfind("x.toml:5:1: key 'store.json_write':", 0) == 0);
    CHECK(contains(write, "'append'"));
    CHECK(contains(write, "\"truncate\""));
    CHECK(contains(write, "\"rename\""));

    std::string journal = error_of(std::string(kMinimal) + "[store]\n\njournal_mode = \"WAL\"\n");
    CHECK(journal.rfind("x.toml:6:1: key 'store.journal_mode':", 0) == 0);
    CHECK(contains(journal, "'WAL'"));
    CHECK(contains(journal, "\"wal\""));
    CHECK(contains(journal, "\"delete\""));

    for (const char* bad : {"memory", "truncate", "persist", "off"}) {
      CAPTURE(bad);
      error_of(std::string(kMinimal) + "[store]\njournal_mode = \"" + bad + "\"\n");
    }

    std::string sync = error_of(std::string(kMinimal) + "[store]\nsynchronous = \"extra\"\n");
    CHECK(sync.rfind("x.toml:5:1: key 'store.synchronous':", 0) == 0);
    CHECK(contains(sync, "'extra'"));
    CHECK(contains(sync, "\"off\""));
    CHECK(contains(sync, "\"normal\""));
    CHECK(contains(sync, "\"full\""));
  }
  SUBCASE("wrong types") {
    std::string write = error_of(std::string(kMinimal) + "[store]\njson_write = true\n");
    CHECK(write.rfind("x.toml:5:1: key 'store.json_write':", 0) == 0);
    CHECK(contains(write, "string"));
    std::string sync = error_of(std::string(kMinimal) + "[store]\nsynchronous = 2\n");
    CHECK(sync.rfind("x.toml:5:1: key 'store.synchronous':", 0) == 0);
    std::string store = error_of(std::string(kMinimal) + "store = \"rename\"\n");
    CHECK(store.rfind("x.toml:4:1: key 'store':", 0) == 0);
    CHECK(contains(store, "table"));
  }
  SUBCASE("an unknown key suggests a near one") {
    std::string message = error_of(std::string(kMinimal) + "[store]\nsynchronus = \"off\"\n");
    CHECK(message.rfind("x.toml:5:1:", 0) == 0);
    CHECK(contains(message, "unknown key 'store.synchronus'"));
    CHECK(contains(message, "did you mean 'store.synchronous'"));
    std::string write = error_of(std::string(kMinimal) + "[store]\njson_writes = \"rename\"\n");
    CHECK(contains(write, "did you mean 'store.json_write'"));
  }
}

TEST_CASE("[postgres] options") {
  SUBCASE("defaults when absent") {
    Scenario s = parse_scenario(kMinimal, "x.toml");
    CHECK(s.postgres_conninfo.empty());
    CHECK(s.postgres_isolation.empty());
    CHECK(s.postgres_max_tries == 100);
    CHECK(s.postgres_synchronous_commit == "on");
    CHECK(s.postgres_fsync);
    CHECK(s.postgres_full_page_writes);
    Scenario empty = parse_scenario(std::string(kMinimal) + "[postgres]\n", "x.toml");
    CHECK(empty.postgres_conninfo.empty());
    CHECK(empty.postgres_max_tries == 100);
  }
  SUBCASE("every value") {
    Scenario s = parse_scenario(std::string(kMinimal) +
                                    "[postgres]\n"
                                    "conninfo = \"host=/run/postgresql dbname=tickets\"\n"
                                    "isolation = \"repeatable-read\"\n"
                                    "max_tries = 7\n"
                                    "synchronous_commit = \"off\"\n"
                                    "fsync = false\n"
                                    "full_page_writes = false\n",
                                "x.toml");
    CHECK(s.postgres_conninfo == "host=/run/postgresql dbname=tickets");
    CHECK(s.postgres_isolation == "repeatable-read");
    CHECK(s.postgres_max_tries == 7);
    CHECK(s.postgres_synchronous_commit == "off");
    CHECK_FALSE(s.postgres_fsync);
    CHECK_FALSE(s.postgres_full_page_writes);
    for (const char* isolation : {"read-committed", "repeatable-read", "serializable"}) {
      CAPTURE(isolation);
      CHECK(parse_scenario(std::string(kMinimal) + "[postgres]\nisolation = \"" + isolation + "\"\n", "x.toml")
                .postgres_isolation == isolation);
    }
    for (const char* level : {"on", "off", "local", "remote_write", "remote_apply"}) {
      CAPTURE(level);
      CHECK(parse_scenario(std::string(kMinimal) + "[postgres]\nsynchronous_commit = \"" + level + "\"\n", "x.toml")
                .postgres_synchronous_commit == level);
    }
    // A URI is a conninfo too.
    CHECK(parse_scenario(std::string(kMinimal) + "[postgres]\nconninfo = \"postgresql://u@localhost/db\"\n",
                         "x.toml")
              .postgres_conninfo == "postgresql://u@localhost/db");
    CHECK(parse_scenario(std::string(kMinimal) + "[postgres]\nmax_tries = 1\n", "x.toml").postgres_max_tries == 1);
    CHECK(parse_scenario(std::string(kMinimal) + "[postgres]\nmax_tries = 1000000\n", "x.toml").postgres_max_tries ==
          kMaxPostgresTries);
  }
  SUBCASE("a value not among the choices lists them") {
    std::string isolation = error_of(std::string(kMinimal) + "[postgres]\nisolation = \"snapshot\"\n");
    CHECK(isolation.rfind("x.toml:5:1: key 'postgres.isolation':", 0) == 0);
    CHECK(contains(isolation, "'snapshot'"));
    CHECK(contains(isolation, "\"read-committed\""));
    CHECK(contains(isolation, "\"repeatable-read\""));
    CHECK(contains(isolation, "\"serializable\""));
    std::string sync = error_of(std::string(kMinimal) + "[postgres]\n\nsynchronous_commit = \"normal\"\n");
    CHECK(sync.rfind("x.toml:6:1: key 'postgres.synchronous_commit':", 0) == 0);
    CHECK(contains(sync, "'normal'"));
    CHECK(contains(sync, "\"remote_apply\""));
  }
  SUBCASE("max_tries out of range") {
    for (const char* bad : {"0", "-1", "1000001"}) {
      CAPTURE(bad);
      std::string message = error_of(std::string(kMinimal) + "[postgres]\nmax_tries = " + bad + "\n");
      CHECK(message.rfind("x.toml:5:1: key 'postgres.max_tries':", 0) == 0);
      CHECK(contains(message, "from 1 to 1000000"));
    }
  }
  SUBCASE("a conninfo libpq cannot parse, or an empty one") {
    std::string bad = error_of(std::string(kMinimal) + "[postgres]\nconninfo = \"host\"\n");
    CHECK(bad.rfind("x.toml:5:1: key 'postgres.conninfo':", 0) == 0);
    CHECK(contains(bad, "not a libpq conninfo"));
    std::string unknown = error_of(std::string(kMinimal) + "[postgres]\nconninfo = \"hots=/tmp\"\n");
    CHECK(contains(unknown, "hots"));
    std::string empty = error_of(std::string(kMinimal) + "[postgres]\nconninfo = \"\"\n");
    CHECK(empty.rfind("x.toml:5:1: key 'postgres.conninfo':", 0) == 0);
    CHECK(contains(empty, "must not be empty"));
  }
  SUBCASE("wrong types") {
    std::string fsync = error_of(std::string(kMinimal) + "[postgres]\nfsync = \"off\"\n");
    CHECK(fsync.rfind("x.toml:5:1: key 'postgres.fsync':", 0) == 0);
    CHECK(contains(fsync, "true or false"));
    std::string pages = error_of(std::string(kMinimal) + "[postgres]\nfull_page_writes = 1\n");
    CHECK(pages.rfind("x.toml:5:1: key 'postgres.full_page_writes':", 0) == 0);
    std::string tries = error_of(std::string(kMinimal) + "[postgres]\nmax_tries = \"3\"\n");
    CHECK(tries.rfind("x.toml:5:1: key 'postgres.max_tries':", 0) == 0);
    CHECK(contains(tries, "integer"));
    std::string conninfo = error_of(std::string(kMinimal) + "[postgres]\nconninfo = 5\n");
    CHECK(conninfo.rfind("x.toml:5:1: key 'postgres.conninfo':", 0) == 0);
    std::string table = error_of(std::string(kMinimal) + "postgres = \"host=/tmp\"\n");
    CHECK(table.rfind("x.toml:4:1: key 'postgres':", 0) == 0);
    CHECK(contains(table, "table"));
  }
  SUBCASE("an unknown key suggests a near one") {
    std::string message = error_of(std::string(kMinimal) + "[postgres]\nmax_retries = 3\n");
    CHECK(message.rfind("x.toml:5:1:", 0) == 0);
    CHECK(contains(message, "unknown key 'postgres.max_retries'"));
    CHECK(contains(message, "did you mean 'postgres.max_tries'"));
    CHECK(contains(error_of(std::string(kMinimal) + "[postgres]\nconn_info = \"\"\n"),
                   "did you mean 'postgres.conninfo'"));
  }
}

TEST_CASE("[[faults]]: every key") {
  Scenario s = parse_scenario("strategy = \"queue\"\ntickets = 10\nbuyers = 4\n"
                              "[[faults]]\n"
                              "action = \"pause\"\n"
                              "target = \"buyers\"\n"
                              "point = \"before-lock\"\n"
                              "count = 4\n"
                              "attempt = 3\n"
                              "duration = \"50ms\"\n"
                              "[[faults]]\n"
                              "action = \"terminate\"\n"
                              "point = \"after-write-before-ack\"\n"
                              "[[faults]]\n"
                              "action = \"kill\"\n"
                              "target = \"seller\"\n"
                              "attempt = 20\n"
                              "[[faults]]\n"
                              "action = \"kill\"\n"
                              "point = \"in-critical-section\"\n"
                              "count = 1\n",
                              "x.toml");
  REQUIRE(s.faults.size() == 4);
  const Fault& pause = s.faults[0];
  CHECK(pause.action == FaultAction::kPause);
  CHECK_FALSE(pause.seller);
  CHECK(pause.point == FaultPoint::kBeforeLock);
  CHECK(pause.count == 4);
  CHECK(pause.attempt == 3);
  CHECK(pause.pause == 50ms);

  // Defaults: one buyer, at its first purchase, in the critical section.
  const Fault& terminate = s.faults[1];
  CHECK(terminate.action == FaultAction::kTerminate);
  CHECK_FALSE(terminate.seller);
  CHECK(terminate.point == FaultPoint::kAfterWriteBeforeAck);
  CHECK(terminate.count == 1);
  CHECK(terminate.attempt == 1);
  CHECK(terminate.pause == 0ns);

  const Fault& seller = s.faults[2];
  CHECK(seller.action == FaultAction::kKill);
  CHECK(seller.seller);
  CHECK(seller.attempt == 20);

  const Fault& kill = s.faults[3];
  CHECK(kill.action == FaultAction::kKill);
  CHECK_FALSE(kill.seller);
  CHECK(kill.point == FaultPoint::kInCriticalSection);
  CHECK(kill.count == 1);

  // The defaults of a bare kill.
  Scenario bare = parse_scenario(std::string(kMinimal) + "[[faults]]\naction = \"kill\"\n", "x.toml");
  REQUIRE(bare.faults.size() == 1);
  CHECK(bare.faults[0].action == FaultAction::kKill);
  CHECK_FALSE(bare.faults[0].seller);
  CHECK(bare.faults[0].point == FaultPoint::kInCriticalSection);
  CHECK(bare.faults[0].count == 1);
  CHECK(bare.faults[0].attempt == 1);

  // Inline tables in an array are an array of tables too.
  Scenario inline_faults =
      parse_scenario(std::string(kMinimal) + "faults = [{action = \"kill\"}, {action = \"terminate\", count = 2}]\n",
                     "x.toml");
  REQUIRE(inline_faults.faults.size() == 2);
  CHECK(inline_faults.faults[1].action == FaultAction::kTerminate);
  CHECK(inline_faults.faults[1].count == 2);
}

TEST_CASE("[[faults]]: the faults come after the buyers, wherever they stand") {
  // [[faults]] before buyers = ... is not possible in TOML (keys after a
  // table header belong to it), but an inline array before it is.
  Scenario s = parse_scenario("faults = [{action = \"kill\", count = 3}]\nstrategy = \"plain\"\ntickets = 1\nbuyers = 3\n",
                              "x.toml");
  REQUIRE(s.faults.size() == 1);
  CHECK(s.faults[0].count == 3);
}

TEST_CASE("[[faults]]: count, attempt and duration are checked") {
  // kMinimal has 2 buyers.
  SUBCASE("count from 1 to the buyers") {
    CHECK(parse_scenario(std::string(kMinimal) + "[[faults]]\naction = \"kill\"\ncount = 2\n", "x.toml")
              .faults[0].count == 2);
    for (const char* count : {"0", "3", "-1"}) {
      CAPTURE(count);
      std::string message = error_of(std::string(kMinimal) + "[[faults]]\naction = \"kill\"\ncount = " + count + "\n");
      CHECK(message.rfind("x.toml:6:1: key 'faults.count':", 0) == 0);
      CHECK(contains(message, std::string("(got ") + count + ")"));
      CHECK(contains(message, "2"));
    }
    std::string type = error_of(std::string(kMinimal) + "[[faults]]\naction = \"kill\"\ncount = \"all\"\n");
    CHECK(type.rfind("x.toml:6:1: key 'faults.count':", 0) == 0);
    CHECK(contains(type, "integer"));
  }
  SUBCASE("attempt of 1 or more") {
    CHECK(parse_scenario(std::string(kMinimal) + "[[faults]]\naction = \"kill\"\nattempt = 1000\n", "x.toml")
              .faults[0].attempt == 1000);
    for (const char* attempt : {"0", "-4"}) {
      CAPTURE(attempt);
      std::string message =
          error_of(std::string(kMinimal) + "[[faults]]\naction = \"kill\"\nattempt = " + attempt + "\n");
      CHECK(message.rfind("x.toml:6:1: key 'faults.attempt':", 0) == 0);
      CHECK(contains(message, std::string("(got ") + attempt + ")"));
    }
    std::string type = error_of(std::string(kMinimal) + "[[faults]]\naction = \"kill\"\nattempt = 1.5\n");
    CHECK(type.rfind("x.toml:6:1: key 'faults.attempt':", 0) == 0);
  }
  SUBCASE("a pause needs a duration") {
    std::string message = error_of(std::string(kMinimal) + "\n[[faults]]\naction = \"pause\"\ncount = 1\n");
    CHECK(message.rfind("x.toml:5:", 0) == 0);
    CHECK(contains(message, "key 'faults'"));
    CHECK(contains(message, "a pause needs a duration"));
  }
  SUBCASE("only a pause takes a duration") {
    for (const char* action : {"kill", "terminate"}) {
      CAPTURE(action);
      std::string message = error_of(std::string(kMinimal) + "[[faults]]\naction = \"" + action +
                                     "\"\nduration = \"1s\"\n");
      CHECK(message.rfind("x.toml:4:", 0) == 0);
      CHECK(contains(message, "only a pause takes a duration"));
    }
  }
  SUBCASE("a bad duration") {
    std::string message =
        error_of(std::string(kMinimal) + "[[faults]]\naction = \"pause\"\nduration = \"a while\"\n");
    CHECK(message.rfind("x.toml:6:1: key 'faults.duration':", 0) == 0);
    CHECK(contains(message, "'a while'"));
  }
  SUBCASE("a fault needs an action") {
    std::string message = error_of(std::string(kMinimal) + "[[faults]]\ncount = 1\n");
    CHECK(message.rfind("x.toml:4:", 0) == 0);
    CHECK(contains(message, "needs an action"));
    // The second fault is the one without.
    std::string second =
        error_of(std::string(kMinimal) + "[[faults]]\naction = \"kill\"\n\n[[faults]]\nattempt = 2\n");
    CHECK(second.rfind("x.toml:7:", 0) == 0);
  }
}

TEST_CASE("[[faults]]: the seller can only be killed") {
  Scenario s = parse_scenario("strategy = \"queue\"\ntickets = 10\nbuyers = 2\n"
                              "[[faults]]\ntarget = \"seller\"\naction = \"kill\"\nattempt = 5\n",
                              "x.toml");
  REQUIRE(s.faults.size() == 1);
  CHECK(s.faults[0].seller);
  CHECK(s.faults[0].action == FaultAction::kKill);
  CHECK(s.faults[0].attempt == 5);

  for (const char* action : {"terminate", "pause"}) {
    CAPTURE(action);
    std::string extra = std::string(action) == "pause" ? "duration = \"10ms\"\n" : "";
    std::string message = error_of("strategy = \"queue\"\ntickets = 10\nbuyers = 2\n"
                                   "[[faults]]\ntarget = \"seller\"\naction = \"" +
                                   std::string(action) + "\"\n" + extra);
    CHECK(message.rfind("x.toml:4:", 0) == 0);
    CHECK(contains(message, "the seller can only be killed"));
  }
}

TEST_CASE("[[faults]]: values not among the choices") {
  std::string action = error_of(std::string(kMinimal) + "[[faults]]\naction = \"stop\"\n");
  CHECK(action.rfind("x.toml:5:1: key 'faults.action':", 0) == 0);
  CHECK(contains(action, "'stop'"));
  CHECK(contains(action, "\"kill\""));
  CHECK(contains(action, "\"terminate\""));
  CHECK(contains(action, "\"pause\""));

  std::string target = error_of(std::string(kMinimal) + "[[faults]]\naction = \"kill\"\ntarget = \"buyer\"\n");
  CHECK(target.rfind("x.toml:6:1: key 'faults.target':", 0) == 0);
  CHECK(contains(target, "'buyer'"));
  CHECK(contains(target, "\"buyers\""));
  CHECK(contains(target, "\"seller\""));

  std::string point = error_of(std::string(kMinimal) + "[[faults]]\naction = \"kill\"\npoint = \"after-lock\"\n");
  CHECK(point.rfind("x.toml:6:1: key 'faults.point':", 0) == 0);
  CHECK(contains(point, "'after-lock'"));
  CHECK(contains(point, "\"before-lock\""));
  CHECK(contains(point, "\"in-critical-section\""));
  CHECK(contains(point, "\"after-write-before-ack\""));

  std::string type = error_of(std::string(kMinimal) + "[[faults]]\naction = 9\n");
  CHECK(type.rfind("x.toml:5:1: key 'faults.action':", 0) == 0);
  CHECK(contains(type, "string"));
}

TEST_CASE("[[faults]]: an unknown key suggests a near one") {
  std::string message = error_of(std::string(kMinimal) + "[[faults]]\nacton = \"kill\"\n");
  CHECK(message.rfind("x.toml:5:1:", 0) == 0);
  CHECK(contains(message, "unknown key 'faults.acton'"));
  CHECK(contains(message, "did you mean 'faults.action'"));

  std::string attempts = error_of(std::string(kMinimal) + "[[faults]]\naction = \"kill\"\nattempts = 2\n");
  CHECK(attempts.rfind("x.toml:6:1:", 0) == 0);
  CHECK(contains(attempts, "did you mean 'faults.attempt'"));

  std::string far = error_of(std::string(kMinimal) + "[[faults]]\naction = \"kill\"\nsignal = 9\n");
  CHECK(contains(far, "unknown key 'faults.signal'"));
  CHECK_FALSE(contains(far, "did you mean"));

  // And at the top level, a near miss of the new keys.
  std::string top = error_of(std::string(kMinimal) + "lock_timout = \"1s\"\n");
  CHECK(top.rfind("x.toml:4:1:", 0) == 0);
  CHECK(contains(top, "did you mean 'lock_timeout'"));
  std::string fault = error_of(std::string(kMinimal) + "[[fault]]\naction = \"kill\"\n");
  CHECK(contains(fault, "unknown key 'fault'"));
  CHECK(contains(fault, "did you mean 'faults'"));
}

TEST_CASE("[faults] must be an array of tables") {
  std::string table = error_of(std::string(kMinimal) + "[faults]\naction = \"kill\"\n");
  CHECK(table.rfind("x.toml:4:", 0) == 0);
  CHECK(contains(table, "key 'faults'"));
  CHECK(contains(table, "[[faults]]"));

  std::string number = error_of(std::string(kMinimal) + "faults = 3\n");
  CHECK(number.rfind("x.toml:4:", 0) == 0);
  CHECK(contains(number, "[[faults]]"));

  std::string strings = error_of(std::string(kMinimal) + "faults = [\"kill\"]\n");
  CHECK(strings.rfind("x.toml:4:", 0) == 0);
  CHECK(contains(strings, "[[faults]]"));

  std::string mixed = error_of(std::string(kMinimal) + "faults = [{action = \"kill\"}, 3]\n");
  CHECK(mixed.rfind("x.toml:4:", 0) == 0);
}

TEST_CASE("expect verdict \"stuck\"") {
  Scenario s = parse_scenario(std::string(kMinimal) + "[expect]\nverdict = \"stuck\"\n", "x.toml");
  CHECK(s.expected == Verdict::kStuck);

  std::string message = error_of(std::string(kMinimal) + "[expect]\nverdict = \"hung\"\n");
  CHECK(message.rfind("x.toml:5:1: key 'expect.verdict':", 0) == 0);
  CHECK(contains(message, "\"stuck\""));
  // A scenario cannot expect to be interrupted.
  std::string interrupted = error_of(std::string(kMinimal) + "[expect]\nverdict = \"interrupted\"\n");
  CHECK(interrupted.rfind("x.toml:5:1: key 'expect.verdict':", 0) == 0);
}

TEST_CASE("verdict, fault action and fault point names") {
  CHECK(verdict_name(Verdict::kStuck) == "stuck");
  CHECK(verdict_name(Verdict::kInterrupted) == "interrupted");
  for (Verdict verdict : {Verdict::kValid, Verdict::kInvalid, Verdict::kStuck}) {
    CAPTURE(verdict_name(verdict));
    std::optional<Verdict> named = verdict_named(verdict_name(verdict));
    REQUIRE(named.has_value());
    CHECK(*named == verdict);
  }
  for (const char* bad : {"", "Valid", "VALID", "ok", "stuck ", "maybe", "unknown"}) {
    CAPTURE(bad);
    CHECK_FALSE(verdict_named(bad).has_value());
  }

  CHECK(fault_action_name(FaultAction::kKill) == "kill");
  CHECK(fault_action_name(FaultAction::kTerminate) == "terminate");
  CHECK(fault_action_name(FaultAction::kPause) == "pause");
  CHECK(fault_point_name(FaultPoint::kBeforeLock) == "before-lock");
  CHECK(fault_point_name(FaultPoint::kInCriticalSection) == "in-critical-section");
  CHECK(fault_point_name(FaultPoint::kAfterWriteBeforeAck) == "after-write-before-ack");

  // The names are the values a scenario writes.
  for (FaultAction action : {FaultAction::kKill, FaultAction::kTerminate, FaultAction::kPause}) {
    CAPTURE(fault_action_name(action));
    std::string extra = action == FaultAction::kPause ? "duration = \"1ms\"\n" : "";
    Scenario s = parse_scenario(std::string(kMinimal) + "[[faults]]\naction = \"" +
                                    std::string(fault_action_name(action)) + "\"\n" + extra,
                                "x.toml");
    REQUIRE(s.faults.size() == 1);
    CHECK(s.faults[0].action == action);
  }
  for (FaultPoint point : {FaultPoint::kBeforeLock, FaultPoint::kInCriticalSection, FaultPoint::kAfterWriteBeforeAck}) {
    CAPTURE(fault_point_name(point));
    Scenario s = parse_scenario(std::string(kMinimal) + "[[faults]]\naction = \"kill\"\npoint = \"" +
                                    std::string(fault_point_name(point)) + "\"\n",
                                "x.toml");
    REQUIRE(s.faults.size() == 1);
    CHECK(s.faults[0].point == point);
  }
}

TEST_CASE("errors in the new keys stay on one line") {
  error_of(std::string(kMinimal) + "[store]\njson_write = \"re\\nname\"\n");
  error_of(std::string(kMinimal) + "[[faults]]\naction = \"ki\\nll\"\n");
  error_of(std::string(kMinimal) + "[[faults]]\n\"act\\nion\" = \"kill\"\n");
  error_of(std::string(kMinimal) + "lock_timeout = \"1\\ns\"\n");
}

TEST_CASE("the shipped crash scenarios") {
  const char* env = std::getenv("SCENARIOS");
  std::filesystem::path dir = env && *env ? env : "../scenarios";
  REQUIRE_MESSAGE(std::filesystem::is_directory(dir), "no scenarios directory at " << dir);
  std::vector<std::filesystem::path> crashes;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    if (name.starts_with("crash-") && entry.path().extension() == ".toml") crashes.push_back(entry.path());
  }
  std::sort(crashes.begin(), crashes.end());
  CHECK(crashes.size() >= 7);
  for (const auto& file : crashes) {
    CAPTURE(file);
    Scenario s;
    REQUIRE_NOTHROW(s = load_scenario(file.string()));
    CHECK(s.name == file.stem().string());
    REQUIRE(find_strategy(s.strategy) != nullptr);
    CHECK_FALSE(s.faults.empty());
    CHECK(s.lock_timeout >= 1ms);
    CHECK(s.lock_timeout < 10s);  // each sets one short enough to end a stuck run soon
    for (const Fault& fault : s.faults) {
      CHECK(fault.count >= 1);
      CHECK(fault.count <= s.buyers);
      CHECK(fault.attempt >= 1);
      if (fault.seller) {
        CHECK(s.strategy == "queue");
        CHECK(fault.action == FaultAction::kKill);
      }
    }
    CHECK(s.expected != Verdict::kInterrupted);
  }

  // The two that end stuck, and one that survives.
  Scenario named = load_scenario((dir / "crash-named-mutex.toml").string());
  CHECK(named.strategy == "named-mutex");
  CHECK(named.expected == Verdict::kStuck);
  REQUIRE(named.faults.size() == 1);
  CHECK(named.faults[0].action == FaultAction::kKill);
  CHECK(named.faults[0].point == FaultPoint::kInCriticalSection);
  CHECK(named.faults[0].count == 2);
  CHECK(named.faults[0].attempt == 2);
  CHECK(named.lock_timeout == 2s);

  Scenario seller = load_scenario((dir / "crash-seller.toml").string());
  CHECK(seller.strategy == "queue");
  CHECK(seller.expected == Verdict::kStuck);
  REQUIRE(seller.faults.size() == 1);
  CHECK(seller.faults[0].seller);
  CHECK(seller.faults[0].attempt == 20);
  CHECK(seller.lock_timeout == 1s);

  Scenario robust = load_scenario((dir / "crash-robust-mutex.toml").string());
  CHECK(robust.strategy == "robust-mutex");
  CHECK(robust.expected == Verdict::kValid);
}

// A fault's count is checked against the buyers; when the file has no
// buyers at all, the missing key is the error to report, not the count.
TEST_CASE("a fault in a file without buyers reports the missing key") {
  std::string message = error_of("strategy = \"plain\"\ntickets = 1\n[[faults]]\naction = \"kill\"\ncount = 2\n");
  CHECK(contains(message, "missing key 'buyers'"));
  CHECK_FALSE(contains(message, "faults.count"));
}

TEST_CASE("an empty list of faults is no fault") {
  Scenario scenario = parse_scenario("strategy = \"plain\"\ntickets = 1\nbuyers = 2\nfaults = []\n", "x.toml");
  CHECK(scenario.faults.empty());
}

TEST_CASE("a pause of no time is refused") {
  std::string message = error_of(
      "strategy = \"plain\"\ntickets = 1\nbuyers = 2\n[[faults]]\naction = \"pause\"\nduration = \"0\"\n");
  CHECK(contains(message, "x.toml:4:"));
  CHECK(contains(message, "longer than 0"));
}

TEST_CASE("every input of the fuzzing corpus parses or is refused in one line") {
  // Crashes the fuzzer finds are added to this corpus once fixed: replayed here.
  const char* root = std::getenv("FUZZ_CORPUS");
  std::filesystem::path corpus = std::filesystem::path(root && *root ? root : "../tests/fuzz") / "scenario_corpus";
  REQUIRE(std::filesystem::is_directory(corpus));
  int inputs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(corpus)) {
    CAPTURE(entry.path().string());
    std::ifstream in(entry.path(), std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    try {
      parse_scenario(text, "fuzz.toml");
    } catch (const InputError& e) {
      CHECK(std::string(e.what()).find('\n') == std::string::npos);
    }
    ++inputs;
  }
  CHECK(inputs >= 10);
}

// ---------------------------------------------------------------------------
// The comparison matrix: strategies, buyers as a list, runs, warmup.

TEST_CASE("a matrix: strategies, a list of buyer counts, runs and warmup") {
  Scenario s = parse_scenario(
      "strategies = [\"sqlite\", \"file-lock\"]\n"
      "buyers = [1, 4, 16]\n"
      "runs = 5\n"
      "warmup = 1\n"
      "tickets = 10\n",
      "m.toml");
  CHECK(s.strategies == std::vector<std::string>{"sqlite", "file-lock"});
  CHECK(s.buyer_counts == std::vector<std::int64_t>{1, 4, 16});
  CHECK(s.strategy == "sqlite");  // the first of each list
  CHECK(s.buyers == 1);
  CHECK(s.runs == 5);
  CHECK(s.warmup == 1);
  CHECK(s.has_matrix());
}

TEST_CASE("without a matrix: one strategy, one buyer count, no runs") {
  Scenario s = parse_scenario(kMinimal, "x.toml");
  CHECK(s.strategies.empty());
  CHECK(s.buyer_counts.empty());
  CHECK_FALSE(s.runs.has_value());
  CHECK(s.warmup == 0);
  CHECK_FALSE(s.has_matrix());
  // A list of one is still one cell.
  Scenario one = parse_scenario("strategies = [\"plain\"]\ntickets = 1\nbuyers = [3]\n", "x.toml");
  CHECK_FALSE(one.has_matrix());
  CHECK(one.strategy == "plain");
  CHECK(one.buyers == 3);
}

TEST_CASE("matrix errors name the key and its line") {
  CHECK(contains(error_of("strategies = [\"plain\", \"nope\"]\ntickets = 1\nbuyers = 2\n"),
                 "x.toml:1:1: key 'strategies': unknown strategy 'nope'"));
  CHECK(contains(error_of("strategies = [\"plain\", \"plain\"]\ntickets = 1\nbuyers = 2\n"), "lists 'plain' twice"));
  CHECK(contains(error_of("strategies = []\ntickets = 1\nbuyers = 2\n"), "at least one strategy"));
  CHECK(contains(error_of("strategies = \"plain\"\ntickets = 1\nbuyers = 2\n"), "must be a list"));
  CHECK(contains(error_of("strategies = [1]\ntickets = 1\nbuyers = 2\n"), "must be a string"));
  CHECK(contains(error_of("strategy = \"plain\"\nstrategies = [\"sqlite\"]\ntickets = 1\nbuyers = 2\n"),
                 "either 'strategy' or 'strategies'"));
  CHECK(contains(error_of("strategy = \"plain\"\ntickets = 1\nbuyers = [2, 0]\n"),
                 "x.toml:3:1: key 'buyers': must be from 1 to"));
  CHECK(contains(error_of("strategy = \"plain\"\ntickets = 1\nbuyers = [2, 2]\n"), "lists 2 twice"));
  CHECK(contains(error_of("strategy = \"plain\"\ntickets = 1\nbuyers = []\n"), "at least one buyer count"));
  CHECK(contains(error_of("strategy = \"plain\"\ntickets = 1\nbuyers = [\"2\"]\n"), "must be an integer"));
  CHECK(contains(error_of("strategy = \"plain\"\ntickets = 1\nbuyers = 2.5\n"), "must be an integer, or a list"));
  CHECK(contains(error_of(std::string(kMinimal) + "runs = 0\n"), "key 'runs': must be from 1 to 1000 (got 0)"));
  CHECK(contains(error_of(std::string(kMinimal) + "warmup = -1\n"), "key 'warmup': must be from 0 to 1000"));
  CHECK(contains(error_of(std::string(kMinimal) + "run = 3\n"), "did you mean 'runs'?"));
  CHECK(contains(error_of("tickets = 1\nbuyers = 2\n"), "missing key 'strategy' (or 'strategies')"));
}

TEST_CASE("a fault must fit the fewest buyers of the matrix") {
  std::string faults = "[[faults]]\naction = \"kill\"\ncount = 3\n";
  CHECK_NOTHROW(parse_scenario("strategy = \"named-mutex\"\ntickets = 9\nbuyers = [4, 8]\n" + faults, "x.toml"));
  CHECK(contains(error_of("strategy = \"named-mutex\"\ntickets = 9\nbuyers = [8, 2]\n" + faults),
                 "must be from 1 to the number of buyers, 2 (got 3)"));
}

TEST_CASE("matrix overrides name their option") {
  Scenario s = parse_scenario(kMinimal, "x.toml");
  set_strategies(s, {"sqlite", "queue"}, "--strategies");
  CHECK(s.strategies == std::vector<std::string>{"sqlite", "queue"});
  CHECK(s.strategy == "sqlite");
  set_buyer_counts(s, {8, 2}, "--buyers");
  CHECK(s.buyers == 8);
  set_runs(s, 7, "--runs");
  CHECK(s.runs == 7);
  set_warmup(s, 0, "--warmup");
  CHECK(s.warmup == 0);
  auto message = [](auto call) {
    try {
      call();
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(message([&] { set_strategies(s, {"bogus"}, "--strategies"); }).rfind("--strategies: unknown strategy 'bogus'", 0) == 0);
  CHECK(message([&] { set_buyer_counts(s, {}, "--buyers"); }) == "--buyers: must list at least one buyer count");
  CHECK(message([&] { set_runs(s, 1001, "--runs"); }) == "--runs: must be from 1 to 1000 (got 1001)");
  CHECK(message([&] { set_warmup(s, -2, "--warmup"); }) == "--warmup: must be from 0 to 1000 (got -2)");
}

TEST_CASE("server faults: the keys are checked, each error one line with file:line:col and the key") {
  const std::string base = "strategy = \"postgres-atomic\"\ntickets = 1\nbuyers = 2\n";
  CHECK(error_of(base + "[[faults]]\ntarget = \"server\"\naction = \"kill\"\nat = \"1s\"\n") ==
        "x.toml:6:1: key 'faults.action': the server can be crashed (\"crash\") or paused (\"pause\"), not killed or "
        "terminated");
  CHECK(error_of(base + "[[faults]]\ntarget = \"server\"\naction = \"crash\"\n") ==
        "x.toml:5:1: key 'faults.target': a server fault needs 'at' (a time from the start) or 'after_sales' (a "
        "number of sales)");
  CHECK(error_of(base + "[[faults]]\ntarget = \"server\"\naction = \"crash\"\nat = \"1s\"\nafter_sales = 3\n") ==
        "x.toml:8:1: key 'faults.after_sales': give either 'at' or 'after_sales', not both");
  CHECK(error_of(base + "[[faults]]\ntarget = \"server\"\naction = \"crash\"\nat = \"1s\"\npoint = \"before-lock\"\n") ==
        "x.toml:8:1: key 'faults.point': a buyer's key; a fault with target \"server\" takes 'at' or 'after_sales'");
  CHECK(error_of(base + "[[faults]]\naction = \"crash\"\n") ==
        "x.toml:5:1: key 'faults.action': only the server can be crashed: add target = \"server\"");
  CHECK(error_of(base + "[[faults]]\naction = \"kill\"\nafter_sales = 2\n") ==
        "x.toml:6:1: key 'faults.after_sales': only a fault with target \"server\" takes 'at' or 'after_sales'");
  CHECK(error_of(base + "[[faults]]\ntarget = \"server\"\naction = \"crash\"\nafter_sales = 0\n") ==
        "x.toml:7:1: key 'faults.after_sales': must be 1 or more (got 0)");
  CHECK(error_of(base + "[[faults]]\ntarget = \"server\"\naction = \"pause\"\nat = \"1s\"\n").find(
            "a pause needs a duration longer than 0") != std::string::npos);
}

TEST_CASE("server faults and after-commit-sent: what check_runnable refuses for the strategy, naming the key") {
  const std::string crash = "tickets = 1\nbuyers = 2\n[[faults]]\ntarget = \"server\"\naction = \"crash\"\nat = \"200ms\"\n";
  Scenario on_file = parse_scenario("strategy = \"file-lock\"\n" + crash, "x.toml");
  CHECK_THROWS_WITH_AS(check_runnable(on_file),
                       "x.toml:5:1: key 'faults.target': a fault with target \"server\" needs a strategy with a "
                       "database server (postgres-*, redis-*); file-lock has none",
                       InputError);
  Scenario named = parse_scenario(
      "strategy = \"postgres-atomic\"\n" + crash + "[postgres]\nconninfo = \"host=/nonexistent\"\n", "x.toml");
  CHECK_THROWS_WITH_AS(check_runnable(named), doctest::Contains("needs the run's own embedded server"), InputError);
  Scenario commit = parse_scenario(
      "strategy = \"sqlite\"\ntickets = 1\nbuyers = 2\n[[faults]]\naction = \"kill\"\npoint = \"after-commit-sent\"\n",
      "x.toml");
  CHECK_THROWS_WITH_AS(check_runnable(commit),
                       "x.toml:6:1: key 'faults.point': point \"after-commit-sent\" needs a strategy that sends a "
                       "COMMIT to a server (postgres-*, redis-*); sqlite has none",
                       InputError);
  Scenario fine = parse_scenario("strategy = \"postgres-atomic\"\n" + crash, "x.toml");
  CHECK_NOTHROW(check_runnable(fine));
}

TEST_CASE("[hosts]: names, launch and buyers") {
  Scenario s = parse_scenario(std::string(kMinimal) +
                                  "[hosts]\nnames = [\"a\", \"b\"]\nlaunch = \"{ticketsim} agent --stdio\"\n"
                                  "buyers = [1, 1]\n",
                              "x.toml");
  CHECK(s.hosts == std::vector<std::string>{"a", "b"});
  CHECK(s.launch == "{ticketsim} agent --stdio");
  CHECK(s.host_buyers == std::vector<std::int64_t>{1, 1});
  CHECK(parse_scenario(kMinimal, "x.toml").hosts.empty());
  CHECK(parse_scenario(kMinimal, "x.toml").launch == Scenario::kDefaultLaunch);

  CHECK(contains(error_of(std::string(kMinimal) + "[hosts]\nname = [\"a\"]\n"), "did you mean 'hosts.names'?"));
  CHECK(contains(error_of(std::string(kMinimal) + "[hosts]\nnames = [\"a\", \"a\"]\n"), "host 'a' is named twice"));
  CHECK(contains(error_of(std::string(kMinimal) + "[hosts]\nnames = [\"a;rm\"]\n"), "is not a host name"));
  CHECK(contains(error_of(std::string(kMinimal) + "[hosts]\nnames = []\n"), "at least one host"));
  CHECK(contains(error_of(std::string(kMinimal) + "[hosts]\nnames = [\"a\", \"b\"]\nbuyers = [2]\n"),
                 "gives 1 share but names lists 2 hosts"));
  CHECK(contains(error_of(std::string(kMinimal) + "[hosts]\nnames = [\"a\"]\nbuyers = [0]\n"), "at least 1 buyer"));
  CHECK(contains(error_of(std::string(kMinimal) + "[hosts]\nlaunch = \" \"\n"), "starts an agent"));
}
