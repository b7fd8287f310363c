// The runner: makes the store, forks one process per buyer, releases them
// from the start barrier, reaps every one, and reads the final store.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/history.h"
#include "sim/progress.h"
#include "sim/scenario.h"
#include "storage/store.h"

namespace ticketsim {

struct RunOptions {
  RunOptions() = default;
  explicit RunOptions(std::filesystem::path parent) : store_parent(std::move(parent)) {}
  RunOptions(std::filesystem::path parent, std::filesystem::path file, bool replace)
      : store_parent(std::move(parent)), store_file(std::move(file)), reset(replace) {}

  // Where the per-run store directory is made; empty means $TMPDIR or /tmp.
  std::filesystem::path store_parent;
  // The user's own store file (--store); it outlives the run. An existing
  // one is refused, saying what it holds, unless `reset` (--reset).
  std::filesystem::path store_file;
  bool reset = false;
  // When set, called every `progress_interval` while the buyers run, with
  // what the shared history shows (-P).
  std::function<void(const Progress&)> on_progress;
  Duration progress_interval{std::chrono::seconds(1)};
  // A PostgreSQL server already running, for a strategy with a server and
  // no conninfo named: compare's, shared by its runs (StoreOptions).
  std::shared_ptr<PostgresServer> postgres_server;
  // A Redis server already running, likewise: compare's (StoreOptions).
  std::shared_ptr<RedisServer> redis_server;

  // A share of a run on several hosts, as an agent runs it (sim/agent.h).
  // The store another process made under `run_id` (StoreOptions::attach);
  // empty: a store of this run's own, under a fresh id.
  std::string attach_run_id;
  // Buyers other hosts run before this host's: operation ids start there.
  std::int64_t first_buyer = 0;
  // Called once every buyer stands at the barrier, just before they are
  // released: the agent waits there for the coordinator's start time.
  std::function<void()> before_release;
  // Asked while the buyers run: a reason to end the run now (the
  // coordinator's abort, or its connection lost), or empty.
  std::function<std::string()> should_stop;
};

// One buyer process as the parent saw it.
struct BuyerProcess {
  std::int32_t pid = 0;
  std::int32_t ppid = 0;  // as the buyer itself read it
  int wait_status = 0;    // from waitpid
  std::string error;      // what the buyer reported, if it failed
  // It was ended on purpose: by a planned fault, or by the runner ending a
  // stuck or interrupted run. Its death is not a failure.
  bool ended_on_purpose = false;
  // The runner killed it at the end of the run while it waited, outside any
  // critical section (for the lock, the seller, the server, or before a
  // purchase): nothing of its unfinished purchase happened, which is
  // recorded as cancelled rather than indeterminate.
  bool killed_waiting = false;
};

// A fault as it was planned for this run, for the report.
struct PlannedFault {
  std::int32_t pid = 0;  // the buyer's, or the seller's
  std::string what;      // "kill in-critical-section at purchase 1"
  // It happened. A buyer's fault is not reached when the buyer stopped
  // before that purchase (sold out, timed out, the run ended); the seller's
  // when fewer sales were made.
  bool carried_out = false;
};

// One host of a run on several hosts (sim/hosts/coordinator.h), as the
// coordinator saw it.
struct HostRecord {
  std::string name;
  std::int64_t first_buyer = 0;  // its buyers' place in the run's history
  std::int64_t buyers = 0;
  // Its clock against the coordinator's: the offset at the start, the
  // drift over the run, and within how much its times were placed.
  std::int64_t offset_ns = 0;
  double drift_ppm = 0;
  std::int64_t uncertainty_ns = 0;
  std::int64_t round_trip_ns = 0;  // the best round trip of the estimates
  std::int64_t released_ns = 0;    // when it released its buyers (coordinator's clock)
  std::int64_t spawn_ns = 0;       // its fork to barrier
  // Why its times could not be placed (its clock broke its bound), or empty.
  std::string clock_problem;
  // Why it was lost mid-run (its agent died, its connection broke), or empty.
  std::string lost;
};

// Everything one run produced, for the checker and the metrics.
struct RunRecord {
  Scenario scenario;
  std::unique_ptr<SharedHistory> history;
  std::vector<BuyerProcess> buyers;
  FinalState final_state;
  std::int64_t spawn_ns = 0;   // fork to barrier, summed over spawning rounds
  std::int64_t window_ns = 0;  // barrier release to last buyer done
  std::int64_t start_ns = 0;   // first barrier release (monotonic)
  std::vector<PlannedFault> faults;
  std::vector<ServerCrash> server_crashes;  // server-crash faults, as made
  // stuck: a wait passed lock_timeout; the run was ended there.
  bool stuck = false;
  std::string stuck_reason;
  std::int64_t stuck_at_ns = 0;  // when the runner saw it, from start_ns
  // interrupted: SIGINT, SIGTERM or SIGHUP reached ticketsim; the run was ended.
  std::string interrupted_by;
  std::vector<MonitorSample> inventory;  // the monitor's samples, if it ran
  std::int32_t seller_pid = 0;           // the queue's seller, if any
  std::string seller_ended;              // how it ended
  // A run on several hosts: each host, and each buyer's host (an index
  // into `hosts`, by buyer). Empty for a run on this host alone.
  std::vector<HostRecord> hosts;
  std::vector<std::int32_t> buyer_host;
};

// Checks what a scenario file alone cannot: that its history fits in memory,
// that this machine's and this user's limits let its buyers be forked
// (sim/process_limits.h), that its faults fit its buyers and its strategy.
// Throws InputError.
void check_runnable(const Scenario& scenario);

// Runs `scenario`. Throws RunError when the run cannot be carried out; every
// child is reaped and every named object removed in any case.
RunRecord run_scenario(const Scenario& scenario, const RunOptions& options);

// How a seller that served until the end of the run ended: the runner
// stopped it (with SIGTERM), as it always does.
inline constexpr const char* kSellerStopped = "stopped at the end of the run";

// A fresh run id: it names the run's store and every OS-wide object.
std::string new_run_id();

// What the scenario asks of its store.
StoreOptions store_options(const Scenario& scenario);

// "exited 0", "killed by SIGKILL": a wait status in words.
std::string describe_wait_status(int wait_status);

}  // namespace ticketsim
