// The stores, driven from one process: every strategy sells N..1 then answers
// sold-out; the JSON count file survives torn documents; named objects go away.
#include "storage/store.h"

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>
#include <sqlite3.h>

#include "tests/temp_dir.h"
#include <fmt/format.h>

#include "storage/file_lock_store.h"
#include "storage/json_file.h"
#include "storage/postgres_server.h"
#include "storage/redis_server.h"
#include "storage/process.h"
#include "storage/shared_cell.h"
#include "storage/shared_library.h"
#include "storage/sqlite_wait_queue.h"

using namespace ticketsim;

namespace {

// Unique within the machine: names OS-wide objects.
std::string unique_run_id() {
  static std::atomic<int> next{0};
  return fmt::format("test-{}-{}", getpid(), next++);
}

StoreSpec spec_for(const TempDir& dir, std::int64_t tickets) {
  return StoreSpec{dir.path, unique_run_id(), tickets, /*buyers=*/2, {}, {}, false};
}

// The PostgreSQL strategies share one server (each setup makes tables of
// its own on it): one initdb for the whole program, not one per test.
StoreSpec spec_for(const TempDir& dir, std::int64_t tickets, const StrategyInfo& info) {
  StoreSpec spec = spec_for(dir, tickets);
  if (info.server && info.server_kind == ServerKind::kPostgres) {
    static PostgresServer server(PostgresServerOptions{});
    spec.options.postgres_conninfo = server.conninfo();
  }
  if (info.server && info.server_kind == ServerKind::kRedis) {
    static auto server = std::make_shared<RedisServer>(RedisServerOptions{});
    spec.options.redis_server = server;
  }
  return spec;
}

// The store's server (the queue's seller), in a child process for as long
// as this lives; nothing for strategies without one.
class Server {
 public:
  Server(const StrategyInfo& info, StoreSetup& setup) {
    if (!info.has_seller) return;
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

// One strategy's store of `tickets` in a fresh directory, its seller
// running when it has one, and a buyer's handle on it.
struct OpenedStore {
  OpenedStore(const StrategyInfo& info, std::int64_t tickets)
      : setup(info.create(spec_for(dir, tickets, info))), server(info, *setup), store(setup->open(0)) {
    REQUIRE(store);
  }
  TempDir dir;
  std::unique_ptr<StoreSetup> setup;
  Server server;
  std::unique_ptr<Store> store;
};

// What inspect() found: not corrupt, `remaining` left, and in a store that
// keeps a ledger, `sales` recorded there.
void check_inspected(const StrategyInfo& info, const FinalState& state, std::int64_t remaining, std::int64_t sales) {
  CHECK_FALSE(state.corrupt);
  CHECK(state.remaining == remaining);
  if (info.keeps_ledger) {
    REQUIRE(state.ledger_sales.has_value());
    CHECK(*state.ledger_sales == sales);
  }
}

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
  CHECK(strategies().size() == 18);
  CHECK(strategy_names() ==
        "plain, named-mutex, file-lock, robust-mutex, sqlite, sqlite-deferred, queue, postgres-read-write, "
        "postgres-for-update, postgres-atomic, postgres-serializable, postgres-optimistic, postgres-advisory, "
        "postgres-skip-locked, redis-get-set, redis-decr, redis-lua, redis-watch");
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
    const std::int64_t tickets = 5;
    OpenedStore opened(info, tickets);

    SearchResult found = opened.store->search();
    CHECK(found.outcome == Outcome::kOk);
    CHECK(found.count == tickets);

    std::int64_t sales = 0;
    for (std::int64_t expected = tickets; expected >= 1; --expected) {
      CAPTURE(expected);
      BuyRequest request{static_cast<std::int32_t>(getpid()), static_cast<std::uint64_t>(100 + sales), {}};
      BuyResult bought = opened.store->buy(request);
      REQUIRE(bought.outcome == Outcome::kSold);
      CHECK(bought.ticket == expected);
      CHECK(bought.count_read == expected);
      CHECK(bought.retries == 0);
      ++sales;
      SearchResult after = opened.store->search();
      CHECK(after.outcome == Outcome::kOk);
      CHECK(after.count == expected - 1);
    }
    for (int i = 0; i < 2; ++i) {
      BuyResult none = opened.store->buy({1, 999, {}});
      CHECK(none.outcome == Outcome::kSoldOut);
      CHECK(none.ticket == 0);
      CHECK(none.count_read == 0);
    }

    // A second handle sees the same store.
    std::unique_ptr<Store> other = opened.setup->open(1);
    CHECK(other->search().count == 0);
    CHECK(other->buy({2, 1000, {}}).outcome == Outcome::kSoldOut);

    opened.store.reset();
    other.reset();
    FinalState state = opened.setup->inspect();
    CHECK_FALSE(state.corrupt);
    CHECK(state.problem.empty());
    CHECK(state.remaining == 0);
    if (info.keeps_ledger) {
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
    OpenedStore opened(info, 10);
    for (int i = 0; i < 3; ++i) REQUIRE(opened.store->buy({1, static_cast<std::uint64_t>(i), {}}).outcome == Outcome::kSold);
    check_inspected(info, opened.setup->inspect(), 7, 3);
  }
}

TEST_CASE("a store of zero tickets is sold out at once") {
  for (const StrategyInfo& info : strategies()) {
    CAPTURE(info.name);
    OpenedStore opened(info, 0);
    SearchResult found = opened.store->search();
    CHECK(found.outcome == Outcome::kOk);
    CHECK(found.count == 0);
    BuyResult none = opened.store->buy({1, 1, {}});
    CHECK(none.outcome == Outcome::kSoldOut);
    CHECK(none.ticket == 0);
    opened.store.reset();
    check_inspected(info, opened.setup->inspect(), 0, 0);
  }
}

TEST_CASE("a store refuses a directory that already holds one") {
  for (const StrategyInfo& info : strategies()) {
    if (info.name.starts_with("sqlite")) continue;  // sqlite's setup would reopen its file
    // A PostgreSQL store is tables named by the run id, not a directory:
    // postgres_test shows a run id in use refused.
    if (info.server) continue;
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

TEST_CASE("process_ended: alive, then a zombie, then reaped") {
  CHECK_FALSE(process_ended(getpid()));
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // A name with ") Z " in it: the state is read after the last ')'.
    prctl(PR_SET_NAME, "x) Z (y", 0, 0, 0);
    char c = 'x';
    if (::write(fds[1], &c, 1) != 1) _exit(1);
    for (;;) pause();
  }
  ::close(fds[1]);
  char c = 0;
  REQUIRE(::read(fds[0], &c, 1) == 1);
  ::close(fds[0]);
  CHECK_FALSE(process_ended(child));
  ::kill(child, SIGKILL);
  siginfo_t info{};
  REQUIRE(waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOWAIT) == 0);
  CHECK(process_ended(child));  // a zombie
  REQUIRE(waitpid(child, nullptr, 0) == child);
  CHECK(process_ended(child));  // gone
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

// ---------------------------------------------------------------------------
// The new strategies' named objects and files, rename writes, lock timeouts.

namespace {

using namespace std::chrono_literals;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// /dev/shm entries named for `prefix`: "ticketsim-<prefix>" itself, its
// "-..." suffixes, and the "sem." entries of named semaphores.
std::vector<std::string> shm_entries_named(const std::string& prefix) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/dev/shm", ec)) {
    std::string file = entry.path().filename().string();
    std::string bare = file.starts_with("sem.") ? file.substr(4) : file;
    if (bare == "ticketsim-" + prefix || bare.starts_with("ticketsim-" + prefix + "-")) found.push_back(file);
  }
  std::sort(found.begin(), found.end());
  return found;
}

// The entries of one run.
std::vector<std::string> shm_entries(const std::string& run_id) { return shm_entries_named(run_id); }

// Every entry of every run id this process has handed out ("test-<pid>-N").
std::vector<std::string> shm_entries_of_this_process() { return shm_entries_named(fmt::format("test-{}", getpid())); }

std::vector<std::string> files_in(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

ino_t inode_of(const std::filesystem::path& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_ino;
}

// A child process with its own handle on `setup` that stops inside the
// critical section of a purchase (after its read, before its write) and
// stays there, holding the store's lock, until it is killed. Killed and
// reaped at the latest when this goes.
class LockHolder {
 public:
  explicit LockHolder(StoreSetup& setup) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    pid_ = fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::close(fds[0]);
      struct Stop final : PurchaseHook {
        int fd = -1;
        void in_critical_section() override {
          char c = 'x';
          if (::write(fd, &c, 1) != 1) _exit(3);
          for (;;) pause();
        }
      } stop;
      stop.fd = fds[1];
      try {
        std::unique_ptr<Store> store = setup.open(0);
        BuyRequest request{static_cast<std::int32_t>(getpid()), 1, {}, &stop};
        store->buy(request);
      } catch (...) {
      }
      _exit(2);  // the purchase ended without reaching its critical section
    }
    ::close(fds[1]);
    pollfd ready{fds[0], POLLIN, 0};
    char c = 0;
    holding_ = ::poll(&ready, 1, 10'000) == 1 && ::read(fds[0], &c, 1) == 1;
    ::close(fds[0]);
  }
  ~LockHolder() { kill_and_reap(); }
  LockHolder(const LockHolder&) = delete;
  LockHolder& operator=(const LockHolder&) = delete;

  bool holding() const { return holding_; }
  pid_t pid() const { return pid_; }

  // Kills it and waits until it is dead, a zombie not yet reaped.
  void kill_and_wait() {
    if (pid_ <= 0 || reaped_) return;
    ::kill(pid_, SIGKILL);
    siginfo_t info{};
    while (waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR) {
    }
  }
  void kill_and_reap() {
    if (pid_ <= 0 || reaped_) return;
    ::kill(pid_, SIGKILL);
    while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
  }

 private:
  pid_t pid_ = -1;
  bool holding_ = false;
  bool reaped_ = false;
};

std::chrono::steady_clock::duration time_of(auto&& call) {
  auto start = std::chrono::steady_clock::now();
  call();
  return std::chrono::steady_clock::now() - start;
}

}  // namespace

TEST_CASE("file-lock: an owner-only lock file beside the store") {
  TempDir dir;
  StoreSpec spec = spec_for(dir, 3);
  std::unique_ptr<StoreSetup> setup = find_strategy("file-lock")->create(spec);
  const std::filesystem::path lock = dir.path / "tickets.lock";
  REQUIRE(std::filesystem::exists(lock));
  CHECK(std::filesystem::is_regular_file(lock));
  CHECK(mode_of(lock) == 0600);
  CHECK(mode_of(dir.path / "tickets.json") == 0600);
  CHECK(read_file(dir.path / "tickets.json") == "{\"count\": 3}");
  {
    std::unique_ptr<Store> store = setup->open(0);
    BuyResult bought = store->buy({1, 1, {}});
    CHECK(bought.outcome == Outcome::kSold);
    CHECK(bought.ticket == 3);
  }
  CHECK(read_file(dir.path / "tickets.json") == "{\"count\": 2}");
  // The lock file holds no data, and no temporary file is left.
  CHECK(std::filesystem::file_size(lock) == 0);
  CHECK(files_in(dir.path) == std::vector<std::string>{"tickets.json", "tickets.lock"});
  CHECK(shm_entries(spec.run_id).empty());  // the kernel's lock names nothing in /dev/shm
}

TEST_CASE("robust-mutex: its shared memory lives exactly as long as the setup") {
  TempDir dir;
  StoreSpec spec = spec_for(dir, 2);
  const std::filesystem::path entry = std::filesystem::path("/dev/shm") / ("ticketsim-" + spec.run_id);
  CAPTURE(entry);
  REQUIRE_FALSE(std::filesystem::exists(entry));
  {
    std::unique_ptr<StoreSetup> setup = find_strategy("robust-mutex")->create(spec);
    REQUIRE(std::filesystem::exists(entry));
    CHECK(mode_of(entry) == 0600);
    CHECK(shm_entries(spec.run_id) == std::vector<std::string>{"ticketsim-" + spec.run_id});
    {
      std::unique_ptr<Store> store = setup->open(0);
      CHECK(store->buy({1, 1, {}}).ticket == 2);
      std::unique_ptr<Store> other = setup->open(1);
      CHECK(other->buy({2, 2, {}}).ticket == 1);
      CHECK(store->buy({1, 3, {}}).outcome == Outcome::kSoldOut);
    }
    // Closing the buyers' handles leaves the object for the others.
    CHECK(std::filesystem::exists(entry));
    FinalState state = setup->inspect();
    CHECK(state.remaining == 0);
    CHECK(state.lock_recoveries == 0);
    CHECK(files_in(dir.path) == std::vector<std::string>{"tickets.json"});
  }
  CHECK_FALSE(std::filesystem::exists(entry));
  CHECK(shm_entries(spec.run_id).empty());
}

// As for named-mutex: a setup that fails on a name in use must not remove
// the name it failed on, which belongs to the setup that made it.
TEST_CASE("robust-mutex: the setup refuses a run id already in use") {
  const StrategyInfo* info = find_strategy("robust-mutex");
  REQUIRE(info != nullptr);
  TempDir first_dir, second_dir;
  StoreSpec spec = spec_for(first_dir, 1);
  const std::filesystem::path entry = std::filesystem::path("/dev/shm") / ("ticketsim-" + spec.run_id);
  std::unique_ptr<StoreSetup> first = info->create(spec);
  REQUIRE(std::filesystem::exists(entry));
  StoreSpec same = spec;
  same.dir = second_dir.path;
  CHECK_THROWS_AS(info->create(same), StoreError);
  // The failed setup did not take the first one's mutex away.
  CHECK(std::filesystem::exists(entry));
  CHECK_NOTHROW(first->open(0));
  first.reset();
  CHECK(shm_entries(spec.run_id).empty());
}

TEST_CASE("queue: its message queues live exactly as long as the setup") {
  TempDir dir;
  StoreSpec spec = spec_for(dir, 3);
  REQUIRE(spec.buyers == 2);
  const std::vector<std::string> names = {"ticketsim-" + spec.run_id + "-reply-0",
                                          "ticketsim-" + spec.run_id + "-reply-1",
                                          "ticketsim-" + spec.run_id + "-reply-monitor",
                                          "ticketsim-" + spec.run_id + "-requests"};
  REQUIRE(shm_entries(spec.run_id).empty());
  {
    std::unique_ptr<StoreSetup> setup = find_strategy("queue")->create(spec);
    CHECK(find_strategy("queue")->has_seller);
    // One reply queue per buyer and one for the monitor: no more.
    CHECK(shm_entries(spec.run_id) == names);
    for (const std::string& name : names) {
      CAPTURE(name);
      REQUIRE(std::filesystem::exists(std::filesystem::path("/dev/shm") / name));
      CHECK(mode_of(std::filesystem::path("/dev/shm") / name) == 0600);
    }
    {
      Server server(*find_strategy("queue"), *setup);
      std::unique_ptr<Store> store = setup->open(0);
      std::unique_ptr<Store> other = setup->open(1);
      std::unique_ptr<Store> monitor = setup->open(StoreSetup::kMonitor);
      CHECK(store->buy({1, 1, {}}).ticket == 3);
      CHECK(other->buy({2, 1, {}}).ticket == 2);
      SearchResult seen = monitor->search();
      CHECK(seen.outcome == Outcome::kOk);
      CHECK(seen.count == 1);
      CHECK(store->search().count == 1);
    }
    CHECK(setup->inspect().remaining == 1);
    CHECK(shm_entries(spec.run_id) == names);
  }
  CHECK(shm_entries(spec.run_id).empty());
}

TEST_CASE("queue: a buyer whose reply queue does not exist cannot open the store") {
  TempDir dir;
  StoreSpec spec = spec_for(dir, 3);
  std::unique_ptr<StoreSetup> setup = find_strategy("queue")->create(spec);
  CHECK_THROWS_AS(setup->open(spec.buyers), StoreError);
  setup.reset();
  CHECK(shm_entries(spec.run_id).empty());
}

TEST_CASE("queue: with no seller answering, searches time out and purchases are indeterminate") {
  TempDir dir;
  StoreSpec spec = spec_for(dir, 3);
  spec.options.lock_timeout = 100ms;
  {
    std::unique_ptr<StoreSetup> setup = find_strategy("queue")->create(spec);

    SUBCASE("the seller never started") {
      CHECK(setup->describe_stuck() == "the seller never started");
      std::unique_ptr<Store> store = setup->open(0);
      SearchResult found;
      auto waited = time_of([&] { found = store->search(); });
      CHECK(found.outcome == Outcome::kTimeout);
      CHECK(waited >= 50ms);
      CHECK(waited < 5s);
      // The request was sent: the seller may yet make the sale.
      BuyResult bought = store->buy({1, 1, {}});
      CHECK(bought.outcome == Outcome::kIndeterminate);
      CHECK(bought.ticket == 0);
      CHECK(setup->inspect().remaining == 3);
    }
    SUBCASE("the seller killed after its first sale, before replying") {
      setup.reset();
      std::filesystem::remove(dir.path / "tickets.json");
      spec.options.kill_seller_after_sales = 1;
      setup = find_strategy("queue")->create(spec);
      Server server(*find_strategy("queue"), *setup);
      std::unique_ptr<Store> store = setup->open(0);
      BuyResult bought = store->buy({1, 1, {}});
      CHECK(bought.outcome == Outcome::kIndeterminate);
      // The sale was made and written before the seller died.
      CHECK(setup->inspect().remaining == 2);
      std::string stuck;
      for (int i = 0; i < 500 && !contains(stuck, "dead"); ++i) {
        stuck = setup->describe_stuck();
        if (!contains(stuck, "dead")) std::this_thread::sleep_for(10ms);
      }
      CAPTURE(stuck);
      CHECK(contains(stuck, "the seller (pid "));
      CHECK(contains(stuck, "dead"));
      CHECK(store->search().outcome == Outcome::kTimeout);
    }
  }
  CHECK(shm_entries(spec.run_id).empty());
}

TEST_CASE("CountFile in rename mode writes through a temporary file") {
  TempDir dir;
  const std::filesystem::path path = dir.path / "count.json";
  CountFile::create(path, 5);
  const std::filesystem::path temporary = CountFile::temporary_path(path, getpid());
  CHECK(temporary != path);
  CHECK(temporary.parent_path() == path.parent_path());
  CHECK(contains(temporary.filename().string(), std::to_string(getpid())));
  CHECK(CountFile::temporary_path(path, 1) != CountFile::temporary_path(path, 2));

  CountFile writer(path, JsonWrite::kRename);
  CountFile reader(path, JsonWrite::kRename);  // a separate handle, opened before the writes
  CHECK(reader.read().count == 5);

  SUBCASE("each write replaces the file, and the reader sees each value") {
    for (std::int64_t n : {4, 3, 12345, 2, 1, 0}) {
      CAPTURE(n);
      ino_t before = inode_of(path);
      REQUIRE(writer.write(n));
      CHECK(inode_of(path) != before);  // a new file renamed over the old one
      CHECK(read_file(path) == count_document(n));
      CHECK(mode_of(path) == 0600);
      SearchResult seen = reader.read();
      CHECK(seen.outcome == Outcome::kOk);
      CHECK(seen.count == n);
      CHECK(writer.read().count == n);
      CHECK_FALSE(std::filesystem::exists(temporary));
      CHECK(files_in(dir.path) == std::vector<std::string>{"count.json"});
    }
  }
  SUBCASE("purchases through it") {
    BuyResult first = buy_from_count_file(writer, {1, 1, {}});
    CHECK(first.outcome == Outcome::kSold);
    CHECK(first.ticket == 5);
    CHECK(reader.read().count == 4);
    CHECK(files_in(dir.path) == std::vector<std::string>{"count.json"});
  }
  SUBCASE("a write that cannot make its temporary file fails and leaves the store as it was") {
    std::filesystem::create_directory(temporary);  // in the way of the temporary file
    ino_t before = inode_of(path);
    CHECK_FALSE(writer.write(1));
    CHECK(inode_of(path) == before);
    CHECK(read_file(path) == "{\"count\": 5}");
    CHECK(reader.read().count == 5);
    BuyResult failed = buy_from_count_file(writer, {1, 1, {}});
    CHECK(failed.outcome == Outcome::kError);
    CHECK(failed.ticket == 0);
    std::filesystem::remove(temporary);
    REQUIRE(writer.write(1));
    CHECK(reader.read().count == 1);
  }
  SUBCASE("a missing store is an error on read, not a crash") {
    std::filesystem::remove(path);
    std::string problem;
    CHECK(reader.read(&problem).outcome == Outcome::kError);
    CHECK_FALSE(problem.empty());
  }
}

TEST_CASE("plain with rename writes sells N..1, and another handle sees every sale") {
  TempDir dir;
  StoreSpec spec = spec_for(dir, 4);
  spec.options.plain_write = JsonWrite::kRename;
  std::unique_ptr<StoreSetup> setup = find_strategy("plain")->create(spec);
  const std::filesystem::path file = dir.path / "tickets.json";
  std::unique_ptr<Store> store = setup->open(0);
  std::unique_ptr<Store> other = setup->open(1);  // opened before any write
  for (std::int64_t expected = 4; expected >= 1; --expected) {
    CAPTURE(expected);
    ino_t before = inode_of(file);
    BuyResult bought = store->buy({1, static_cast<std::uint64_t>(expected), {}});
    REQUIRE(bought.outcome == Outcome::kSold);
    CHECK(bought.ticket == expected);
    CHECK(bought.count_read == expected);
    CHECK(inode_of(file) != before);
    CHECK(read_file(file) == count_document(expected - 1));
    SearchResult seen = other->search();
    CHECK(seen.outcome == Outcome::kOk);
    CHECK(seen.count == expected - 1);
  }
  CHECK(store->buy({1, 99, {}}).outcome == Outcome::kSoldOut);
  CHECK(other->buy({2, 99, {}}).outcome == Outcome::kSoldOut);
  CHECK(files_in(dir.path) == std::vector<std::string>{"tickets.json"});
  store.reset();
  other.reset();
  FinalState state = setup->inspect();
  CHECK_FALSE(state.corrupt);
  CHECK(state.remaining == 0);

  SUBCASE("truncate mode, the default, writes in place") {
    TempDir in_place;
    std::unique_ptr<StoreSetup> truncating = find_strategy("plain")->create(spec_for(in_place, 2));
    const std::filesystem::path same = in_place.path / "tickets.json";
    ino_t before = inode_of(same);
    CHECK(truncating->open(0)->buy({1, 1, {}}).ticket == 2);
    CHECK(inode_of(same) == before);
  }
}

TEST_CASE("named-mutex: a buy times out while another process holds the lock") {
  TempDir dir;
  StoreSpec spec = spec_for(dir, 5);
  spec.options.lock_timeout = 100ms;
  {
    std::unique_ptr<StoreSetup> setup = find_strategy("named-mutex")->create(spec);
    CHECK(contains(setup->describe_stuck(), "no recorded holder"));
    LockHolder holder(*setup);
    REQUIRE(holder.holding());
    const std::string holder_pid = fmt::format("pid {}", holder.pid());

    std::unique_ptr<Store> store = setup->open(1);
    BuyResult bought;
    auto waited = time_of([&] { bought = store->buy({static_cast<std::int32_t>(getpid()), 2, {}}); });
    CHECK(bought.outcome == Outcome::kTimeout);
    CHECK(bought.ticket == 0);
    CHECK(waited >= 50ms);
    CHECK(waited < 5s);

    std::string alive = setup->describe_stuck();
    CAPTURE(alive);
    CHECK(contains(alive, "named mutex"));
    CHECK(contains(alive, holder_pid));
    CHECK(contains(alive, "alive"));
    CHECK_FALSE(contains(alive, "dead"));
    CHECK(contains(alive, "0 buyers wait"));  // the wait that timed out is over

    // Dead but not yet reaped (a zombie), then reaped: dead both times.
    holder.kill_and_wait();
    std::string zombie = setup->describe_stuck();
    CAPTURE(zombie);
    CHECK(contains(zombie, holder_pid));
    CHECK(contains(zombie, "dead"));
    holder.kill_and_reap();
    std::string dead = setup->describe_stuck();
    CAPTURE(dead);
    CHECK(contains(dead, holder_pid));
    CHECK(contains(dead, "dead"));
    CHECK_FALSE(contains(dead, "alive"));

    // The named mutex has no owner: its dead holder leaves it taken.
    CHECK(store->buy({static_cast<std::int32_t>(getpid()), 3, {}}).outcome == Outcome::kTimeout);
    CHECK(store->search().outcome == Outcome::kTimeout);
    store.reset();
    FinalState state = setup->inspect();
    CHECK_FALSE(state.corrupt);
    CHECK(state.remaining == 5);
  }
  CHECK(shm_entries(spec.run_id).empty());
}

TEST_CASE("file-lock and robust-mutex: a lock wait times out, and the holder's death frees the lock") {
  for (std::string_view name : {"file-lock", "robust-mutex"}) {
    CAPTURE(name);
    TempDir dir;
    StoreSpec spec = spec_for(dir, 5);
    spec.options.lock_timeout = 100ms;
    {
      std::unique_ptr<StoreSetup> setup = find_strategy(name)->create(spec);
      LockHolder holder(*setup);
      REQUIRE(holder.holding());
      const std::string holder_pid = fmt::format("pid {}", holder.pid());

      std::unique_ptr<Store> store = setup->open(1);
      BuyResult bought;
      auto waited = time_of([&] { bought = store->buy({static_cast<std::int32_t>(getpid()), 2, {}}); });
      CHECK(bought.outcome == Outcome::kTimeout);
      CHECK(waited >= 50ms);
      CHECK(waited < 5s);
      CHECK(store->search().outcome == Outcome::kTimeout);

      std::string alive = setup->describe_stuck();
      CAPTURE(alive);
      CHECK(contains(alive, holder_pid));
      CHECK(contains(alive, "alive"));

      holder.kill_and_reap();
      std::string dead = setup->describe_stuck();
      CAPTURE(dead);
      CHECK(contains(dead, holder_pid));
      CHECK(contains(dead, "dead"));

      // The holder died before writing: the next purchase sells the same ticket it read.
      BuyResult after = store->buy({static_cast<std::int32_t>(getpid()), 3, {}});
      CHECK(after.outcome == Outcome::kSold);
      CHECK(after.ticket == 5);
      CHECK(store->search().count == 4);
      CHECK(contains(setup->describe_stuck(), "no recorded holder"));
      store.reset();
      FinalState state = setup->inspect();
      CHECK_FALSE(state.corrupt);
      CHECK(state.remaining == 4);
      CHECK(state.lock_recoveries == (name == "robust-mutex" ? 1 : 0));
      std::vector<std::string> files = files_in(dir.path);
      for (const std::string& file : files) CHECK_FALSE(contains(file, ".tmp."));
    }
    CHECK(shm_entries(spec.run_id).empty());
  }
}

// What `body` returns, run in a child process; nullopt when the child has
// not ended within `bound` (it is then killed) or did not exit normally.
std::optional<Outcome> outcome_in_child(std::chrono::seconds bound, auto&& body) {
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    try {
      _exit(static_cast<int>(body()));
    } catch (...) {
      _exit(100);
    }
  }
  auto give_up = std::chrono::steady_clock::now() + bound;
  int status = 0;
  while (waitpid(child, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > give_up) {
      kill(child, SIGKILL);
      waitpid(child, nullptr, 0);
      return std::nullopt;
    }
    std::this_thread::sleep_for(10ms);
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) >= 100) return std::nullopt;
  return static_cast<Outcome>(WEXITSTATUS(status));
}

