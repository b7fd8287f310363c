// Progress of a run in flight, read by the parent from the shared history
// the buyers write anyway: the buyers are never asked, and never wait.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "sim/history.h"

namespace ticketsim {

struct Progress {
  double elapsed_s = 0;      // since the buyers were released
  std::int64_t sold = 0;     // sales acknowledged so far
  std::int64_t tickets = 0;  // at the start
  double sales_per_s = 0;    // over the last interval
  double buy_p99_s = 0;      // of purchases that ended in the last interval
  // Found so far without the final store: sales beyond the tickets there
  // were, and tickets sold twice. The full check runs at the end.
  std::int64_t anomalies = 0;
};

// Reads each buyer's operations once, as they complete. An operation is
// complete once its buyer has begun the next one (the release store of
// `recorded` publishes it), so the last recorded one of each buyer is left
// for a later sample; the final report counts every one.
class ProgressReader {
 public:
  ProgressReader(const SharedHistory& history, std::int64_t tickets);

  Progress sample(std::int64_t start_ns, std::int64_t now_ns);

 private:
  const SharedHistory& history_;
  std::int64_t tickets_;
  std::vector<std::uint32_t> read_;  // operations read, per buyer
  std::unordered_set<std::int64_t> tickets_sold_;
  std::int64_t sold_ = 0;
  std::int64_t duplicates_ = 0;
  std::int64_t last_ns_ = 0;
  std::int64_t last_sold_ = 0;
  std::vector<std::int64_t> latencies_;
};

}  // namespace ticketsim
