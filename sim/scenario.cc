#include "sim/scenario.h"

#include <libpq-fe.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <vector>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "storage/redis_connection.h"
#include "storage/store.h"
#include "storage/words.h"

namespace ticketsim {

std::string_view mode_name(Mode mode) {
  return mode == Mode::kSerial ? "serial" : "concurrent";
}

std::string_view verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::kValid: return "valid";
    case Verdict::kInvalid: return "invalid";
    case Verdict::kStuck: return "stuck";
    case Verdict::kInterrupted: return "interrupted";
  }
  return "unknown";
}

std::optional<Verdict> verdict_named(std::string_view name) {
  for (Verdict verdict : {Verdict::kValid, Verdict::kInvalid, Verdict::kStuck}) {
    if (verdict_name(verdict) == name) return verdict;
  }
  return std::nullopt;
}

namespace {

// The faults' names, each written once: for reading scenarios and for
// reports.
template <typename Value>
struct Named {
  Value value;
  std::string_view name;
};
constexpr Named<FaultAction> kFaultActions[] = {
    {FaultAction::kKill, "kill"}, {FaultAction::kTerminate, "terminate"}, {FaultAction::kPause, "pause"},
    {FaultAction::kCrash, "crash"}};
constexpr Named<FaultPoint> kFaultPoints[] = {{FaultPoint::kBeforeLock, "before-lock"},
                                              {FaultPoint::kInCriticalSection, "in-critical-section"},
                                              {FaultPoint::kAfterWriteBeforeAck, "after-write-before-ack"},
                                              {FaultPoint::kAfterCommitSent, "after-commit-sent"}};

template <typename Value, std::size_t N>
std::string_view name_in(const Named<Value> (&table)[N], Value value) {
  for (const Named<Value>& entry : table) {
    if (entry.value == value) return entry.name;
  }
  return "unknown";
}

}  // namespace

std::string_view fault_action_name(FaultAction action) { return name_in(kFaultActions, action); }

std::string_view fault_point_name(FaultPoint point) { return name_in(kFaultPoints, point); }

namespace {

constexpr std::array<std::string_view, 20> kTopKeys = {
    "name",    "description", "strategy",     "strategies",       "tickets", "buyers",
    "runs",    "warmup",      "attempts",     "mode",             "seed",    "lock_timeout",
    "monitor_interval",       "delays",       "store",            "postgres", "redis",   "hosts",   "faults",  "expect"};
constexpr std::array<std::string_view, 3> kDelayKeys = {"search", "purchase", "jitter"};
constexpr std::array<std::string_view, 3> kStoreKeys = {"json_write", "journal_mode", "synchronous"};
constexpr std::array<std::string_view, 6> kPostgresKeys = {"conninfo", "isolation", "max_tries", "synchronous_commit",
                                                           "fsync", "full_page_writes"};
constexpr std::array<std::string_view, 4> kRedisKeys = {"url", "appendonly", "appendfsync", "max_tries"};
constexpr std::array<std::string_view, 3> kHostsKeys = {"names", "launch", "buyers"};
constexpr std::array<std::string_view, 8> kFaultKeys = {"action",  "target",   "point", "count",
                                                        "attempt", "duration", "at",    "after_sales"};
constexpr std::array<std::string_view, 1> kExpectKeys = {"verdict"};

[[noreturn]] void fail(std::string_view where, std::string_view message) {
  throw InputError(fmt::format("{}: {}", where, message));
}

// A key in a scenario file: its dotted name and where it stands.
class Key {
 public:
  Key(const std::string& file, std::string name, const toml::source_region& region)
      : file_(file), name_(std::move(name)), line_(region.begin.line), column_(region.begin.column) {}

  // "scenarios/x.toml:3:1: key 'buyers'"
  std::string where() const {
    return fmt::format("{}:{}:{}: key '{}'", file_, line_, column_, name_);
  }
  [[noreturn]] void fail(std::string_view message) const { ticketsim::fail(where(), message); }

