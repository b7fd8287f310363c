// A scenario: what one run does. Loaded from a TOML file, then adjusted by
// command-line overrides; every value is checked before anything runs.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sim/duration.h"
#include "sim/errors.h"

namespace ticketsim {

enum class Mode { kConcurrent, kSerial };
// valid: no anomaly. invalid: an anomaly was found. stuck: a lock wait (or a
// wait for the seller) passed lock_timeout and the run was ended.
// interrupted: the user stopped the run (SIGINT, SIGTERM).
enum class Verdict { kValid, kInvalid, kStuck, kInterrupted };

std::string_view mode_name(Mode mode);
std::string_view verdict_name(Verdict verdict);
// The verdict a scenario may expect called `name` (valid, invalid or stuck;
// never interrupted), or nullopt.
std::optional<Verdict> verdict_named(std::string_view name);

// kCrash: the server only (an immediate shutdown, then a restart).
enum class FaultAction { kKill, kTerminate, kPause, kCrash };
// kAfterCommitSent: a PostgreSQL purchase's COMMIT has gone to the server,
// its answer not yet read.
enum class FaultPoint { kBeforeLock, kInCriticalSection, kAfterWriteBeforeAck, kAfterCommitSent };

std::string_view fault_action_name(FaultAction action);
std::string_view fault_point_name(FaultPoint point);

// A fault a scenario plans: `count` buyers, chosen from the seed, each hit at
// its `attempt`-th purchase; or the queue's seller, after `attempt` sales;
// or the embedded database server, crashed (and restarted) or paused at a
// time from the release of the buyers or after a number of sales.
struct Fault {
  FaultAction action = FaultAction::kKill;
  bool seller = false;
  bool server = false;
  FaultPoint point = FaultPoint::kInCriticalSection;
  std::int64_t count = 1;
  std::int64_t attempt = 1;
  Duration pause{0};  // kPause: how long the buyer (or the server) stays stopped
  // The server's: when, from the release of the buyers; or after how many
  // acknowledged sales (0: `at` applies).
  Duration at{0};
  std::int64_t after_sales = 0;
  // "file:line:col: key 'faults.point'": where the fault's strategy-bound
  // key stands, for the checks made once the strategy is known.
  std::string where;
};

struct Delays {
  Duration search{0};    // before each search: the seed's sleep before reading
  Duration purchase{0};  // between reading the count and writing it back
  double jitter = 0;     // each delay is scaled by a factor in [1 - jitter, 1 + jitter]
};

struct Scenario {
  std::string file;         // the file it was loaded from, for messages
  std::string name;
  std::string description;
  std::string strategy;
  std::int64_t tickets = 0;
  std::int64_t buyers = 0;
  // Purchases each buyer makes at most; nullopt means until the store answers
  // sold-out (at most tickets + 1 each).
  std::optional<std::int64_t> attempts = 1;
  Mode mode = Mode::kConcurrent;
  std::uint64_t seed = 1;
  Delays delays;
  Verdict expected = Verdict::kValid;
  // The strategies the file's [expect] speaks of: its `strategy`; in a
  // matrix (`strategies = [...]`) all of them if it has an [expect], else
  // none. Another strategy is expected what it guarantees.
  std::vector<std::string> expected_for;
  // Where `expected` came from when not from the file: "--expect", or "the
  // strategy X" (its guarantee); empty when from the file. And what the
  // file expected, when it spoke of one strategy or had an [expect].
  std::string expected_from;
  std::optional<Verdict> file_expected;
  Duration lock_timeout = std::chrono::seconds(10);
  Duration monitor_interval{0};  // 0: no monitor
  std::vector<Fault> faults;
  // [store]
  bool plain_rename = false;          // plain writes by rename instead of truncate-and-write
  std::string journal_mode = "wal";   // SQLite
  std::string synchronous = "normal"; // SQLite
  // [postgres]: the PostgreSQL strategies' server and transactions.
  std::string postgres_conninfo;                 // empty: a server the run starts itself
  std::string postgres_isolation;                // empty: each strategy's own level
  std::int64_t postgres_max_tries = 100;         // tries of a purchase that fails with 40001 or 40P01
  std::string postgres_synchronous_commit = "on";
  bool postgres_fsync = true;                    // the run's own server only
  bool postgres_full_page_writes = true;         // the run's own server only
  // [redis]: the Redis strategies' server.
  std::string redis_url;                         // empty: a server the run starts itself
  bool redis_appendonly = false;                 // the run's own server only
  std::string redis_appendfsync = "everysec";    // the run's own server only
  std::int64_t redis_max_tries = 100;            // tries of a redis-watch purchase whose EXEC aborts
  // [hosts]: buyers forked by agents on several hosts (sim/hosts.h); empty:
  // every buyer on this host. `launch` starts one agent, with {host} and
  // {ticketsim} in it; `host_buyers` splits the buyers (empty: evenly).
  std::vector<std::string> hosts;
  std::string launch = kDefaultLaunch;
  std::vector<std::int64_t> host_buyers;
  static constexpr const char* kDefaultLaunch = "ssh {host} {ticketsim} agent --stdio";
  // The comparison matrix (`ticketsim compare`): every strategy against
  // every buyer count, `runs` times each after `warmup` runs not recorded.
  // `strategy` and `buyers` above are the first of each list.
  std::vector<std::string> strategies;
  std::vector<std::int64_t> buyer_counts;
  std::optional<std::int64_t> runs;
  std::int64_t warmup = 0;

