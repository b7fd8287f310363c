// The result of one run: everything the reports show, and nothing they would
// have to compute. Built from a RunRecord by checking and measuring it;
// rendered by sim/report/ (the terminal report, the JSON result).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/checker.h"
#include "sim/linearizability.h"
#include "sim/metrics.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace ticketsim {

struct BuyerRow {
  std::int32_t pid = 0;
  std::int32_t ppid = 0;
  int exit_status = 0;  // exit code, or 128 + signal number when killed
  std::string ended;    // "exited 0", "killed by SIGKILL"
  std::int64_t sold = 0;
  std::int64_t attempts = 0;
  std::string error;
  RetryCounts retry;     // its purchases' retries and failures
  double connect_s = 0;  // its store's connection to the server, before the barrier
  bool killed_waiting = false;  // killed at the end outside any critical section (BuyerProcess)
};

struct InventorySample {
  double at_s = 0;  // from the release of the buyers
  std::int64_t count = 0;
};

// One host of a run on several hosts, measured from its buyers alone.
struct HostRow {
  HostRecord host;
  std::int64_t sold = 0;
  double window_s = 0;  // its release to its last buyer done
  double sales_per_s = 0;
  LatencyStats buy;
};

// Where a result came from when it is not a run's: a history file that
// `ticketsim check` read.
struct HistorySource {
  std::string file;
  bool final_known = false;  // its final count was given (header or --final)
};

struct Result {
  Scenario scenario;
  Verdict verdict = Verdict::kValid;
  CheckResult check;
  FinalState final_state;
  Metrics metrics;
  std::vector<BuyerRow> buyers;
  std::vector<PlannedFault> faults;
  std::string stuck_reason;  // when the verdict is stuck
  double stuck_after_s = 0;
  std::string interrupted_by;  // when the verdict is interrupted
  std::int32_t seller_pid = 0;
  std::string seller_ended;
  std::vector<InventorySample> inventory;
  // The ticketsim that made it: this one, unless it was read back from a
  // saved result.
  std::string ticketsim_version = TICKETSIM_VERSION;
  // Set for a history checked by `ticketsim check`: no scenario beyond its
  // header, no spawning, perhaps no final count or run window.
  std::optional<HistorySource> history_source;
  // The complete check (--linearizable), beside the verdict, never instead.
  std::optional<LinearizabilityResult> linearizability;
  // A run on several hosts: each host, and the throughput over the window
  // every host was running (the latest release to the first host done).
  std::vector<HostRow> hosts;
  double all_hosts_window_s = 0;
  double all_hosts_sales_per_s = 0;

  bool as_expected() const { return verdict == scenario.expected; }
};

// Checks and measures a finished run.
Result make_result(const RunRecord& record);

// The histories of the buyers that were started, each with why it did not
// run to its end (empty when it did or was ended on purpose): what the
// checker reads, and what a history export writes.
std::vector<BuyerHistory> buyer_histories(const RunRecord& record);

}  // namespace ticketsim