 private:
  const std::string& file_;
  std::string name_;
  std::uint32_t line_;
  std::uint32_t column_;
};

template <std::size_t N>
void reject_unknown_keys(const toml::table& table, const std::array<std::string_view, N>& known,
                         const std::string& file, std::string_view prefix) {
  for (const auto& [key, node] : table) {
    if (std::find(known.begin(), known.end(), key.str()) != known.end()) continue;
    std::string message = fmt::format("{}:{}:{}: unknown key '{}{}'", file, key.source().begin.line,
                                      key.source().begin.column, prefix, key.str());
    std::string_view best;
    std::size_t best_distance = 3;
    for (std::string_view candidate : known) {
      std::size_t distance = edit_distance(key.str(), candidate);
      if (distance < best_distance) best = candidate, best_distance = distance;
    }
    if (!best.empty()) message += fmt::format("; did you mean '{}{}'?", prefix, best);
    throw InputError(message);
  }
}

std::string string_value(const Key& key, const toml::node& node) {
  if (!node.is_string()) key.fail("must be a string");
  return node.as_string()->get();
}

std::int64_t integer_value(const Key& key, const toml::node& node) {
  if (!node.is_integer()) key.fail("must be an integer");
  return node.as_integer()->get();
}

bool bool_value(const Key& key, const toml::node& node) {
  if (!node.is_boolean()) key.fail("must be true or false");
  return node.as_boolean()->get();
}

Duration duration_value(const Key& key, const toml::node& node) {
  if (node.is_integer() && node.as_integer()->get() == 0) return Duration::zero();
  if (!node.is_string()) key.fail("must be a duration such as \"50ms\" or \"1s\"");
  std::optional<Duration> duration = parse_duration(node.as_string()->get());
  if (!duration) {
    key.fail(fmt::format("'{}' is not a duration such as \"50ms\", \"1.5s\" or \"250us\"",
                         node.as_string()->get()));
  }
  return *duration;
}

const toml::table& table_value(const Key& key, const toml::node& node) {
  if (!node.is_table()) key.fail("must be a table");
  return *node.as_table();
}

void read_delays(Scenario& scenario, const toml::table& table) {
  reject_unknown_keys(table, kDelayKeys, scenario.file, "delays.");
  for (const auto& [name, node] : table) {
    Key key(scenario.file, "delays." + std::string(name.str()), name.source());
    if (name == "search") {
      scenario.delays.search = duration_value(key, node);
    } else if (name == "purchase") {
      scenario.delays.purchase = duration_value(key, node);
    } else if (name == "jitter") {
      if (!node.is_number()) key.fail("must be a number from 0 to 1");
      double jitter = node.value<double>().value_or(-1);
      if (!(jitter >= 0 && jitter <= 1)) key.fail(fmt::format("must be from 0 to 1 (got {})", jitter));
      scenario.delays.jitter = jitter;
    }
  }
}

void read_expect(Scenario& scenario, const toml::table& table) {
  reject_unknown_keys(table, kExpectKeys, scenario.file, "expect.");
  for (const auto& [name, node] : table) {
    Key key(scenario.file, "expect." + std::string(name.str()), name.source());
    std::string verdict = string_value(key, node);
    std::optional<Verdict> expected = verdict_named(verdict);
    if (!expected) key.fail(fmt::format("'{}' is not a verdict; use \"valid\", \"invalid\" or \"stuck\"", verdict));
    scenario.expected = *expected;
  }
}

// One of `choices`, or a message that lists them.
std::string choice_value(const Key& key, const toml::node& node, std::initializer_list<std::string_view> choices) {
  std::string value = string_value(key, node);
  std::string listed;
  for (std::string_view choice : choices) {
    if (value == choice) return value;
    listed += fmt::format("{}\"{}\"", listed.empty() ? "" : ", ", choice);
  }
  key.fail(fmt::format("'{}' is not one of {}", value, listed));
}

// One of the names in `table`, as its value, or a message that lists them.
template <typename Value, std::size_t N>
Value named_value(const Key& key, const toml::node& node, const Named<Value> (&table)[N]) {
  std::string value = string_value(key, node);
  std::string listed;
  for (const Named<Value>& entry : table) {
    if (value == entry.name) return entry.value;
    listed += fmt::format("{}\"{}\"", listed.empty() ? "" : ", ", entry.name);
  }
  key.fail(fmt::format("'{}' is not one of {}", value, listed));
}

void read_store(Scenario& scenario, const toml::table& table) {
  reject_unknown_keys(table, kStoreKeys, scenario.file, "store.");
  for (const auto& [name, node] : table) {
    Key key(scenario.file, "store." + std::string(name.str()), name.source());
    if (name == "json_write") {
      scenario.plain_rename = choice_value(key, node, {"truncate", "rename"}) == "rename";
    } else if (name == "journal_mode") {
      scenario.journal_mode = choice_value(key, node, {"wal", "delete"});
    } else if (name == "synchronous") {
      scenario.synchronous = choice_value(key, node, {"off", "normal", "full"});
    }
  }
}

// Why `conninfo` is not one libpq would take; empty when it is. libpq's own
// parser: a typo is found here, not after the fork.
std::string conninfo_problem(const std::string& conninfo) {
  if (conninfo.empty()) return "must not be empty; leave it out for a server of the run's own";
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (!options) {
    std::string why = error ? error : "out of memory";
    PQfreemem(error);
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    return fmt::format("not a libpq conninfo: {}", why);
  }
  PQconninfoFree(options);
  return {};
}

void read_postgres(Scenario& scenario, const toml::table& table) {
  reject_unknown_keys(table, kPostgresKeys, scenario.file, "postgres.");
  for (const auto& [name, node] : table) {
    Key key(scenario.file, "postgres." + std::string(name.str()), name.source());
    if (name == "conninfo") {
      std::string conninfo = string_value(key, node);
      if (std::string problem = conninfo_problem(conninfo); !problem.empty()) key.fail(problem);
      scenario.postgres_conninfo = conninfo;
    } else if (name == "isolation") {
      scenario.postgres_isolation = choice_value(key, node, {"read-committed", "repeatable-read", "serializable"});
    } else if (name == "max_tries") {
      std::int64_t tries = integer_value(key, node);
      if (tries < 1 || tries > kMaxPostgresTries) {
        key.fail(fmt::format("must be from 1 to {} (got {})", kMaxPostgresTries, tries));
      }
      scenario.postgres_max_tries = tries;
    } else if (name == "synchronous_commit") {
      scenario.postgres_synchronous_commit =
          choice_value(key, node, {"on", "off", "local", "remote_write", "remote_apply"});
    } else if (name == "fsync") {
      scenario.postgres_fsync = bool_value(key, node);
    } else if (name == "full_page_writes") {
      scenario.postgres_full_page_writes = bool_value(key, node);
    }
  }
}

// [hosts]: the run's buyers forked by agents on these hosts.
void read_hosts(Scenario& scenario, const toml::table& table) {
  reject_unknown_keys(table, kHostsKeys, scenario.file, "hosts.");
  for (const auto& [name, node] : table) {
    Key key(scenario.file, "hosts." + std::string(name.str()), name.source());
    if (name == "names") {
      if (!node.is_array()) key.fail("must be a list of host names");
      std::vector<std::string> names;
      for (const toml::node& entry : *node.as_array()) names.push_back(string_value(key, entry));
      set_hosts(scenario, names, key.where());
    } else if (name == "launch") {
      set_launch(scenario, string_value(key, node), key.where());
    } else if (name == "buyers") {
      if (!node.is_array()) key.fail("must be a list of buyer counts, one per host");
      std::vector<std::int64_t> shares;
      for (const toml::node& entry : *node.as_array()) {
        std::int64_t share = integer_value(key, entry);
        if (share < 1) key.fail(fmt::format("each host needs at least 1 buyer (got {})", share));
        shares.push_back(share);
      }
      scenario.host_buyers = shares;
    }
  }
  if (!scenario.host_buyers.empty() && scenario.host_buyers.size() != scenario.hosts.size()) {
    fail(scenario.file, fmt::format("[hosts] buyers gives {} but names lists {}",
                                    plural(static_cast<std::int64_t>(scenario.host_buyers.size()), "share"),
                                    plural(static_cast<std::int64_t>(scenario.hosts.size()), "host")));
  }
}

std::string redis_url_problem(const std::string& url) {
  if (url.empty()) return "must not be empty; leave it out for a server of the run's own";
  std::string why;
  if (!parse_redis_url(url, &why)) return fmt::format("'{}' is not a Redis URL: {}", url, why);
  return {};
}

void read_redis(Scenario& scenario, const toml::table& table) {
  reject_unknown_keys(table, kRedisKeys, scenario.file, "redis.");
  for (const auto& [name, node] : table) {
    Key key(scenario.file, "redis." + std::string(name.str()), name.source());
    if (name == "url") {
      std::string url = string_value(key, node);
      if (std::string problem = redis_url_problem(url); !problem.empty()) key.fail(problem);
      scenario.redis_url = url;
    } else if (name == "appendonly") {
      scenario.redis_appendonly = bool_value(key, node);
    } else if (name == "appendfsync") {
      scenario.redis_appendfsync = choice_value(key, node, {"always", "everysec", "no"});
    } else if (name == "max_tries") {
      std::int64_t tries = integer_value(key, node);
      if (tries < 1 || tries > kMaxPostgresTries) {
        key.fail(fmt::format("must be from 1 to {} (got {})", kMaxPostgresTries, tries));
      }
      scenario.redis_max_tries = tries;
    }
  }
}

void read_fault(Scenario& scenario, const toml::table& table, const Key& where) {
  reject_unknown_keys(table, kFaultKeys, scenario.file, "faults.");
  Fault fault;
  fault.where = where.where();
  bool has_action = false, has_duration = false;
  // The keys that only a buyer's fault, or only the server's, takes: the
  // first one given, to name it.
  std::optional<Key> buyer_key, server_key, point_key, target_key, action_key;
  for (const auto& [name, node] : table) {
    Key key(scenario.file, "faults." + std::string(name.str()), name.source());
    if (name == "action") {
      fault.action = named_value(key, node, kFaultActions);
      has_action = true;
      action_key.emplace(key);
    } else if (name == "target") {
      std::string target = choice_value(key, node, {"buyers", "seller", "server"});
      fault.seller = target == "seller";
      fault.server = target == "server";
      target_key.emplace(key);
    } else if (name == "point") {
      fault.point = named_value(key, node, kFaultPoints);
      point_key.emplace(key);
      if (!buyer_key) buyer_key.emplace(key);
    } else if (name == "count") {
      fault.count = integer_value(key, node);
      std::int64_t fewest = scenario.buyer_counts.empty()
                                ? scenario.buyers
                                : *std::min_element(scenario.buyer_counts.begin(), scenario.buyer_counts.end());
      if (fault.count < 1 || fault.count > fewest) {
        key.fail(fmt::format("must be from 1 to the number of buyers, {} (got {})", fewest, fault.count));
      }
      if (!buyer_key) buyer_key.emplace(key);
    } else if (name == "attempt") {
      fault.attempt = integer_value(key, node);
      if (fault.attempt < 1) key.fail(fmt::format("must be 1 or more (got {})", fault.attempt));
      if (!buyer_key) buyer_key.emplace(key);
    } else if (name == "duration") {
      fault.pause = duration_value(key, node);
      has_duration = true;
    } else if (name == "at") {
      fault.at = duration_value(key, node);
      if (!server_key) server_key.emplace(key);
    } else if (name == "after_sales") {
      fault.after_sales = integer_value(key, node);
      if (fault.after_sales < 1) key.fail(fmt::format("must be 1 or more (got {})", fault.after_sales));
      if (!server_key) server_key.emplace(key);
    }
  }
  if (!has_action) where.fail("a fault needs an action: \"kill\", \"terminate\", \"pause\" or \"crash\"");
  if (fault.action == FaultAction::kPause && (!has_duration || fault.pause.count() == 0)) {
    where.fail("a pause needs a duration longer than 0");
  }
  if (fault.action != FaultAction::kPause && has_duration) where.fail("only a pause takes a duration");
  if (fault.seller && fault.action != FaultAction::kKill) where.fail("the seller can only be killed");
  if (fault.server) {
    if (fault.action != FaultAction::kCrash && fault.action != FaultAction::kPause) {
      action_key->fail("the server can be crashed (\"crash\") or paused (\"pause\"), not killed or terminated");
    }
    if (buyer_key) buyer_key->fail("a buyer's key; a fault with target \"server\" takes 'at' or 'after_sales'");
    if (!table.contains("at") && !table.contains("after_sales")) {
      target_key->fail("a server fault needs 'at' (a time from the start) or 'after_sales' (a number of sales)");
    }
    if (table.contains("at") && table.contains("after_sales")) {
      server_key->fail("give either 'at' or 'after_sales', not both");
    }
    fault.where = target_key->where();
  } else {
    if (fault.action == FaultAction::kCrash) {
      action_key->fail("only the server can be crashed: add target = \"server\"");
    }
    if (server_key) server_key->fail("only a fault with target \"server\" takes 'at' or 'after_sales'");
    if (point_key) fault.where = point_key->where();
  }
  scenario.faults.push_back(fault);
}

void read_faults(Scenario& scenario, const Key& key, const toml::node& node) {
  if (node.is_array() && node.as_array()->empty()) return;
  if (!node.is_array_of_tables()) key.fail("must be an array of tables: [[faults]]");
  for (const toml::node& entry : *node.as_array()) {
    Key where(scenario.file, "faults", entry.source());
    read_fault(scenario, *entry.as_table(), where);
  }
}

}  // namespace

