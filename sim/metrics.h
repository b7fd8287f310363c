// Metrics: throughput over the measured window, latency distributions and
// per-buyer fairness, computed from the buyers' histories.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "sim/history.h"

namespace ticketsim {

// A latency distribution, in seconds. All zero when count is 0.
struct LatencyStats {
  std::int64_t count = 0;
  double min = 0, mean = 0, stddev = 0, p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0;
};

// Summary of a set of values (tickets won per buyer).
struct Spread {
  double min = 0, mean = 0, max = 0, stddev = 0;
};

// Latencies counted in log-spaced buckets, five per decade from 100 ns to
// 1000 s: bucket i holds [histogram_lower_s(i), histogram_lower_s(i + 1)),
// the first also everything below, the last everything above.
inline constexpr int kHistogramBuckets = 50;
inline constexpr int kHistogramBucketsPerDecade = 5;
inline constexpr double kHistogramFirstLower_s = 1e-7;
double histogram_lower_s(int bucket);
int histogram_bucket(std::int64_t latency_ns);

// Retries and failures of purchases, as pgbench --failures-detailed counts
// them: tries that failed with a serialization failure (SQLSTATE 40001) or
// a deadlock (40P01); purchases retried at least once, and the retries in
// all (SQLite's SQLITE_BUSY and the optimistic strategy's lost version
// races count as retries, not failures); purchases that failed because
// their tries ran out (max_tries).
struct RetryCounts {
  std::int64_t serialization_failures = 0;
  std::int64_t deadlock_failures = 0;
  std::int64_t retried = 0;
  std::int64_t retries = 0;
  std::int64_t failed = 0;

  RetryCounts& operator+=(const RetryCounts& other);
  bool operator==(const RetryCounts&) const = default;
};

// The time buyers spent connecting to the store's server, after fork and
// before the barrier: pgbench's "initial connection time", not part of the
// window. All zero for stores without a server.
struct ConnectStats {
  double median_s = 0;
  double max_s = 0;
};

struct Metrics {
  double window_s = 0;  // barrier release to last buyer done
  double spawn_s = 0;   // fork to barrier, not part of the window
  double sales_per_s = 0;
  double attempts_per_s = 0;
  LatencyStats search;
  LatencyStats buy;
  std::vector<std::int64_t> buy_histogram;  // kHistogramBuckets counts
  Spread tickets_per_buyer;
  std::vector<std::int64_t> sold_by_buyer;  // in buyer order
  std::vector<std::int64_t> attempts_by_buyer;
  RetryCounts retry;                       // over every buyer
  std::vector<RetryCounts> retry_by_buyer;  // in buyer order
  ConnectStats connect;
  std::vector<double> connect_by_buyer_s;  // in buyer order
};

// Latency statistics of `samples_ns`, which it sorts.
LatencyStats latency_stats(std::vector<std::int64_t>& samples_ns);

// Mean, spread and extremes of `values`.
Spread spread_of(std::span<const std::int64_t> values);

Metrics measure(std::span<const BuyerHistory> buyers, std::int64_t window_ns, std::int64_t spawn_ns);

}  // namespace ticketsim
