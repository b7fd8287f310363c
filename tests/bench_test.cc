// The pieces of `ticketsim bench` that measure: the bare loop, the checker
// in a child of its own, the seed's load and the Python peer's crash count.
// They are checked for what they did (sales made, crashes counted), never
// for how fast.
#include <doctest/doctest.h>

#include <filesystem>

#include "bench/bare_loop.h"
#include "bench/checker_growth.h"
#include "bench/seed_load.h"
#include "sim/errors.h"
#include "storage/store.h"
#include "temp_dir.h"

namespace ticketsim {
namespace {

TEST_CASE("the bare loop makes every purchase of every process, on the strategy's own store") {
  for (const char* name : {"robust-mutex", "sqlite", "queue"}) {
    CAPTURE(name);
    TempDir dir;
    const StrategyInfo& strategy = *find_strategy(name);
    const std::int64_t buyers = 4, purchases = 50;
    StoreSpec spec{dir.path, std::string("bare-test-") + name, buyers * purchases, buyers, {}, {}, false};
    std::unique_ptr<StoreSetup> setup = strategy.create(spec);
    CHECK(bare_loop_rate(*setup, strategy, buyers, purchases) > 0);
    FinalState after = setup->inspect();
    CHECK(!after.corrupt);
    CHECK(after.remaining == 0);  // every ticket sold: each process made its purchases
  }
}

TEST_CASE("the bare loop stops when a process cannot open its store") {
  TempDir dir;
  const StrategyInfo& strategy = *find_strategy("sqlite");
  StoreSpec spec{dir.path, "bare-test-gone", 10, 2, {}, {}, false};
  std::unique_ptr<StoreSetup> setup = strategy.create(spec);
  std::filesystem::remove_all(dir.path);
  CHECK_THROWS_AS(bare_loop_rate(*setup, strategy, 2, 5), RunError);
}

TEST_CASE("the checker is timed in a child: it reports every operation it checked") {
  CheckerSample sample = measure_checker(80'000);
  CHECK(sample.operations == 80'000);
  CHECK(sample.per_second > 0);
  CHECK(sample.peak_bytes_per_operation >= 0);
}

TEST_CASE("the seed's store work in one process sells a ticket to each buyer until none is left") {
  TempDir dir;
  CHECK(seed_store_seconds(dir.path, 20, 10) > 0);  // 10 sold, 10 sold out
  CHECK(seed_store_seconds(dir.path, 5, 10) > 0);   // 5 sold, 5 left
  CHECK(raw_fork_seconds(5) > 0);
}

TEST_CASE("the Python peer's crashes are read from what it printed, its tracebacks counted as torn reads") {
  PeerRun run = parse_seed_peer_output(
      "crashed 2\n",
      "Traceback (most recent call last):\n"
      "  File \"seed_peer.py\", line 16, in search\n"
      "    raise JSONDecodeError(\"Expecting value\", s, err.value) from None\n"
      "json.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0)\n"
      "Traceback (most recent call last):\n"
      "KeyError: 'count'\n");
  CHECK(run.crashed == 2);
  CHECK(run.torn_reads == 1);
  CHECK_THROWS_AS(parse_seed_peer_output("", "Traceback (most recent call last):\nMemoryError\n"), RunError);
}

TEST_CASE("the Python peer runs the seed's load; its stderr is kept, not shown, and its crashes counted") {
  TempDir dir;
  PeerRun run = run_seed_peer(std::filesystem::path(TICKETSIM_SOURCE_DIR) / "bench" / "seed_peer.py", 40, 20, dir.path);
  CHECK(run.seconds > 0);
  CHECK(run.crashed >= 0);
  CHECK(run.crashed <= 40);
  CHECK(run.torn_reads <= run.crashed);
  CHECK(!std::filesystem::exists(dir.path / "db.json"));
}

}  // namespace
}  // namespace ticketsim