void set_strategy(Scenario& scenario, std::string_view value, std::string_view where) {
  if (!find_strategy(value)) {
    fail(where, fmt::format("unknown strategy '{}'; known: {}", value, strategy_names()));
  }
  scenario.strategy = value;
}

void set_buyers(Scenario& scenario, std::int64_t value, std::string_view where) {
  if (value < 1 || value > kMaxBuyers) {
    fail(where, fmt::format("must be from 1 to {} (got {})", kMaxBuyers, value));
  }
  // Leave room for the processes the user already runs.
  rlimit limit{};
  if (getrlimit(RLIMIT_NPROC, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY && geteuid() != 0 &&
      static_cast<rlim_t>(value) + 64 > limit.rlim_cur) {
    fail(where, fmt::format("{} buyers would exceed the process limit RLIMIT_NPROC (ulimit -u {}) less 64 of "
                            "headroom; raise it with `ulimit -u {}` or more (its hard limit: "
                            "/etc/security/limits.conf)",
                            value, limit.rlim_cur, value + 64));
  }
  scenario.buyers = value;
}

void set_tickets(Scenario& scenario, std::int64_t value, std::string_view where) {
  if (value < 0 || value > kMaxTickets) {
    fail(where, fmt::format("must be from 0 to {} (got {})", kMaxTickets, value));
  }
  scenario.tickets = value;
}

void set_seed(Scenario& scenario, std::int64_t value, std::string_view where) {
  if (value < 0) fail(where, fmt::format("must be 0 or more (got {})", value));
  scenario.seed = static_cast<std::uint64_t>(value);
}

void set_seed(Scenario& scenario, std::string_view text, std::string_view where) {
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error == std::errc::result_out_of_range) {
    fail(where, fmt::format("must be from 0 to {} (got {})", std::numeric_limits<std::int64_t>::max(), text));
  }
  if (error != std::errc() || end != text.data() + text.size()) {
    fail(where, fmt::format("must be an integer from 0 to {} (got '{}')", std::numeric_limits<std::int64_t>::max(),
                            text));
  }
  set_seed(scenario, value, where);
}

