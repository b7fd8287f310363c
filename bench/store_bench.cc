// Micro-benchmarks: one process, no contention. Each store's search and buy
// (for a PostgreSQL strategy: one purchase on one connection, to one
// embedded server all of them share), the same purchase with no lock (what
// the lock costs uncontended), recording one history operation, the checker
// per operation, and one buyer's fork to the barrier. `meson test -C build --benchmark --suite micro --verbose` runs them.
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "sim/checker.h"
#include "sim/history.h"
#include "sim/run_directory.h"
#include "storage/postgres_server.h"
#include "storage/store.h"

namespace {

using namespace ticketsim;

// The embedded PostgreSQL server the server strategies' benchmarks share,
// started in main() before any benchmark (and any thread).
std::shared_ptr<PostgresServer>& shared_server() {
  static std::shared_ptr<PostgresServer> server;
  return server;
}

// A fresh store of `tickets` in its own directory, removed afterwards.
class BenchStore {
 public:
  // On tmpfs when there is one, as `ticketsim bench` does: the disk's
  // rename cost would hide what the store itself costs.
  BenchStore(std::string_view strategy, std::int64_t tickets, bool baseline = false)
      : dir_(RunDirectory::fastest_parent()) {
    static int counter = 0;
    spec_ = {dir_.path(), "bench-" + std::to_string(getpid()) + "-" + std::to_string(counter++), tickets, 1, {}, {}, false};
    spec_.options.postgres_server = shared_server();
    const StrategyInfo& info = *find_strategy(strategy);
    setup_ = info.create(spec_);
    if (info.has_seller) {
      server_ = fork();
      if (server_ == 0) {
        setup_->serve();
        _exit(0);
      }
    }
    store_ = baseline ? setup_->open_baseline() : setup_->open(0);
  }
  ~BenchStore() {
    store_.reset();
    if (server_ > 0) {
      kill(server_, SIGKILL);
      waitpid(server_, nullptr, 0);
    }
    setup_.reset();
  }
  Store& store() { return *store_; }

 private:
  RunDirectory dir_;
  StoreSpec spec_;
  std::unique_ptr<StoreSetup> setup_;
  std::unique_ptr<Store> store_;
  pid_t server_ = 0;
};

void BM_Search(benchmark::State& state, std::string_view strategy) {
  BenchStore bench(strategy, 1);
  for (auto _ : state) benchmark::DoNotOptimize(bench.store().search());
  state.SetItemsProcessed(state.iterations());
}

// Tickets enough for every iteration: a server's purchases are a thousand
// times slower, and postgres-skip-locked makes a row per ticket.
std::int64_t enough_tickets(std::string_view strategy) {
  return find_strategy(strategy)->server ? 1'000'000 : 100'000'000;
}

void BM_Buy(benchmark::State& state, std::string_view strategy) {
  BenchStore bench(strategy, enough_tickets(strategy));
  BuyRequest request{.buyer_pid = getpid()};
  for (auto _ : state) {
    ++request.operation_id;
    benchmark::DoNotOptimize(bench.store().buy(request));
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_BuyBaseline(benchmark::State& state, std::string_view strategy) {
  BenchStore bench(strategy, 100'000'000, /*baseline=*/true);
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
    CheckResult result = check_history({histories, buyers * per_buyer, final_state, 0, 0, {}});
    if (!result.valid()) state.SkipWithError("clean history judged invalid");
  }
  state.SetItemsProcessed(state.iterations() * buyers * per_buyer);
  state.counters["bytes_per_op"] = sizeof(Operation);
}

// Recording one operation into the shared history, as a buyer does.
void BM_RecordOperation(benchmark::State& state) {
  SharedHistory history(1, 1 << 20);
  Operation* operations = history.operations(0);
  BuyerSlot& slot = history.slot(0);
  std::uint32_t recorded = 0;
  for (auto _ : state) {
    Operation& op = operations[recorded & ((1 << 20) - 1)];
    op = Operation{.start_ns = monotonic_ns(), .kind = OperationKind::kBuy, .outcome = Outcome::kIndeterminate};
    slot.recorded.store(++recorded & ((1 << 20) - 1), std::memory_order_release);
    op.end_ns = monotonic_ns();
    op.outcome = Outcome::kSold;
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}

// One buyer's way from fork to the start barrier, and out again.
void BM_ForkToBarrier(benchmark::State& state) {
  for (auto _ : state) {
    SharedHistory history(1, 2);
    pid_t pid = fork();
    if (pid == 0) {
      history.arrive_and_wait(0);
      _exit(0);
    }
    history.wait_for_arrivals(1, 10'000);
    history.release(1);
    waitpid(pid, nullptr, 0);
  }
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

int main(int argc, char** argv) {
  for (const StrategyInfo& info : strategies()) {
    std::string name(info.name);
    // A server's work is done in the server's processes: wall time, not
    // this process's CPU, is what a purchase costs.
    benchmark::internal::Benchmark* search = benchmark::RegisterBenchmark(("search/" + name).c_str(), BM_Search, info.name);
    benchmark::internal::Benchmark* buy = benchmark::RegisterBenchmark(("buy/" + name).c_str(), BM_Buy, info.name);
    if (info.server) search->UseRealTime(), buy->UseRealTime();
    // The same purchase with no lock or seller: what the lock costs
    // uncontended. A server's store has no such handle: its baseline is
    // the same purchase on one connection, buy/ itself.
    if (!info.server) benchmark::RegisterBenchmark(("buy_baseline/" + name).c_str(), BM_BuyBaseline, info.name);
  }
  if (std::any_of(strategies().begin(), strategies().end(), [](const StrategyInfo& info) { return info.server; })) {
    PostgresServerOptions options;
    options.parent = RunDirectory::fastest_parent();
    shared_server() = std::make_shared<PostgresServer>(options);
  }
  benchmark::RegisterBenchmark("record_operation", BM_RecordOperation);
  benchmark::RegisterBenchmark("check_per_operation", BM_Check)->Arg(1 << 20);
  benchmark::RegisterBenchmark("fork_to_barrier", BM_ForkToBarrier)->UseRealTime();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  shared_server().reset();
  return 0;
}