TEST_CASE("file-lock: a wait whose timer fired before it blocked still ends; a lock error is an error") {
  TempDir dir;
  StoreSpec spec = spec_for(dir, 5);
  spec.options.lock_timeout = 100ms;
  std::unique_ptr<StoreSetup> setup = find_strategy("file-lock")->create(spec);
  LockHolder holder(*setup);
  REQUIRE(holder.holding());
  auto buy = [&] { return setup->open(1)->buy({static_cast<std::int32_t>(getpid()), 2, {}}).outcome; };

  SUBCASE("the timer's first signal came before the wait blocked") {
    // The hook waits out the timer's first SIGALRM (pause() returns once its
    // handler has run) before the blocking wait begins: a buyer descheduled
    // for the whole timeout. The wait must still end; 10 s is 100 times the
    // timeout, a bound that only proves it ended.
    std::optional<Outcome> lost_signal = outcome_in_child(10s, [&] {
      set_file_lock_wait_hook([](int) { pause(); });
      return buy();
    });
    REQUIRE_MESSAGE(lost_signal.has_value(), "the lock wait did not end within 10 s");
    CHECK(*lost_signal == Outcome::kTimeout);
  }
  SUBCASE("the wait fails") {
    // The hook makes the lock file's descriptor read-only: F_OFD_SETLKW then
    // fails with EBADF, a failure of the lock, not a wait that ran out.
    std::optional<Outcome> failed = outcome_in_child(10s, [&] {
      set_file_lock_wait_hook([](int lock_fd) {
        int read_only = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (read_only < 0 || dup2(read_only, lock_fd) < 0) _exit(101);
        ::close(read_only);
      });
      return buy();
    });
    REQUIRE(failed.has_value());
    CHECK(*failed == Outcome::kError);
  }

  // The child did not change the store.
  holder.kill_and_reap();
  FinalState state = setup->inspect();
  CHECK_FALSE(state.corrupt);
  CHECK(state.remaining == 5);
}