void set_mode(Scenario& scenario, std::string_view value, std::string_view where) {
  if (value == "concurrent") scenario.mode = Mode::kConcurrent;
  else if (value == "serial") scenario.mode = Mode::kSerial;
  else fail(where, fmt::format("'{}' is not a mode; use concurrent or serial", value));
}

void set_postgres_conninfo(Scenario& scenario, const std::string& value, std::string_view where) {
  if (std::string problem = conninfo_problem(value); !problem.empty()) fail(where, problem);
  scenario.postgres_conninfo = value;
}

void expect_strategy_guarantee(Scenario& scenario) {
  const std::vector<std::string>& spoken = scenario.expected_for;
  if (std::find(spoken.begin(), spoken.end(), scenario.strategy) != spoken.end()) return;
  const StrategyInfo* strategy = find_strategy(scenario.strategy);
  if (!strategy) return;  // refused where the strategy is checked
  scenario.expected = strategy->expected_correct() ? Verdict::kValid : Verdict::kInvalid;
  scenario.expected_from = "the strategy " + scenario.strategy;
}

void set_expected(Scenario& scenario, std::string_view value, std::string_view where) {
  std::optional<Verdict> expected = verdict_named(value);
  if (!expected) fail(where, fmt::format("'{}' is not a verdict; use valid, invalid or stuck", value));
  scenario.expected = *expected;
  scenario.expected_from = where;
}

