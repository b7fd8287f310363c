#include "sim/metrics.h"

#include <algorithm>
#include <cmath>

#include "sim/stats.h"

namespace ticketsim {
namespace {

// Nearest-rank percentile of sorted samples, the rank computed in integers
// (per mille) so that 99.9% of 1000 samples is the 999th, not the 1000th.
double percentile(const std::vector<std::int64_t>& sorted, std::size_t per_mille) {
  std::size_t rank = (per_mille * sorted.size() + 999) / 1000;
  return static_cast<double>(sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1]);
}

}  // namespace

double histogram_lower_s(int bucket) {
  return kHistogramFirstLower_s * std::pow(10.0, static_cast<double>(bucket) / kHistogramBucketsPerDecade);
}

int histogram_bucket(std::int64_t latency_ns) {
  double seconds = static_cast<double>(latency_ns) * 1e-9;
  if (seconds <= kHistogramFirstLower_s) return 0;
  int bucket = static_cast<int>(std::floor(std::log10(seconds / kHistogramFirstLower_s) * kHistogramBucketsPerDecade));
  bucket = std::clamp(bucket, 0, kHistogramBuckets - 1);
  // The logarithm can land either side of a bound: settle against the bounds themselves.
  while (bucket + 1 < kHistogramBuckets && seconds >= histogram_lower_s(bucket + 1)) ++bucket;
  while (bucket > 0 && seconds < histogram_lower_s(bucket)) --bucket;
  return bucket;
}

LatencyStats latency_stats(std::vector<std::int64_t>& samples_ns) {
  LatencyStats stats;
  if (samples_ns.empty()) return stats;
  std::sort(samples_ns.begin(), samples_ns.end());
  MeanDeviation spread = mean_deviation(std::span<const std::int64_t>(samples_ns), Deviation::kPopulation);
  constexpr double kSeconds = 1e-9;
  stats.count = static_cast<std::int64_t>(samples_ns.size());
  stats.min = static_cast<double>(samples_ns.front()) * kSeconds;
  stats.max = static_cast<double>(samples_ns.back()) * kSeconds;
  stats.mean = spread.mean * kSeconds;
  stats.stddev = spread.stddev * kSeconds;
  stats.p50 = percentile(samples_ns, 500) * kSeconds;
  stats.p90 = percentile(samples_ns, 900) * kSeconds;
  stats.p99 = percentile(samples_ns, 990) * kSeconds;
  stats.p999 = percentile(samples_ns, 999) * kSeconds;
  return stats;
}

Spread spread_of(std::span<const std::int64_t> values) {
  Spread spread;
  if (values.empty()) return spread;
  MeanDeviation mean = mean_deviation(values, Deviation::kPopulation);
  spread.mean = mean.mean;
  spread.stddev = mean.stddev;
  auto [min, max] = std::minmax_element(values.begin(), values.end());
  spread.min = static_cast<double>(*min);
  spread.max = static_cast<double>(*max);
  return spread;
}

RetryCounts& RetryCounts::operator+=(const RetryCounts& other) {
  serialization_failures += other.serialization_failures;
  deadlock_failures += other.deadlock_failures;
  retried += other.retried;
  retries += other.retries;
  failed += other.failed;
  return *this;
}

Metrics measure(std::span<const BuyerHistory> buyers, std::int64_t window_ns, std::int64_t spawn_ns) {
  Metrics metrics;
  metrics.window_s = static_cast<double>(window_ns) * 1e-9;
  metrics.spawn_s = static_cast<double>(spawn_ns) * 1e-9;
  std::vector<std::int64_t> search_ns, buy_ns;
  std::int64_t sales = 0, attempts = 0;
  std::vector<std::int64_t> connect_ns;
  for (const BuyerHistory& buyer : buyers) {
    std::int64_t sold = 0, tried = 0;
    RetryCounts retry;
    retry.serialization_failures = buyer.serialization_failures;
    retry.deadlock_failures = buyer.deadlock_failures;
    for (const Operation& op : buyer.operations) {
      if (op.kind == OperationKind::kBuy) {
        retry.retries += op.retries;
        if (op.retries > 0) ++retry.retried;
        if (op.flags & kOperationTriesExhausted) ++retry.failed;
      }
      if (op.end_ns == 0) {  // never finished: its buyer was killed inside it
        if (op.kind == OperationKind::kBuy) ++tried;
        continue;
      }
      std::int64_t latency = op.end_ns - op.start_ns;
      if (op.kind == OperationKind::kSearch) {
        search_ns.push_back(latency);
      } else {
        buy_ns.push_back(latency);
        ++tried;
        if (op.outcome == Outcome::kSold) ++sold;
      }
    }
    metrics.sold_by_buyer.push_back(sold);
    metrics.attempts_by_buyer.push_back(tried);
    metrics.retry_by_buyer.push_back(retry);
    metrics.retry += retry;
    metrics.connect_by_buyer_s.push_back(static_cast<double>(buyer.connect_ns) * 1e-9);
    connect_ns.push_back(buyer.connect_ns);
    sales += sold;
    attempts += tried;
  }
  if (window_ns > 0) {
    metrics.sales_per_s = static_cast<double>(sales) / metrics.window_s;
    metrics.attempts_per_s = static_cast<double>(attempts) / metrics.window_s;
  }
  metrics.search = latency_stats(search_ns);
  metrics.buy_histogram.assign(kHistogramBuckets, 0);
  for (std::int64_t latency : buy_ns) ++metrics.buy_histogram[histogram_bucket(latency)];
  metrics.buy = latency_stats(buy_ns);
  metrics.tickets_per_buyer = spread_of(metrics.sold_by_buyer);
  if (!connect_ns.empty()) {
    LatencyStats connect = latency_stats(connect_ns);
    metrics.connect = {connect.p50, connect.max};
  }
  return metrics;
}

}  // namespace ticketsim