TEST_CASE("sqlite: a purchase times out while another process holds the write lock") {
  TempDir dir;
  StoreSpec spec = spec_for(dir, 5);
  spec.options.lock_timeout = 100ms;
  std::unique_ptr<StoreSetup> setup = find_strategy("sqlite")->create(spec);
  LockHolder holder(*setup);
  REQUIRE(holder.holding());

  std::unique_ptr<Store> store = setup->open(1);
  // A writer does not block readers.
  SearchResult found = store->search();
  CHECK(found.outcome == Outcome::kOk);
  CHECK(found.count == 5);
  BuyResult bought;
  auto waited = time_of([&] { bought = store->buy({static_cast<std::int32_t>(getpid()), 2, {}}); });
  CHECK(bought.outcome == Outcome::kTimeout);
  CHECK(bought.ticket == 0);
  CHECK(bought.retries > 0);
  CHECK(waited >= 50ms);
  CHECK(waited < 5s);
  CHECK(contains(setup->describe_stuck(), "100 ms"));

  holder.kill_and_reap();
  BuyResult after = store->buy({static_cast<std::int32_t>(getpid()), 3, {}});
  CHECK(after.outcome == Outcome::kSold);
  CHECK(after.ticket == 5);
  store.reset();
  FinalState state = setup->inspect();
  CHECK_FALSE(state.corrupt);
  CHECK(state.remaining == 4);
  REQUIRE(state.ledger_sales.has_value());
  CHECK(*state.ledger_sales == 1);
}