void set_redis_url(Scenario& scenario, const std::string& value, std::string_view where) {
  if (std::string problem = redis_url_problem(value); !problem.empty()) fail(where, problem);
  scenario.redis_url = value;
}

void set_hosts(Scenario& scenario, const std::vector<std::string>& names, std::string_view where) {
  if (names.empty()) fail(where, "must name at least one host");
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string& name = names[i];
    if (name.empty()) fail(where, "a host name must not be empty");
    if (name.find_first_of(" \t\n'\"\\$`;&|<>(){}") != std::string::npos) {
      fail(where, fmt::format("'{}' is not a host name (no spaces, quotes or shell characters)", name));
    }
    if (std::find(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(i), name) != names.begin() + static_cast<std::ptrdiff_t>(i)) {
      fail(where, fmt::format("host '{}' is named twice", name));
    }
  }
  scenario.hosts = names;
}

void set_launch(Scenario& scenario, const std::string& command, std::string_view where) {
  if (command.find_first_not_of(" \t") == std::string::npos) fail(where, "must be a command that starts an agent");
  scenario.launch = command;
}

void set_attempts(Scenario& scenario, std::string_view value, std::string_view where) {
  if (value == "until-sold-out") {
    scenario.attempts.reset();
    return;
  }
  std::int64_t attempts = 0;
  auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), attempts);
  if (error != std::errc() || end != value.data() + value.size() || attempts < 1 ||
      attempts > kMaxAttempts) {
    fail(where, fmt::format("must be a number from 1 to {} or \"until-sold-out\" (got '{}')",
                            kMaxAttempts, value));
  }
  scenario.attempts = attempts;
}

