// The ticket store interface. A strategy is one StoreSetup subclass (made by the
// parent before any buyer is forked) and the Store it opens in each buyer after
// fork. Adding a strategy means one file pair and one line in store.cc.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ticketsim {

class PostgresServer;
class RedisServer;

// What one store operation ended with.
enum class Outcome : std::uint8_t {
  kOk = 0,       // a search that read a count
  kSold = 1,     // a purchase that sold a ticket
  kSoldOut = 2,  // a purchase that found no ticket left
  kCorrupt = 3,  // the store could not be read: a torn or garbled document
  kError = 4,    // the store failed (I/O error, database error)
  kTimeout = 5,  // the lock (or the seller) did not answer within lock_timeout; nothing happened
  kIndeterminate = 6,  // the operation may or may not have taken effect (a buyer killed
                       // mid-purchase, a seller that did not reply)
  kCancelled = 7,      // never a store's: the run ended (killed its buyer) while it waited,
                       // before its critical section; nothing of it happened
};

std::string_view outcome_name(Outcome outcome);

struct SearchResult {
  Outcome outcome = Outcome::kOk;
  std::int64_t count = 0;  // the remaining count read; meaningful when kOk
};

struct BuyResult {
  Outcome outcome = Outcome::kSoldOut;
  std::int64_t count_read = 0;  // the count this purchase decided on
  std::int64_t ticket = 0;      // the sold ticket's number when kSold, else 0
  std::uint32_t retries = 0;    // times the store had to retry (SQLITE_BUSY)
  // PostgreSQL, as pgbench --failures-detailed counts them: tries that
  // failed with a serialization failure (SQLSTATE 40001) or a deadlock
  // (40P01). Each one retried is also in `retries`; kError after failures
  // means the tries ran out (max_tries).
  std::uint32_t serialization_failures = 0;
  std::uint32_t deadlock_failures = 0;
  // kIndeterminate because the server went away (a crash) after the COMMIT
  // was sent: the buyer reconnects and goes on; not a wait that timed out.
  bool connection_lost = false;
  // The purchase failed because its tries ran out (max_tries): pgbench's
  // "failed transaction". Its outcome is kError.
  bool tries_exhausted = false;
};

// Where a buyer can be stopped inside a purchase, for fault injection.
class PurchaseHook {
 public:
  virtual ~PurchaseHook() = default;
  // Called by the store after the read and before the write: inside the
  // critical section (for the queue, while the seller has the request).
  virtual void in_critical_section() = 0;
  // Called by a store that commits on a server, once its COMMIT has been
  // sent and before its answer is read.
  virtual void after_commit_sent() {}
};

// One purchase as the buyer asks for it.
struct BuyRequest {
  std::int32_t buyer_pid = 0;
  std::uint64_t operation_id = 0;  // unique within the run; kept in ledgers
  // Time spent between reading the count and writing it back: the seed's
  // simulated network delay, spent inside the critical section.
  std::chrono::nanoseconds purchase_delay{0};
  PurchaseHook* hook = nullptr;

  // What a store does between its read and its write: the delay, then the hook.
  void between_read_and_write() const;
};

// A store as one buyer process sees it. Opened in the child after fork;
// never shared between processes.
class Store {
 public:
  virtual ~Store() = default;
  virtual SearchResult search() = 0;
  virtual BuyResult buy(const BuyRequest& request) = 0;
  // How long opening this handle spent connecting to a server (0 for stores
  // without one): pgbench's "initial connection time", apart from the run.
  virtual std::chrono::nanoseconds connect_time() const { return {}; }
};

// One sale as the store's own ledger holds it.
struct LedgerSale {
  std::int64_t ticket = 0;
  std::uint64_t operation_id = 0;  // BuyRequest::operation_id
};

// The store as the checker sees it after every buyer has been reaped.
struct FinalState {
  bool corrupt = false;
  std::string problem;            // why it is corrupt, in words
  std::int64_t remaining = 0;     // meaningful when !corrupt
  std::optional<std::int64_t> ledger_sales;  // sales recorded by the store itself
  // The ledger itself, when the store can list it (PostgreSQL): which
  // purchases committed, by operation id.
  std::optional<std::vector<LedgerSale>> ledger;
  std::int64_t lock_recoveries = 0;          // locks taken over from a dead holder
};

// How a JSON store writes its document back.
enum class JsonWrite : std::uint8_t {
  kTruncate,  // truncate, then write: the seed's open('w'); readers can see a torn file
  kRename,    // write a temporary file and rename it over the store: never torn
};

