// Metrics: latency distributions, spreads and throughput on known inputs.
#include "sim/metrics.h"
#include "sim/stats.h"
#include "storage/words.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include <doctest/doctest.h>

using namespace ticketsim;

namespace {

constexpr std::int64_t kMs = 1'000'000;

// Samples 1..n ms, in a shuffled order.
std::vector<std::int64_t> one_to(std::int64_t n) {
  std::vector<std::int64_t> samples(static_cast<std::size_t>(n));
  std::iota(samples.begin(), samples.end(), 1);
  for (auto& sample : samples) sample *= kMs;
  std::mt19937 random(7);
  std::shuffle(samples.begin(), samples.end(), random);
  return samples;
}

Operation op(OperationKind kind, Outcome outcome, std::int64_t start_ns, std::int64_t latency_ns) {
  Operation operation;
  operation.kind = kind;
  operation.outcome = outcome;
  operation.start_ns = start_ns;
  operation.end_ns = start_ns + latency_ns;
  return operation;
}

}  // namespace

TEST_CASE("latency_stats of 1..100 ms") {
  std::vector<std::int64_t> samples = one_to(100);
  LatencyStats stats = latency_stats(samples);
  CHECK(std::is_sorted(samples.begin(), samples.end()));
  CHECK(stats.count == 100);
  CHECK(stats.min == doctest::Approx(0.001));
  CHECK(stats.max == doctest::Approx(0.100));
  CHECK(stats.mean == doctest::Approx(0.0505));
  // Nearest rank: the ceil(p/100 * n)-th smallest.
  CHECK(stats.p50 == doctest::Approx(0.050));
  CHECK(stats.p90 == doctest::Approx(0.090));
  CHECK(stats.p99 == doctest::Approx(0.099));
  CHECK(stats.p999 == doctest::Approx(0.100));
  // Population standard deviation of 1..100: sqrt((100^2 - 1) / 12).
  CHECK(stats.stddev == doctest::Approx(std::sqrt((100.0 * 100.0 - 1.0) / 12.0) * 1e-3));
}

TEST_CASE("latency_stats of 1..10 ms: percentiles round up to a rank") {
  std::vector<std::int64_t> samples = one_to(10);
  LatencyStats stats = latency_stats(samples);
  CHECK(stats.count == 10);
  CHECK(stats.p50 == doctest::Approx(0.005));
  CHECK(stats.p90 == doctest::Approx(0.009));
  CHECK(stats.p99 == doctest::Approx(0.010));
  CHECK(stats.p999 == doctest::Approx(0.010));
}

// Nearest rank of 99.9 in 1000 samples is the 999th; 99.9 / 100.0 * 1000 is
// 999.0000000000001 in doubles and its ceil picks the 1000th.
TEST_CASE("latency_stats p999 of 1..1000 ms is the 999th sample") {
  std::vector<std::int64_t> samples = one_to(1000);
  LatencyStats stats = latency_stats(samples);
  CHECK(stats.p99 == doctest::Approx(0.990));
  CHECK(stats.p999 == doctest::Approx(0.999));
}

TEST_CASE("latency_stats standard deviation of a known set") {
  std::vector<std::int64_t> samples = {2 * kMs, 4 * kMs, 4 * kMs, 4 * kMs, 5 * kMs, 5 * kMs, 7 * kMs, 9 * kMs};
  LatencyStats stats = latency_stats(samples);
  CHECK(stats.count == 8);
  CHECK(stats.mean == doctest::Approx(0.005));
  CHECK(stats.stddev == doctest::Approx(0.002));
  CHECK(stats.min == doctest::Approx(0.002));
  CHECK(stats.max == doctest::Approx(0.009));
  CHECK(stats.p50 == doctest::Approx(0.004));
}

TEST_CASE("latency_stats of one sample") {
  std::vector<std::int64_t> samples = {3 * kMs};
  LatencyStats stats = latency_stats(samples);
  CHECK(stats.count == 1);
  for (double value : {stats.min, stats.mean, stats.p50, stats.p90, stats.p99, stats.p999, stats.max}) {
    CHECK(value == doctest::Approx(0.003));
  }
  CHECK(stats.stddev == 0.0);
}