void set_strategies(Scenario& scenario, const std::vector<std::string>& values, std::string_view where) {
  if (values.empty()) fail(where, "must list at least one strategy");
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!find_strategy(values[i])) {
      fail(where, fmt::format("unknown strategy '{}'; known: {}", values[i], strategy_names()));
    }
    if (std::find(values.begin(), values.begin() + i, values[i]) != values.begin() + i) {
      fail(where, fmt::format("lists '{}' twice", values[i]));
    }
  }
  scenario.strategies = values;
  scenario.strategy = values.front();
}

void set_buyer_counts(Scenario& scenario, const std::vector<std::int64_t>& values, std::string_view where) {
  if (values.empty()) fail(where, "must list at least one buyer count");
  for (std::size_t i = 0; i < values.size(); ++i) {
    set_buyers(scenario, values[i], where);
    if (std::find(values.begin(), values.begin() + i, values[i]) != values.begin() + i) {
      fail(where, fmt::format("lists {} twice", values[i]));
    }
  }
  scenario.buyer_counts = values;
  scenario.buyers = values.front();
}

void set_runs(Scenario& scenario, std::int64_t value, std::string_view where) {
  if (value < 1 || value > kMaxRuns) fail(where, fmt::format("must be from 1 to {} (got {})", kMaxRuns, value));
  scenario.runs = value;
}

void set_warmup(Scenario& scenario, std::int64_t value, std::string_view where) {
  if (value < 0 || value > kMaxRuns) fail(where, fmt::format("must be from 0 to {} (got {})", kMaxRuns, value));
  scenario.warmup = value;
}