// Choices a scenario makes about its store. Each strategy reads those that
// concern it.
struct StoreOptions {
  // Longest wait for a lock (or for the seller's answer); past it the
  // operation ends with kTimeout and the run is stuck.
  std::chrono::nanoseconds lock_timeout{std::chrono::seconds(10)};
  JsonWrite plain_write = JsonWrite::kTruncate;  // the locked JSON strategies always rename
  std::string sqlite_journal_mode = "wal";       // wal or delete
  std::string sqlite_synchronous = "normal";     // off, normal or full
  // queue: the seller kills itself (SIGKILL) after persisting this many sales,
  // before it replies; 0 means never.
  std::int64_t kill_seller_after_sales = 0;
  // PostgreSQL. The server to use, as a libpq conninfo (libpq's PG*
  // environment variables fill in the rest); empty: a throwaway server the
  // setup starts itself.
  std::string postgres_conninfo;
  // The purchases' isolation level (read-committed, repeatable-read or
  // serializable); empty: each strategy's own.
  std::string postgres_isolation;
  // Tries a purchase gets when it fails with a serialization failure or a
  // deadlock (or, optimistic, loses the version race); then kError.
  std::int64_t postgres_max_tries = 100;
  std::string postgres_synchronous_commit = "on";  // on, off, local, remote_write, remote_apply
  // The embedded server's; a server the user names keeps its own.
  bool postgres_fsync = true;
  bool postgres_full_page_writes = true;
  // The embedded server is tuned so that a crash loses what asynchronous
  // commits have not yet written (a server-crash fault is planned).
  bool postgres_crash_tuning = false;
  // A server already running that the run uses instead of starting its own
  // (compare starts one for its whole matrix): the run makes fresh tables
  // in it and drops them at its end. Ignored when postgres_conninfo names
  // a server.
  std::shared_ptr<PostgresServer> postgres_server;
  // Redis. The server to use, as a URL (redis://host:port/db or
  // unix:///path); empty: a throwaway server the setup starts itself.
  std::string redis_url;
  // The embedded server's persistence; a server the user names keeps its own.
  bool redis_appendonly = false;
  std::string redis_appendfsync = "everysec";  // always, everysec or no
  // Tries a redis-watch purchase gets when its EXEC aborts; then kError.
  std::int64_t redis_max_tries = 100;
  // As postgres_server: compare's, shared by its runs.
  std::shared_ptr<RedisServer> redis_server;
  // The store was made by another process (the coordinator of a run on
  // several hosts), in the server named above, under the same run id: the
  // setup opens handles to it, and makes and removes nothing. Server
  // strategies only.
  bool attach = false;
};

// Where a run keeps its store. The runner owns `dir` (a fresh per-run
// directory); `run_id` is unique per run and names any OS-wide object.
struct StoreSpec {
  std::filesystem::path dir;
  std::string run_id;
  std::int64_t tickets = 0;
  std::int64_t buyers = 0;  // buyer handles that will be opened: 0 .. buyers-1
  StoreOptions options;
  // The store's own file, when the user names one (it outlives the run);
  // empty: a file of the strategy's choosing in `dir`.
  std::filesystem::path file;
  // Replace what is at `file` (--reset). Without it a setup never
  // overwrites an existing file.
  bool replace = false;

  // `file`, or `dir`/`default_name`.
  std::filesystem::path store_file(std::string_view default_name) const {
    return file.empty() ? dir / default_name : file;
  }
};