  // Purchases a buyer makes at most, whatever `attempts` says.
  std::int64_t max_attempts() const { return attempts ? *attempts : tickets + 1; }
  // More than one strategy or buyer count: a matrix for `compare`.
  bool has_matrix() const { return strategies.size() > 1 || buyer_counts.size() > 1; }
  // The matrix `compare` runs: the lists, or the one strategy and count.
  std::vector<std::string> compared_strategies() const { return strategies.empty() ? std::vector{strategy} : strategies; }
  std::vector<std::int64_t> compared_buyers() const { return buyer_counts.empty() ? std::vector{buyers} : buyer_counts; }
  std::int64_t compared_runs() const { return runs.value_or(kDefaultRuns); }
  static constexpr std::int64_t kDefaultRuns = 3;
};

// Reads and checks a scenario file. Throws InputError.
Scenario load_scenario(const std::string& path);

// Parses and checks a scenario from text; `path` is only used in messages.
Scenario parse_scenario(std::string_view text, const std::string& path);

// Command-line overrides. Each is checked as its key is; `where` names the
// flag (or the file, line and key) in messages.
void set_strategy(Scenario& scenario, std::string_view value, std::string_view where);
void set_buyers(Scenario& scenario, std::int64_t value, std::string_view where);
void set_tickets(Scenario& scenario, std::int64_t value, std::string_view where);
void set_seed(Scenario& scenario, std::int64_t value, std::string_view where);
// The seed as a command line gives it: an integer from 0 to INT64_MAX,
// refused (not clamped) beyond.
void set_seed(Scenario& scenario, std::string_view text, std::string_view where);
void set_attempts(Scenario& scenario, std::string_view value, std::string_view where);
void set_mode(Scenario& scenario, std::string_view value, std::string_view where);
// The PostgreSQL server to use (--postgres), checked as [postgres] conninfo is.
void set_postgres_conninfo(Scenario& scenario, const std::string& value, std::string_view where);
// When the strategy is not one the file's [expect] speaks of (--strategy,
// or a cell of compare's matrix, put another in its place), the scenario
// expects what the strategy guarantees: valid from a correct strategy,
// invalid from a racy one.
void expect_strategy_guarantee(Scenario& scenario);
// --expect: the verdict named, whatever the file or the strategy says.
void set_expected(Scenario& scenario, std::string_view value, std::string_view where);
// The Redis server to use (--redis), checked as [redis] url is.
void set_redis_url(Scenario& scenario, const std::string& value, std::string_view where);
// --hosts and --launch, checked as [hosts] names and launch are.
void set_hosts(Scenario& scenario, const std::vector<std::string>& names, std::string_view where);
void set_launch(Scenario& scenario, const std::string& command, std::string_view where);
// The matrix: each list replaces the scenario's, checked as its key is.
void set_strategies(Scenario& scenario, const std::vector<std::string>& values, std::string_view where);
void set_buyer_counts(Scenario& scenario, const std::vector<std::int64_t>& values, std::string_view where);
void set_runs(Scenario& scenario, std::int64_t value, std::string_view where);
void set_warmup(Scenario& scenario, std::int64_t value, std::string_view where);

// Limits on what one run may ask for.
inline constexpr std::int64_t kMaxBuyers = 32768;
inline constexpr std::int64_t kMaxTickets = 100'000'000;
inline constexpr std::int64_t kMaxAttempts = 1'000'000'000;
inline constexpr std::int64_t kMaxRuns = 1000;
inline constexpr std::int64_t kMaxPostgresTries = 1'000'000;

}  // namespace ticketsim