Scenario parse_scenario(std::string_view text, const std::string& path) {
  Scenario scenario;
  scenario.file = path;
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    throw InputError(fmt::format("{}:{}:{}: {}", path, e.source().begin.line,
                                 e.source().begin.column, e.description()));
  }
  reject_unknown_keys(root, kTopKeys, path, "");

  bool has_strategy = false, has_tickets = false, has_buyers = false;
  for (const auto& [name, node] : root) {
    Key key(path, std::string(name.str()), name.source());
    if (name == "name") {
      scenario.name = string_value(key, node);
    } else if (name == "description") {
      scenario.description = string_value(key, node);
    } else if (name == "strategy") {
      set_strategy(scenario, string_value(key, node), key.where());
      has_strategy = true;
    } else if (name == "tickets") {
      set_tickets(scenario, integer_value(key, node), key.where());
      has_tickets = true;
    } else if (name == "strategies") {
      if (root.contains("strategy")) key.fail("give either 'strategy' or 'strategies', not both");
      std::vector<std::string> values;
      if (!node.is_array()) key.fail("must be a list of strategy names");
      for (const toml::node& entry : *node.as_array()) values.push_back(string_value(key, entry));
      set_strategies(scenario, values, key.where());
      has_strategy = true;
    } else if (name == "buyers") {
      if (node.is_array()) {
        std::vector<std::int64_t> values;
        for (const toml::node& entry : *node.as_array()) values.push_back(integer_value(key, entry));
        set_buyer_counts(scenario, values, key.where());
      } else if (node.is_integer()) {
        set_buyers(scenario, integer_value(key, node), key.where());
      } else {
        key.fail("must be an integer, or a list of them for a comparison");
      }
      has_buyers = true;
    } else if (name == "runs") {
      set_runs(scenario, integer_value(key, node), key.where());
    } else if (name == "warmup") {
      set_warmup(scenario, integer_value(key, node), key.where());
    } else if (name == "attempts") {
      if (node.is_integer()) set_attempts(scenario, std::to_string(node.as_integer()->get()), key.where());
      else set_attempts(scenario, string_value(key, node), key.where());
    } else if (name == "mode") {
      set_mode(scenario, string_value(key, node), key.where());
    } else if (name == "seed") {
      set_seed(scenario, integer_value(key, node), key.where());
    } else if (name == "delays") {
      read_delays(scenario, table_value(key, node));
    } else if (name == "lock_timeout") {
      scenario.lock_timeout = duration_value(key, node);
      if (scenario.lock_timeout < std::chrono::milliseconds(1)) key.fail("must be at least 1ms");
    } else if (name == "monitor_interval") {
      scenario.monitor_interval = duration_value(key, node);
      if (scenario.monitor_interval.count() != 0 && scenario.monitor_interval < std::chrono::microseconds(100)) {
        key.fail("must be 0 (no monitor) or at least 100us");
      }
    } else if (name == "store") {
      read_store(scenario, table_value(key, node));
    } else if (name == "postgres") {
      read_postgres(scenario, table_value(key, node));
    } else if (name == "redis") {
      read_redis(scenario, table_value(key, node));
    } else if (name == "hosts") {
      read_hosts(scenario, table_value(key, node));
    } else if (name == "expect") {
      read_expect(scenario, table_value(key, node));
    }
  }
  if (!has_strategy) fail(path, "missing key 'strategy' (or 'strategies')");
  if (!has_tickets) fail(path, "missing key 'tickets'");
  if (!has_buyers) fail(path, "missing key 'buyers'");
  // Faults last: their counts are checked against the number of buyers.
  if (const toml::node* faults = root.get("faults")) {
    Key key(path, "faults", faults->source());
    read_faults(scenario, key, *faults);
  }
  if (scenario.strategies.empty()) {
    scenario.expected_for = {scenario.strategy};
  } else if (root.contains("expect")) {
    scenario.expected_for = scenario.strategies;
  }
  if (!scenario.expected_for.empty()) scenario.file_expected = scenario.expected;
  if (scenario.name.empty()) {
    std::string_view stem = path;
    stem = stem.substr(stem.find_last_of('/') + 1);
    scenario.name = stem.substr(0, stem.rfind(".toml"));
  }
  return scenario;
}

Scenario load_scenario(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw InputError(fmt::format("{}: is a directory, not a scenario file", path));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot read scenario: {}", path, std::strerror(errno)));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw InputError(fmt::format("{}: cannot read scenario", path));
  return parse_scenario(text.str(), path);
}

}  // namespace ticketsim