// Raised when a store cannot be created, opened or inspected.
class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Raised by a setup when the server the user named (--postgres, [postgres]
// conninfo) cannot be reached: unreachable, a bad password, no such
// database. Bad input rather than a failed run: nothing was made.
class ServerUnreachable : public StoreError {
 public:
  using StoreError::StoreError;
};

// A purchase as the server's own load tool runs it (pgbench for
// PostgreSQL): `ticketsim bench` runs that tool with as many clients as
// buyers, on the same server and the same statements, and holds the buyers
// against it.
struct LoadToolWorkload {
  std::string tool;                      // "pgbench", "redis-benchmark"
  std::string script;                    // pgbench: the purchase, one transaction, in its language
  std::string conninfo;                  // pgbench: the server, as the tool reaches it
  std::vector<std::string> environment;  // NAME=value: the session settings every buyer makes
  // redis-benchmark: the server's options (-s socket or -h/-p, --dbnum, -a),
  // then the purchase's command and its arguments.
  std::vector<std::string> arguments;
};

// Owns one run's store: its files and named objects. Made in the parent
// before fork; its destructor removes every named object it created.
class StoreSetup {
 public:
  virtual ~StoreSetup() = default;
  // In a buyer (or the monitor), after fork: a handle of its own. `buyer`
  // is its index, 0 .. spec.buyers-1, or kMonitor.
  virtual std::unique_ptr<Store> open(std::int64_t buyer) = 0;
  // In the parent, after every buyer is reaped.
  virtual FinalState inspect() = 0;

  // In the parent, when a buyer's lock wait timed out: who holds the lock,
  // whether that process is alive, how many wait. Empty when unknown.
  virtual std::string describe_stuck() { return {}; }

  // For benchmarks: a handle, in this process, that does the same work on
  // the same store with no concurrency control at all (no lock, no seller):
  // the limit the strategy is measured against.
  virtual std::unique_ptr<Store> open_baseline() { return open(0); }

  // For a strategy whose StrategyInfo says has_seller: the seller's work.
  // The runner forks a process for it before the buyers, calls serve() in
  // it, and stops it with SIGTERM once the buyers are reaped.
  virtual void serve() {}

  // Faults on the store's own server (StrategyInfo::server, the embedded
  // one only), from the parent while the buyers run. crash_server: an
  // immediate shutdown (every server process ends at once, nothing is
  // flushed), then a restart from the same data directory; returns once it
  // accepts connections again, with the CLOCK_MONOTONIC time (ns) at which
  // the server was killed. pause_server: SIGSTOP to every process of the
  // server; resume_server: SIGCONT to them, harmless when not paused.
  // Throw StoreError when there is no such server.
  virtual std::int64_t crash_server() { throw StoreError("this store has no server of its own to crash"); }
  // What crash_server does, in the report's words.
  virtual std::string crash_words() const { return "immediate shutdown"; }
  virtual void pause_server() { throw StoreError("this store has no server of its own to pause"); }
  virtual void resume_server() {}
  // The server's main process (the postmaster), or 0.
  virtual std::int32_t server_pid() const { return 0; }

  // The purchase for the server's own load tool, on this setup's tables;
  // nullopt when no tool can run it.
  virtual std::optional<LoadToolWorkload> load_tool_workload() const { return std::nullopt; }

  static constexpr std::int64_t kMonitor = -1;
};

// What a strategy is expected to give when buyers race.
enum class Guarantee : std::uint8_t {
  kCorrect,  // every sale checks out: no oversell, no lost update, no stale read
  kRacy,     // none: it shows the race (the seed's program) and oversells
};

// The database server behind a strategy with one.
enum class ServerKind : std::uint8_t {
  kPostgres,  // PostgreSQL: --postgres, [postgres]
  kRedis,     // Redis: --redis, [redis]
};

// "PostgreSQL", "Redis".
std::string_view server_kind_name(ServerKind kind);

// A strategy's registry entry: its name, how to make it, and its traits,
// so that nothing above storage/ guesses them from its name.
struct StrategyInfo {
  std::string_view name;
  std::string_view summary;
  std::unique_ptr<StoreSetup> (*create)(const StoreSpec& spec);
  // What an existing store file of this kind holds, or why it is not one:
  // for telling the user what is at a path before refusing to replace it.
  FinalState (*inspect_file)(const std::filesystem::path& path);
  Guarantee guarantee = Guarantee::kCorrect;
  // The store keeps its own ledger of sales (FinalState::ledger_sales).
  bool keeps_ledger = false;
  // A database with transactions of its own: its benchmark limit is one
  // connection running the same statements, and its own lock is part of
  // what a purchase costs.
  bool transactional = false;
  // A seller process serves the buyers (StoreSetup::serve), which a fault
  // can target.
  bool has_seller = false;
  // A database server (one ticketsim starts for the run, or one the user
  // names) that buyers reach through a socket.
  bool server = false;
  // Which server, when `server`.
  ServerKind server_kind = ServerKind::kPostgres;

  bool expected_correct() const { return guarantee == Guarantee::kCorrect; }
};

// Every strategy, in the order reports list them.
std::span<const StrategyInfo> strategies();

// The strategy called `name`, or nullptr.
const StrategyInfo* find_strategy(std::string_view name);

// "plain, named-mutex, sqlite": for error messages and help.
std::string strategy_names();

}  // namespace ticketsim