TEST_CASE("sqlite: inspecting a store file changes none of its files") {
  // A WAL database whose last writer died without closing it, as a killed
  // run leaves it: its latest sales are only in the -wal, beside the -shm.
  // A read-write connection would checkpoint them into the database on
  // close and delete both.
  TempDir dir;
  std::unique_ptr<StoreSetup> setup = find_strategy("sqlite")->create(spec_for(dir, 5));
  const std::filesystem::path db = dir.path / "tickets.db";
  pid_t writer = fork();
  REQUIRE(writer >= 0);
  if (writer == 0) {
    std::unique_ptr<Store> store = setup->open(0);
    bool sold = store->buy({1, 1, {}}).outcome == Outcome::kSold && store->buy({1, 2, {}}).outcome == Outcome::kSold;
    _exit(sold ? 0 : 1);  // without closing the connection
  }
  int status = 0;
  REQUIRE(waitpid(writer, &status, 0) == writer);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  const std::filesystem::path wal = dir.path / "tickets.db-wal", shm = dir.path / "tickets.db-shm";
  REQUIRE(std::filesystem::exists(wal));
  REQUIRE(std::filesystem::exists(shm));
  REQUIRE(std::filesystem::file_size(wal) > 0);

  auto inspect_unchanged = [&](const std::vector<std::filesystem::path>& kept) {
    std::vector<std::string> before;
    for (const std::filesystem::path& file : kept) before.push_back(read_file(file));
    const std::vector<std::string> files_before = files_in(dir.path);
    FinalState state = find_strategy("sqlite")->inspect_file(db);
    CHECK_FALSE(state.corrupt);
    CHECK(state.problem.empty());
    CHECK(state.remaining == 3);  // the sales in the -wal count
    REQUIRE(state.ledger_sales.has_value());
    CHECK(*state.ledger_sales == 2);
    for (std::size_t i = 0; i < kept.size(); ++i) {
      CAPTURE(kept[i]);
      REQUIRE(std::filesystem::exists(kept[i]));
      CHECK(read_file(kept[i]) == before[i]);
    }
    return files_before;
  };

  SUBCASE("with its -wal and -shm: not a byte of any file changes") {
    std::vector<std::string> files_before = inspect_unchanged({db, wal, shm});
    CHECK(files_in(dir.path) == files_before);
  }
  SUBCASE("with a -wal and no -shm: the database and the -wal keep their bytes") {
    std::filesystem::remove(shm);
    inspect_unchanged({db, wal});
  }
  SUBCASE("closed cleanly, no -wal: no file changes and none is made") {
    {
      // A read-write connection that closes last checkpoints and deletes the -wal.
      std::unique_ptr<Store> store = setup->open(0);
      CHECK(store->search().count == 3);
    }
    REQUIRE_FALSE(std::filesystem::exists(wal));
    std::vector<std::string> files_before = inspect_unchanged({db});
    CHECK(files_in(dir.path) == files_before);
  }
}

