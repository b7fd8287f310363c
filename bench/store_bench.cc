// Micro-benchmarks: one process, no contention. Each store's search and buy,
// and the checker per history operation. `meson test -C build --benchmark`
// runs them.
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "sim/checker.h"
#include "storage/store.h"

namespace {

using namespace ticketsim;

// A fresh store of `tickets` in its own directory, removed afterwards.
class BenchStore {
 public:
  BenchStore(std::string_view strategy, std::int64_t tickets) {
    char pattern[] = "/tmp/ticketsim-bench-XXXXXX";
    dir_ = mkdtemp(pattern);
    static int counter = 0;
    spec_ = {dir_, "bench-" + std::to_string(getpid()) + "-" + std::to_string(counter++), tickets, 1, {}};
    setup_ = find_strategy(strategy)->create(spec_);
    store_ = setup_->open(0);
  }
  ~BenchStore() {
    store_.reset();
    setup_.reset();
    std::filesystem::remove_all(dir_);
  }
  Store& store() { return *store_; }

 private:
  std::filesystem::path dir_;
  StoreSpec spec_;
  std::unique_ptr<StoreSetup> setup_;
  std::unique_ptr<Store> store_;
};

void BM_Search(benchmark::State& state, std::string_view strategy) {
  BenchStore bench(strategy, 1);
  for (auto _ : state) benchmark::DoNotOptimize(bench.store().search());
  state.SetItemsProcessed(state.iterations());
}

void BM_Buy(benchmark::State& state, std::string_view strategy) {
  BenchStore bench(strategy, 100'000'000);
  BuyRequest request{.buyer_pid = getpid()};
  for (auto _ : state) {
    ++request.operation_id;
    benchmark::DoNotOptimize(bench.store().buy(request));
  }
  state.SetItemsProcessed(state.iterations());
}

// The checker over a clean history of state.range(0) operations.
void BM_Check(benchmark::State& state) {
  const std::int64_t buyers = 8;
  const std::int64_t per_buyer = state.range(0) / buyers;
  std::vector<std::vector<Operation>> operations(buyers);
  std::int64_t ticket = buyers * per_buyer;
  for (std::int64_t b = 0; b < buyers; ++b) {
    for (std::int64_t i = 0; i < per_buyer; ++i, --ticket) {
      operations[b].push_back({i, i + 1, ticket, ticket, 0, OperationKind::kBuy, Outcome::kSold});
    }
  }
  std::vector<BuyerHistory> histories;
  for (std::int64_t b = 0; b < buyers; ++b) histories.push_back({static_cast<std::int32_t>(b + 1), operations[b], {}});
  FinalState final_state;
  final_state.remaining = 0;
  for (auto _ : state) {
    CheckResult result = check_history({histories, buyers * per_buyer, final_state, 0});
    if (!result.valid()) state.SkipWithError("clean history judged invalid");
  }
  state.SetItemsProcessed(state.iterations() * buyers * per_buyer);
  state.counters["bytes_per_op"] = sizeof(Operation);
}

}  // namespace

BENCHMARK_CAPTURE(BM_Search, plain, "plain");
BENCHMARK_CAPTURE(BM_Search, named_mutex, "named-mutex");
BENCHMARK_CAPTURE(BM_Search, sqlite, "sqlite");
BENCHMARK_CAPTURE(BM_Buy, plain, "plain");
BENCHMARK_CAPTURE(BM_Buy, named_mutex, "named-mutex");
BENCHMARK_CAPTURE(BM_Buy, sqlite, "sqlite");
BENCHMARK(BM_Check)->Arg(1 << 20);

BENCHMARK_MAIN();