TEST_CASE("latency_stats of nothing is all zero") {
  std::vector<std::int64_t> samples;
  LatencyStats stats = latency_stats(samples);
  CHECK(stats.count == 0);
  for (double value : {stats.min, stats.mean, stats.stddev, stats.p50, stats.p90, stats.p99, stats.p999, stats.max}) {
    CHECK(value == 0.0);
  }
}

TEST_CASE("spread_of") {
  std::vector<std::int64_t> values = {3, 0, 2, 1};
  Spread spread = spread_of(values);
  CHECK(spread.min == 0.0);
  CHECK(spread.max == 3.0);
  CHECK(spread.mean == doctest::Approx(1.5));
  CHECK(spread.stddev == doctest::Approx(std::sqrt(1.25)));

  std::vector<std::int64_t> equal = {4, 4, 4};
  Spread flat = spread_of(equal);
  CHECK(flat.min == 4.0);
  CHECK(flat.max == 4.0);
  CHECK(flat.mean == 4.0);
  CHECK(flat.stddev == 0.0);

  Spread empty = spread_of({});
  CHECK(empty.min == 0.0);
  CHECK(empty.max == 0.0);
  CHECK(empty.mean == 0.0);
  CHECK(empty.stddev == 0.0);
}

TEST_CASE("measure a small history") {
  const std::int64_t t0 = 1'000'000'000;
  std::vector<Operation> first = {
      op(OperationKind::kSearch, Outcome::kOk, t0, 1 * kMs),
      op(OperationKind::kBuy, Outcome::kSold, t0 + 10 * kMs, 2 * kMs),
      op(OperationKind::kBuy, Outcome::kSold, t0 + 20 * kMs, 4 * kMs),
  };
  std::vector<Operation> second = {
      op(OperationKind::kSearch, Outcome::kOk, t0, 3 * kMs),
      op(OperationKind::kBuy, Outcome::kSoldOut, t0 + 30 * kMs, 6 * kMs),
      op(OperationKind::kBuy, Outcome::kError, t0 + 40 * kMs, 8 * kMs),
  };
  std::vector<Operation> third = {
      op(OperationKind::kBuy, Outcome::kSold, t0 + 5 * kMs, 10 * kMs),
  };
  std::vector<BuyerHistory> buyers = {{11, first, ""}, {12, second, ""}, {13, third, ""}};

  Metrics metrics = measure(buyers, 2'000'000'000, 500'000'000);
  CHECK(metrics.window_s == doctest::Approx(2.0));
  CHECK(metrics.spawn_s == doctest::Approx(0.5));
  // 3 sales and 5 purchases over 2 s.
  CHECK(metrics.sales_per_s == doctest::Approx(1.5));
  CHECK(metrics.attempts_per_s == doctest::Approx(2.5));
  CHECK(metrics.sold_by_buyer == std::vector<std::int64_t>{2, 0, 1});
  CHECK(metrics.attempts_by_buyer == std::vector<std::int64_t>{2, 2, 1});

  CHECK(metrics.search.count == 2);
  CHECK(metrics.search.min == doctest::Approx(0.001));
  CHECK(metrics.search.max == doctest::Approx(0.003));
  CHECK(metrics.search.mean == doctest::Approx(0.002));

  CHECK(metrics.buy.count == 5);
  CHECK(metrics.buy.min == doctest::Approx(0.002));
  CHECK(metrics.buy.max == doctest::Approx(0.010));
  CHECK(metrics.buy.mean == doctest::Approx(0.006));
  CHECK(metrics.buy.p50 == doctest::Approx(0.006));

  CHECK(metrics.tickets_per_buyer.min == 0.0);
  CHECK(metrics.tickets_per_buyer.max == 2.0);
  CHECK(metrics.tickets_per_buyer.mean == doctest::Approx(1.0));
  CHECK(metrics.tickets_per_buyer.stddev == doctest::Approx(std::sqrt(2.0 / 3.0)));
}

TEST_CASE("measure with an empty window gives no rates") {
  std::vector<Operation> ops = {op(OperationKind::kBuy, Outcome::kSold, 0, kMs)};
  std::vector<BuyerHistory> buyers = {{1, ops, ""}};
  Metrics metrics = measure(buyers, 0, 0);
  CHECK(metrics.sales_per_s == 0.0);
  CHECK(metrics.attempts_per_s == 0.0);
  CHECK(metrics.sold_by_buyer == std::vector<std::int64_t>{1});
  CHECK(metrics.buy.count == 1);
}

TEST_CASE("measure no buyers") {
  Metrics metrics = measure({}, 1'000'000'000, 0);
  CHECK(metrics.sales_per_s == 0.0);
  CHECK(metrics.sold_by_buyer.empty());
  CHECK(metrics.search.count == 0);
  CHECK(metrics.buy.count == 0);
}

TEST_CASE("stats: one median and one mean and deviation for every part of ticketsim") {
  CHECK(median({}) == 0);
  CHECK(median({3, 1, 2}) == 2);
  CHECK(median({4, 1, 3, 2}) == 2.5);  // the mean of the two middle values, not the upper one
  std::vector<double> values = {2, 4, 4, 4, 5, 5, 7, 9};
  MeanDeviation population = mean_deviation(values, Deviation::kPopulation);
  CHECK(population.mean == doctest::Approx(5));
  CHECK(population.stddev == doctest::Approx(2));
  MeanDeviation sample = mean_deviation(values, Deviation::kSample);
  CHECK(sample.mean == doctest::Approx(5));
  CHECK(sample.stddev == doctest::Approx(std::sqrt(32.0 / 7)));
  CHECK(mean_deviation(std::vector<double>{3}, Deviation::kSample).stddev == 0);  // no spread from one value
  std::vector<std::int64_t> integers = {1, 3};
  CHECK(mean_deviation(integers, Deviation::kPopulation).stddev == doctest::Approx(1));
}

TEST_CASE("plural: a count and its word, regular or not") {
  CHECK(plural(1, "buyer") == "1 buyer");
  CHECK(plural(0, "buyer") == "0 buyers");
  CHECK(plural(1, "strategy", "strategies") == "1 strategy");
  CHECK(plural(2, "buyer waits", "buyers wait") == "2 buyers wait");
}

TEST_CASE("measure counts retries and failures as pgbench --failures-detailed does, per buyer and in all") {
  // Buyer 1: a purchase sold after 2 retries, one sold at once, one whose
  // tries ran out after 3 retries; its slot counted 4 serialization
  // failures and 1 deadlock. Buyer 2: none, connected in 3 ms.
  Operation retried = op(OperationKind::kBuy, Outcome::kSold, 0, kMs);
  retried.retries = 2;
  retried.flags = kOperationSerializationFailure;
  Operation failed = op(OperationKind::kBuy, Outcome::kError, 2 * kMs, 3 * kMs);
  failed.retries = 3;
  failed.flags = kOperationSerializationFailure | kOperationDeadlockFailure | kOperationTriesExhausted;
  std::vector<Operation> first = {op(OperationKind::kSearch, Outcome::kOk, 0, kMs), retried,
                                  op(OperationKind::kBuy, Outcome::kSold, kMs, 2 * kMs), failed};
  std::vector<Operation> second = {op(OperationKind::kBuy, Outcome::kSold, 0, kMs)};
  std::vector<BuyerHistory> buyers = {{1, first, "", 1 * kMs, 4, 1}, {2, second, "", 3 * kMs, 0, 0}};
  Metrics metrics = measure(buyers, 4 * kMs, 0);
  REQUIRE(metrics.retry_by_buyer.size() == 2);
  CHECK(metrics.retry_by_buyer[0] == RetryCounts{.serialization_failures = 4, .deadlock_failures = 1, .retried = 2,
                                                 .retries = 5, .failed = 1});
  CHECK(metrics.retry_by_buyer[1] == RetryCounts{});
  CHECK(metrics.retry == metrics.retry_by_buyer[0]);
  CHECK(metrics.connect_by_buyer_s == std::vector<double>{0.001, 0.003});
  CHECK(metrics.connect.max_s == doctest::Approx(0.003));
  CHECK(metrics.connect.median_s == doctest::Approx(0.001));  // nearest rank of two: the lower
}