TEST_CASE("sqlite: a count that is not an integer makes the file no store, with a one-line reason") {
  struct Case {
    std::string value;   // SQL for the inventory's remaining count
    std::string reason;  // what the problem says is there
  };
  for (const Case& c : std::vector<Case>{
           {"'garbled'", "is not an integer: 'garbled' (text)"},
           {"'12abc'", "is not an integer: '12abc' (text)"},  // std::stoll read 12
           {"'two\nlines'", "is not an integer: 'two' (text)"},
           {"1.5", "is not an integer: 1.5 (a real number)"},  // std::stoll read 1
           {"x'00'", "is not an integer: 1 bytes of blob"},
       }) {
    CAPTURE(c.value);
    TempDir dir;
    StoreSpec spec = spec_for(dir, 5);
    spec.options.sqlite_journal_mode = "delete";
    find_strategy("sqlite")->create(spec);
    const std::filesystem::path db = dir.path / "tickets.db";
    sqlite3* handle = nullptr;
    REQUIRE(sqlite3_open(db.c_str(), &handle) == SQLITE_OK);
    std::string update = fmt::format("UPDATE inventory SET remaining = {} WHERE id = 1", c.value);
    CHECK(sqlite3_exec(handle, update.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(handle);

    FinalState state;
    REQUIRE_NOTHROW(state = find_strategy("sqlite")->inspect_file(db));
    CAPTURE(state.problem);
    CHECK(state.corrupt);
    CHECK(contains(state.problem, "tickets.db: the remaining count "));
    CHECK(contains(state.problem, c.reason));
    CHECK_FALSE(contains(state.problem, "\n"));
  }
}

// What the waiters of the SQLite wait queue saw, in memory they share.
struct QueueLog {
  std::atomic<int> joined{0};
  std::atomic<int> served{0};
  int order[8] = {};
};

// Waits (bounded) until `log.joined` is `count`.
void await_joined(const QueueLog& log, int count) {
  auto until = std::chrono::steady_clock::now() + 30s;
  while (log.joined.load() < count && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(1ms);
  REQUIRE(log.joined.load() == count);
}

// Forks a waiter that joins the queue, says so in `log`, and ends with
// what `body` returns for its turn.
template <typename Body>
pid_t fork_waiter(SqliteWaitQueue& queue, QueueLog& log, Body body) {
  const int joined = log.joined.load();
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    SqliteWaitTurn turn(queue);
    turn.join();
    log.joined.fetch_add(1);
    _exit(body(turn));
  }
  await_joined(log, joined + 1);  // each joins before anything else happens
  return pid;
}

// Reaps `pid`: whether it exited 0.
bool exited_0(pid_t pid) {
  int status = 0;
  return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

std::int64_t deadline_in(std::chrono::seconds seconds) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             (std::chrono::steady_clock::now() + seconds).time_since_epoch()).count();
}

TEST_CASE("sqlite wait queue: the waiters get their turns in the order they came") {
  SharedCell<SqliteWaitQueue> queue;
  SharedCell<QueueLog> log;
  SqliteWaitTurn holder(*queue);  // the turn every child waits behind
  holder.join();
  REQUIRE(holder.my_turn());
  std::vector<pid_t> children;
  for (int i = 0; i < 6; ++i) {
    children.push_back(fork_waiter(*queue, *log, [&](SqliteWaitTurn& turn) {
      std::int64_t deadline = deadline_in(30s);
      while (!turn.my_turn()) {
        if (!turn.await(deadline)) return 2;
      }
      log->order[log->served.fetch_add(1)] = i;
      turn.pass(true);
      return 0;
    }));
  }
  CHECK(log->served.load() == 0);  // none went before the holder
  holder.pass(true);
  for (pid_t pid : children) CHECK(exited_0(pid));
  REQUIRE(log->served.load() == 6);
  for (int i = 0; i < 6; ++i) CHECK(log->order[i] == i);
  SqliteWaitTurn late(*queue);
  CHECK_FALSE(late.must_queue());  // no one waits
}

TEST_CASE("sqlite wait queue: a waiter that died in the queue holds the next one up only a while") {
  SharedCell<SqliteWaitQueue> queue;
  SharedCell<QueueLog> log;
  SqliteWaitTurn holder(*queue);
  holder.join();
  // It dies in the queue: no destructor, its turn is never passed on.
  pid_t dead = fork_waiter(*queue, *log, [](SqliteWaitTurn&) { return 0; });
  REQUIRE(exited_0(dead));
  pid_t next = fork_waiter(*queue, *log, [](SqliteWaitTurn& turn) {
    // The turn stays with the dead one: await returns without it, and the
    // waiter goes on (to ask SQLite, in the store) and passes the turn on.
    if (!turn.await(deadline_in(30s))) return 2;
    if (turn.my_turn()) return 3;
    turn.pass(true);
    return 0;
  });
  holder.pass(true);  // to the dead one
  CHECK(exited_0(next));
  SqliteWaitTurn late(*queue);
  late.join();
  CHECK(late.my_turn());  // the turn went past the dead one
}

TEST_CASE("sqlite: journal_mode delete keeps no write-ahead log") {
  for (std::string_view name : {"sqlite", "sqlite-deferred"}) {
    CAPTURE(name);
    TempDir dir;
    StoreSpec spec = spec_for(dir, 3);
    spec.options.sqlite_journal_mode = "delete";
    spec.options.sqlite_synchronous = "full";
    std::unique_ptr<StoreSetup> setup = find_strategy(name)->create(spec);
    std::unique_ptr<Store> store = setup->open(0);
    for (std::int64_t expected = 3; expected >= 1; --expected) CHECK(store->buy({1, 1, {}}).ticket == expected);
    CHECK(store->buy({1, 1, {}}).outcome == Outcome::kSoldOut);
    CHECK_FALSE(std::filesystem::exists(dir.path / "tickets.db-wal"));
    store.reset();
    FinalState state = setup->inspect();
    CHECK(state.remaining == 0);
    REQUIRE(state.ledger_sales.has_value());
    CHECK(*state.ledger_sales == 3);
  }
}

// Last: nothing any test here made is left in /dev/shm.
TEST_CASE("no /dev/shm entry is left by this process's run ids") {
  std::vector<std::string> left = shm_entries_of_this_process();
  std::string names;
  for (const std::string& name : left) names += name + " ";
  CAPTURE(names);
  CHECK(left.empty());
}

TEST_CASE("a client library that is not installed, or lacks a function, is one error naming it") {
  CHECK_FALSE(SharedLibrary::loaded("libticketsim-absent.so.1"));
  CHECK_THROWS_WITH_AS(SharedLibrary("libticketsim-absent.so.1", "ticketsim-absent"),
                       doctest::Contains("cannot load libticketsim-absent.so.1"), StoreError);
  CHECK_THROWS_WITH_AS(SharedLibrary("libticketsim-absent.so.1", "ticketsim-absent"),
                       doctest::Contains("install the Debian package ticketsim-absent"), StoreError);
  SharedLibrary libc("libc.so.6", "libc6");
  CHECK(libc.symbol("getpid") != nullptr);
  CHECK(SharedLibrary::loaded("libc.so.6"));
  CHECK_THROWS_WITH_AS(libc.symbol("ticketsim_no_such_function"), doctest::Contains("libc.so.6 has no ticketsim_no_such_function"),
                       StoreError);
}
