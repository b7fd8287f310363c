#include "bench/bare_loop.h"

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "sim/children.h"
#include "sim/errors.h"
#include "sim/history.h"
#include "sim/runner.h"

namespace ticketsim {
namespace {

// What the bare processes tell the parent: their sales and when the last
// one was done. One shared page, written once by each process at its end.
class BareTally {
 public:
  BareTally() {
    void* page = mmap(nullptr, sizeof(Tally), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) throw RunError(fmt::format("bare loop: mmap failed: {}", std::strerror(errno)));
    tally_ = new (page) Tally;
  }
  ~BareTally() { munmap(tally_, sizeof(Tally)); }
  BareTally(const BareTally&) = delete;
  BareTally& operator=(const BareTally&) = delete;

  void add(std::int64_t sold, std::int64_t done_ns) {
    tally_->sold.fetch_add(sold, std::memory_order_relaxed);
    std::int64_t last = tally_->last_done_ns.load(std::memory_order_relaxed);
    while (last < done_ns && !tally_->last_done_ns.compare_exchange_weak(last, done_ns)) {
    }
  }
  std::int64_t sold() const { return tally_->sold.load(); }
  std::int64_t last_done_ns() const { return tally_->last_done_ns.load(); }

 private:
  struct Tally {
    std::atomic<std::int64_t> sold{0};
    std::atomic<std::int64_t> last_done_ns{0};
  };
  Tally* tally_;
};

// One bare buyer, from fork to _exit: run_buyer's store calls and nothing else.
[[noreturn]] void run_bare_buyer(std::int64_t index, std::int64_t purchases, StoreSetup& setup,
                                 SharedHistory& barrier, BareTally& tally) {
  try {
    std::unique_ptr<Store> store = setup.open(index);
    barrier.arrive_and_wait(index);
    std::int64_t sold = 0;
    bool stuck = store->search().outcome == Outcome::kTimeout;
    BuyRequest request{.buyer_pid = getpid()};
    for (std::int64_t attempt = 1; !stuck && attempt <= purchases; ++attempt) {
      request.operation_id = static_cast<std::uint64_t>(index * (purchases + 1) + attempt);
      BuyResult bought = store->buy(request);
      if (bought.outcome == Outcome::kSold) ++sold;
      if (bought.outcome == Outcome::kSoldOut) break;
      stuck = bought.outcome == Outcome::kTimeout || bought.outcome == Outcome::kIndeterminate;
    }
    tally.add(sold, monotonic_ns());
    _exit(stuck ? kBuyerFailed : kBuyerOk);
  } catch (...) {
    _exit(kBuyerFailed);
  }
}

}  // namespace

double bare_loop_rate(StoreSetup& setup, const StrategyInfo& strategy, std::int64_t buyers, std::int64_t purchases) {
  BlockedSignals signals;
  BareTally tally;
  SharedHistory barrier(buyers, 0);  // its start barrier only: no operation is recorded
  Children children(signals);
  pid_t seller = 0;
  if (strategy.has_seller) {
    seller = children.spawn("ts-seller", -1, [&] {
      setup.serve();
      _exit(0);
    });
  }
  std::vector<pid_t> pids;
  for (std::int64_t i = 0; i < buyers; ++i) {
    pid_t pid = children.spawn("ts-bare", -1, [&] { run_bare_buyer(i, purchases, setup, barrier, tally); });
    if (pid < 0) throw RunError(fmt::format("bare loop: fork failed: {}", std::strerror(errno)));
    pids.push_back(pid);
  }
  auto count = static_cast<std::uint32_t>(buyers);
  while (barrier.wait_for_arrivals(count, 100) < count) {
    if (auto ended = children.reap_one()) {
      throw RunError(fmt::format("{}: a bare-loop process ended before the start: {}", strategy.name,
                                 describe_wait_status(ended->status)));
    }
  }
  std::int64_t start = monotonic_ns();
  barrier.release(count);
  for (pid_t pid : pids) {
    int status = children.stop(pid, 0);  // signal 0: waits for it to end by itself
    if (!WIFEXITED(status) || WEXITSTATUS(status) != kBuyerOk) {
      throw RunError(fmt::format("{}: a bare-loop process failed: {}", strategy.name, describe_wait_status(status)));
    }
  }
  if (seller > 0) children.stop(seller, SIGTERM);
  double seconds = static_cast<double>(tally.last_done_ns() - start) * 1e-9;
  return seconds > 0 ? static_cast<double>(tally.sold()) / seconds : 0;
}

}  // namespace ticketsim
