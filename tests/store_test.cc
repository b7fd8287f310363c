// The stores, driven from one process: every strategy sells N..1 then answers
// sold-out; the JSON count file survives torn documents; named objects go away.
#include "storage/store.h"

#include <stdlib.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "storage/json_file.h"

using namespace ticketsim;

namespace {

// A fresh directory under /tmp, removed with everything in it at the end.
struct TempDir {
  TempDir() {
    char pattern[] = "/tmp/ticketsim-store-test-XXXXXX";
    REQUIRE(mkdtemp(pattern) != nullptr);
    path = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::filesystem::path path;
};

// Unique within the machine: names OS-wide objects.
std::string unique_run_id() {
  static std::atomic<int> next{0};
  return fmt::format("test-{}-{}", getpid(), next++);
}

StoreSpec spec_for(const TempDir& dir, std::int64_t tickets) {
  return StoreSpec{dir.path, unique_run_id(), tickets, /*buyers=*/2, {}};
}

// The store's server (the queue's seller), in a child process for as long
// as this lives; nothing for strategies without one.
class Server {
 public:
  explicit Server(StoreSetup& setup) {
    if (!setup.has_server()) return;
    pid_ = fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      setup.serve();
      _exit(0);
    }
  }
  ~Server() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

 private:
  pid_t pid_ = 0;
};

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

unsigned mode_of(const std::filesystem::path& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

std::filesystem::path named_mutex_entry(const std::string& run_id) {
  return std::filesystem::path("/dev/shm") / ("sem.ticketsim-" + run_id);
}

}  // namespace

TEST_CASE("the registry") {
  CHECK(strategies().size() == 7);
  CHECK(strategy_names() == "plain, named-mutex, file-lock, robust-mutex, sqlite, sqlite-deferred, queue");
  CHECK(find_strategy("nope") == nullptr);
  CHECK(find_strategy("") == nullptr);
  CHECK(find_strategy("Plain") == nullptr);
  for (const StrategyInfo& info : strategies()) {
    CAPTURE(info.name);
    CHECK(find_strategy(info.name) == &info);
    CHECK_FALSE(info.summary.empty());
    CHECK(static_cast<bool>(info.create));
  }
  CHECK(outcome_name(Outcome::kOk) == "ok");
  CHECK(outcome_name(Outcome::kSold) == "sold");
  CHECK(outcome_name(Outcome::kSoldOut) == "sold-out");
  CHECK(outcome_name(Outcome::kCorrupt) == "corrupt");
  CHECK(outcome_name(Outcome::kError) == "error");
  CHECK(outcome_name(Outcome::kTimeout) == "timeout");
  CHECK(outcome_name(Outcome::kIndeterminate) == "indeterminate");
}

TEST_CASE("every strategy sells N..1, then answers sold-out") {
  for (const StrategyInfo& info : strategies()) {
    CAPTURE(info.name);
    TempDir dir;
    const std::int64_t tickets = 5;
    std::unique_ptr<StoreSetup> setup = info.create(spec_for(dir, tickets));
    REQUIRE(setup);
    Server server(*setup);
    std::unique_ptr<Store> store = setup->open(0);
    REQUIRE(store);

    SearchResult found = store->search();
    CHECK(found.outcome == Outcome::kOk);
    CHECK(found.count == tickets);

    std::int64_t sales = 0;
    for (std::int64_t expected = tickets; expected >= 1; --expected) {
      CAPTURE(expected);
      BuyRequest request{static_cast<std::int32_t>(getpid()), static_cast<std::uint64_t>(100 + sales), {}};
      BuyResult bought = store->buy(request);
      REQUIRE(bought.outcome == Outcome::kSold);
      CHECK(bought.ticket == expected);
      CHECK(bought.count_read == expected);
      CHECK(bought.retries == 0);
      ++sales;
      SearchResult after = store->search();
      CHECK(after.outcome == Outcome::kOk);
      CHECK(after.count == expected - 1);
    }
    for (int i = 0; i < 2; ++i) {
      BuyResult none = store->buy({1, 999, {}});
      CHECK(none.outcome == Outcome::kSoldOut);
      CHECK(none.ticket == 0);
      CHECK(none.count_read == 0);
    }

    // A second handle sees the same store.
    std::unique_ptr<Store> other = setup->open(1);
    CHECK(other->search().count == 0);
    CHECK(other->buy({2, 1000, {}}).outcome == Outcome::kSoldOut);

    store.reset();
    other.reset();
    FinalState state = setup->inspect();
    CHECK_FALSE(state.corrupt);
    CHECK(state.problem.empty());
    CHECK(state.remaining == 0);
    if (info.name.starts_with("sqlite")) {
      REQUIRE(state.ledger_sales.has_value());
      CHECK(*state.ledger_sales == sales);
    } else {
      CHECK_FALSE(state.ledger_sales.has_value());
    }
  }
}

TEST_CASE("inspect part way through") {
  for (const StrategyInfo& info : strategies()) {
    CAPTURE(info.name);
    TempDir dir;
    std::unique_ptr<StoreSetup> setup = info.create(spec_for(dir, 10));
    Server server(*setup);
    std::unique_ptr<Store> store = setup->open(0);
    for (int i = 0; i < 3; ++i) REQUIRE(store->buy({1, static_cast<std::uint64_t>(i), {}}).outcome == Outcome::kSold);
    FinalState state = setup->inspect();
    CHECK_FALSE(state.corrupt);
    CHECK(state.remaining == 7);
    if (info.name.starts_with("sqlite")) {
      REQUIRE(state.ledger_sales.has_value());
      CHECK(*state.ledger_sales == 3);
    }
  }
}

TEST_CASE("a store of zero tickets is sold out at once") {
  for (const StrategyInfo& info : strategies()) {
    CAPTURE(info.name);
    TempDir dir;
    std::unique_ptr<StoreSetup> setup = info.create(spec_for(dir, 0));
    Server server(*setup);
    std::unique_ptr<Store> store = setup->open(0);
    SearchResult found = store->search();
    CHECK(found.outcome == Outcome::kOk);
    CHECK(found.count == 0);
    BuyResult none = store->buy({1, 1, {}});
    CHECK(none.outcome == Outcome::kSoldOut);
    CHECK(none.ticket == 0);
    store.reset();
    FinalState state = setup->inspect();
    CHECK_FALSE(state.corrupt);
    CHECK(state.remaining == 0);
    if (info.name.starts_with("sqlite")) {
      REQUIRE(state.ledger_sales.has_value());
      CHECK(*state.ledger_sales == 0);
    }
  }
}

TEST_CASE("a store refuses a directory that already holds one") {
  for (const StrategyInfo& info : strategies()) {
    if (info.name.starts_with("sqlite")) continue;  // sqlite's setup would reopen its file
    CAPTURE(info.name);
    TempDir dir;
    std::unique_ptr<StoreSetup> first = info.create(spec_for(dir, 1));
    CHECK_THROWS_AS(info.create(spec_for(dir, 1)), StoreError);
  }
}

TEST_CASE("named-mutex: the named mutex lives exactly as long as the setup") {
  const StrategyInfo* info = find_strategy("named-mutex");
  REQUIRE(info != nullptr);
  TempDir dir;
  StoreSpec spec = spec_for(dir, 2);
  const std::filesystem::path entry = named_mutex_entry(spec.run_id);
  CAPTURE(entry);
  REQUIRE_FALSE(std::filesystem::exists(entry));
  {
    std::unique_ptr<StoreSetup> setup = info->create(spec);
    REQUIRE(std::filesystem::exists(entry));
    CHECK(mode_of(entry) == 0600);
    {
      std::unique_ptr<Store> store = setup->open(0);
      CHECK(store->buy({1, 1, {}}).outcome == Outcome::kSold);
    }
    // Closing a buyer's handle leaves the name for the others.
    CHECK(std::filesystem::exists(entry));
    CHECK(setup->inspect().remaining == 1);
  }
  CHECK_FALSE(std::filesystem::exists(entry));
}

TEST_CASE("named-mutex: the setup refuses a run id already in use") {
  const StrategyInfo* info = find_strategy("named-mutex");
  REQUIRE(info != nullptr);
  TempDir first_dir, second_dir;
  StoreSpec spec = spec_for(first_dir, 1);
  std::unique_ptr<StoreSetup> first = info->create(spec);
  StoreSpec same = spec;
  same.dir = second_dir.path;
  CHECK_THROWS_AS(info->create(same), StoreError);
  // The failed setup did not take the first one's mutex away.
  CHECK(std::filesystem::exists(named_mutex_entry(spec.run_id)));
  CHECK(first->open(0)->buy({1, 1, {}}).outcome == Outcome::kSold);
}

TEST_CASE("JSON strategies keep the seed's document, owner-only") {
  for (std::string_view name : {"plain", "named-mutex"}) {
    CAPTURE(name);
    TempDir dir;
    std::unique_ptr<StoreSetup> setup = find_strategy(name)->create(spec_for(dir, 3));
    const std::filesystem::path file = dir.path / "tickets.json";
    REQUIRE(std::filesystem::exists(file));
    CHECK(mode_of(file) == 0600);
    CHECK(read_file(file) == "{\"count\": 3}");
    setup->open(0)->buy({1, 1, {}});
    CHECK(read_file(file) == "{\"count\": 2}");

    // A garbled file is a corrupt store, not a crash.
    write_file(file, "{\"count\": ");
    std::unique_ptr<Store> store = setup->open(0);
    CHECK(store->search().outcome == Outcome::kCorrupt);
    CHECK(store->buy({1, 2, {}}).outcome == Outcome::kCorrupt);
    FinalState state = setup->inspect();
    CHECK(state.corrupt);
    CHECK(state.problem.find("tickets.json") != std::string::npos);
  }
}

TEST_CASE("sqlite: inspect checks the database itself") {
  TempDir dir;
  std::unique_ptr<StoreSetup> setup = find_strategy("sqlite")->create(spec_for(dir, 2));
  const std::filesystem::path db = dir.path / "tickets.db";
  REQUIRE(std::filesystem::exists(db));
  std::unique_ptr<Store> store = setup->open(0);
  CHECK(store->buy({1, 1, {}}).ticket == 2);
  store.reset();
  CHECK(setup->inspect().remaining == 1);

  // Garbage where the database was: corrupt, with a reason.
  std::filesystem::remove(dir.path / "tickets.db-wal");
  std::filesystem::remove(dir.path / "tickets.db-shm");
  write_file(db, std::string(8192, 'x'));
  FinalState state = setup->inspect();
  CHECK(state.corrupt);
  CHECK_FALSE(state.problem.empty());
}

TEST_CASE("parse_count_document") {
  std::string problem;
  std::optional<std::int64_t> count = parse_count_document("{\"count\": 3}", &problem);
  REQUIRE(count.has_value());
  CHECK(*count == 3);
  CHECK(parse_count_document("{\"count\":0}", &problem) == std::optional<std::int64_t>(0));
  CHECK(parse_count_document(" {\"count\": 40000}\n", &problem) == std::optional<std::int64_t>(40000));

  for (std::string_view bad : {"", "{", "[]", "{\"count\":\"x\"}", "{\"other\":1}", "{\"count\": 1.5}",
                               "{\"count\": 3} trailing", "3", "null", "{\"count\": 3"}) {
    CAPTURE(bad);
    problem.clear();
    CHECK_FALSE(parse_count_document(bad, &problem).has_value());
    CHECK_FALSE(problem.empty());
  }
  parse_count_document("", &problem);
  CHECK(problem == "empty file");
}

TEST_CASE("count_document is what parse_count_document reads") {
  for (std::int64_t n : {0, 1, 15, 40000, 100'000'000}) {
    std::string problem;
    CHECK(parse_count_document(count_document(n), &problem) == std::optional<std::int64_t>(n));
  }
  CHECK(count_document(1) == "{\"count\": 1}");
}

TEST_CASE("CountFile") {
  TempDir dir;
  const std::filesystem::path path = dir.path / "count.json";

  SUBCASE("create writes an owner-only document and refuses an existing path") {
    CountFile::create(path, 7);
    CHECK(mode_of(path) == 0600);
    CHECK(read_file(path) == "{\"count\": 7}");
    CHECK_THROWS_AS(CountFile::create(path, 1), StoreError);
    CHECK(read_file(path) == "{\"count\": 7}");
  }
  SUBCASE("create refuses a path whose directory is missing") {
    CHECK_THROWS_AS(CountFile::create(dir.path / "missing" / "count.json", 1), StoreError);
  }
  SUBCASE("opening a missing file is a StoreError") {
    CHECK_THROWS_AS(CountFile(dir.path / "missing.json"), StoreError);
  }
  SUBCASE("read and write") {
    CountFile::create(path, 7);
    CountFile file(path);
    SearchResult read = file.read();
    CHECK(read.outcome == Outcome::kOk);
    CHECK(read.count == 7);
    REQUIRE(file.write(12345));
    CHECK(file.read().count == 12345);
    REQUIRE(file.write(3));  // shorter: the old tail must not survive
    CHECK(read_file(path) == "{\"count\": 3}");
    CHECK(file.read().count == 3);
  }
  SUBCASE("a torn write reads as corrupt") {
    CountFile::create(path, 7);
    CountFile file(path);
    for (std::string torn : {std::string(), std::string("{\"cou"), std::string("garbage"),
                             std::string("{\"count\": 7}{\"count\": 6}"), std::string(1000, '{')}) {
      CAPTURE(torn);
      write_file(path, torn);
      std::string problem;
      SearchResult read = file.read(&problem);
      CHECK(read.outcome == Outcome::kCorrupt);
      CHECK_FALSE(problem.empty());
      CHECK(file.read().outcome == Outcome::kCorrupt);  // without a problem string
      BuyResult buy = buy_from_count_file(file, {1, 1, {}});
      CHECK(buy.outcome == Outcome::kCorrupt);
      CHECK(buy.ticket == 0);
      CHECK(read_file(path) == torn);  // a failed purchase writes nothing
    }
  }
  SUBCASE("a document larger than the read buffer") {
    CountFile::create(path, 1);
    write_file(path, "{\"count\": 9" + std::string(600, ' ') + "}");
    CountFile file(path);
    SearchResult read = file.read();
    CHECK(read.outcome == Outcome::kOk);
    CHECK(read.count == 9);
  }
  SUBCASE("buy_from_count_file sells the count it read") {
    CountFile::create(path, 2);
    CountFile file(path);
    BuyResult first = buy_from_count_file(file, {1, 1, {}});
    CHECK(first.outcome == Outcome::kSold);
    CHECK(first.ticket == 2);
    CHECK(first.count_read == 2);
    BuyResult second = buy_from_count_file(file, {1, 2, {}});
    CHECK(second.ticket == 1);
    BuyResult third = buy_from_count_file(file, {1, 3, {}});
    CHECK(third.outcome == Outcome::kSoldOut);
    CHECK(third.count_read == 0);
    CHECK(read_file(path) == "{\"count\": 0}");
  }
}

TEST_CASE("inspect_count_file") {
  TempDir dir;
  const std::filesystem::path path = dir.path / "tickets.json";

  SUBCASE("a good file") {
    CountFile::create(path, 4);
    FinalState state = inspect_count_file(path);
    CHECK_FALSE(state.corrupt);
    CHECK(state.remaining == 4);
    CHECK_FALSE(state.ledger_sales.has_value());
  }
  SUBCASE("a negative count is read as it is") {
    CountFile::create(path, -2);
    FinalState state = inspect_count_file(path);
    CHECK_FALSE(state.corrupt);
    CHECK(state.remaining == -2);
  }
  SUBCASE("garbage") {
    CountFile::create(path, 4);
    write_file(path, "not json at all");
    FinalState state = inspect_count_file(path);
    CHECK(state.corrupt);
    CHECK(state.problem.find("tickets.json") != std::string::npos);
  }
  SUBCASE("an empty file") {
    CountFile::create(path, 4);
    write_file(path, "");
    FinalState state = inspect_count_file(path);
    CHECK(state.corrupt);
    CHECK(state.problem.find("tickets.json") != std::string::npos);
    CHECK(state.problem.find("empty") != std::string::npos);
  }
  SUBCASE("a missing file") {
    FinalState state = inspect_count_file(path);
    CHECK(state.corrupt);
    CHECK(state.problem.find("tickets.json") != std::string::npos);
  }
}
