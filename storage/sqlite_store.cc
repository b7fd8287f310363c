#include "storage/sqlite_store.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>
#include <sqlite3.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <random>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "storage/shared_cell.h"
#include "storage/sqlite_wait_queue.h"

namespace ticketsim {
namespace {

constexpr const char* kSchema = R"sql(
  CREATE TABLE inventory (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    remaining INTEGER NOT NULL
  );
  CREATE TABLE sales (
    ticket INTEGER NOT NULL,
    buyer_pid INTEGER NOT NULL,
    operation_id INTEGER NOT NULL
  );
)sql";

// `path` as an SQLite URI ("file:...") with `query` after it: every byte
// but the unreserved ones and '/' percent-encoded, so that a '?', '#' or '%'
// in a file name is read as part of the name.
std::string file_uri(const std::filesystem::path& path, std::string_view query) {
  std::string uri = "file:";
  for (unsigned char c : path.string()) {
    bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '/' || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      uri += static_cast<char>(c);
    } else {
      uri += fmt::format("%{:02X}", c);
    }
  }
  return fmt::format("{}?{}", uri, query);
}

// One connection. Owns the sqlite3 handle and its prepared statements.
class Connection {
 public:
  // Opens `path` itself, or, when `uri_query` is given, `path` as a URI
  // with those parameters ("mode=ro&immutable=1").
  Connection(const std::filesystem::path& path, int flags, std::string_view uri_query = {}) : path_(path) {
    std::string name = uri_query.empty() ? path.string() : file_uri(path, uri_query);
    if (!uri_query.empty()) flags |= SQLITE_OPEN_URI;
    if (sqlite3_open_v2(name.c_str(), &db_, flags | SQLITE_OPEN_NOFOLLOW, nullptr) != SQLITE_OK) {
      std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw StoreError(fmt::format("{}: cannot open database: {}", path.string(), message));
    }
    sqlite3_extended_result_codes(db_, 1);
  }
  ~Connection() {
    for (sqlite3_stmt* statement : statements_) sqlite3_finalize(statement);
    sqlite3_close(db_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* db() { return db_; }
  const std::filesystem::path& path() const { return path_; }

  void exec(const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
      std::string message = error ? error : sqlite3_errmsg(db_);
      sqlite3_free(error);
      throw StoreError(fmt::format("{}: {}", path_.string(), message));
    }
  }

  // A statement owned by this connection, finalized when it closes.
  sqlite3_stmt* prepare(const char* sql) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &statement, nullptr) != SQLITE_OK) {
      throw StoreError(fmt::format("{}: cannot prepare '{}': {}", path_.string(), sql, sqlite3_errmsg(db_)));
    }
    statements_.push_back(statement);
    return statement;
  }

 private:
  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
  std::vector<sqlite3_stmt*> statements_;
};

enum class Begin { kImmediate, kDeferred };

class SqliteStore final : public Store {
 public:
  SqliteStore(const std::filesystem::path& path, const StoreOptions& options, Begin begin, SqliteWaitQueue& queue)
      : turn_(queue), connection_(path, SQLITE_OPEN_READWRITE), lock_timeout_(options.lock_timeout),
        begin_kind_(begin) {
    // The busy handler first: many buyers open at once, and the first to
    // open the WAL index recovers it under an exclusive lock.
    sqlite3_busy_handler(connection_.db(), &SqliteStore::on_busy, this);
    connection_.exec(fmt::format("PRAGMA synchronous = {}", options.sqlite_synchronous).c_str());
    begin_ = connection_.prepare(begin == Begin::kImmediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
    commit_ = connection_.prepare("COMMIT");
    rollback_ = connection_.prepare("ROLLBACK");
    select_ = connection_.prepare("SELECT remaining FROM inventory WHERE id = 1");
    update_ = connection_.prepare(
        "UPDATE inventory SET remaining = remaining - 1 "
        "WHERE id = 1 AND remaining > 0 RETURNING remaining + 1");
    insert_ = connection_.prepare(
        "INSERT INTO sales (ticket, buyer_pid, operation_id) VALUES (?, ?, ?)");
    // Opening can find the database busy too (the busy handler queues it):
    // a buyer must not stand at the start barrier holding a place in line.
    turn_.pass();
  }

  SearchResult search() override {
    start_wait();
    int rc = sqlite3_step(select_);
    turn_.pass();
    SearchResult result{timed_out_ ? Outcome::kTimeout : Outcome::kError, 0};
    if (rc == SQLITE_ROW) result = {Outcome::kOk, sqlite3_column_int64(select_, 0)};
    sqlite3_reset(select_);
    return result;
  }

  BuyResult buy(const BuyRequest& request) override {
    start_wait();
    std::int64_t deadline = now_ns() + lock_timeout_.count();
    // Behind the buyers already waiting for the lock, when they have waited
    // long (sqlite_wait_queue.h); otherwise it asks SQLite at once.
    if (turn_.must_queue()) {
      wait_since_ = now_ns();
      turn_.join();
      if (!turn_.await(deadline)) {
        turn_.pass();
        return {Outcome::kTimeout, 0, 0, 0};
      }
    }
    for (;;) {
      BuyResult result = begin_kind_ == Begin::kImmediate ? buy_immediate(request) : buy_deferred(request);
      if (result.outcome != Outcome::kError || !upgrade_busy_) {
        turn_.pass();
        result.retries = retries_;
        return result;
      }
      // BEGIN DEFERRED lost the race to upgrade its read to a write: SQLite
      // answers SQLITE_BUSY at once, and only a new transaction can go on.
      ++retries_;
      if (now_ns() > deadline) {
        turn_.pass();
        return {Outcome::kTimeout, 0, 0, retries_};
      }
      backoff(retries_);
    }
  }

 private:
  void start_wait() {
    retries_ = 0;
    timed_out_ = false;
    wait_since_ = 0;
    turn_attempts_ = 0;
  }

  static std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch()).count();
  }

  // BEGIN IMMEDIATE takes the write lock first: the purchase then cannot fail.
  BuyResult buy_immediate(const BuyRequest& request) {
    upgrade_busy_ = false;
    if (!step_done(begin_)) return failed();
    turn_.pass(true);  // it holds the lock: the next in line may start asking
    request.between_read_and_write();
    return decrement_and_commit(request);
  }

  // BEGIN DEFERRED reads under a read lock and upgrades at the UPDATE.
  BuyResult buy_deferred(const BuyRequest& request) {
    upgrade_busy_ = false;
    if (!step_done(begin_)) return failed();
    if (sqlite3_step(select_) != SQLITE_ROW) {
      sqlite3_reset(select_);
      return failed();
    }
    std::int64_t remaining = sqlite3_column_int64(select_, 0);
    sqlite3_reset(select_);
    request.between_read_and_write();
    if (remaining <= 0) {
      if (!step_done(commit_)) return failed();
      return {Outcome::kSoldOut, remaining, 0, 0};
    }
    return decrement_and_commit(request);
  }

  BuyResult decrement_and_commit(const BuyRequest& request) {
    BuyResult result;
    int rc = sqlite3_step(update_);
    if (rc == SQLITE_ROW) {
      result.outcome = Outcome::kSold;
      result.ticket = result.count_read = sqlite3_column_int64(update_, 0);
      rc = sqlite3_step(update_);
    } else {
      result.outcome = Outcome::kSoldOut;
    }
    sqlite3_reset(update_);
    if (rc != SQLITE_DONE) {
      upgrade_busy_ = (rc & 0xff) == SQLITE_BUSY && !timed_out_;
      return failed();
    }
    if (result.outcome == Outcome::kSold) {
      sqlite3_bind_int64(insert_, 1, result.ticket);
      sqlite3_bind_int64(insert_, 2, request.buyer_pid);
      sqlite3_bind_int64(insert_, 3, static_cast<sqlite3_int64>(request.operation_id));
      if (!step_done(insert_)) return failed();
    }
    if (!step_done(commit_)) return failed();
    return result;
  }

  // Yields first, then sleeps twice as long each time, from 20us up to 32ms,
  // by a random factor in [0.5, 1.5): a few buyers find the lock free again
  // within microseconds, and a thousand do not all retry at once (with a
  // 1ms ceiling, 1,000 buyers spent the lock holder's CPU on retries).
  void backoff(std::uint32_t attempt) {
    if (attempt < 3) {
      sched_yield();
      return;
    }
    std::uint32_t shift = std::min<std::uint32_t>(attempt - 3, 11);
    double jitter = 0.5 + static_cast<double>(random_() % 1024) / 1024.0;
    std::this_thread::sleep_for(std::chrono::duration<double, std::micro>(20.0 * (1u << shift) * jitter));
  }

  // Retries every SQLITE_BUSY until lock_timeout has passed since the
  // purchase began to wait; counts each retry. A buyer waits its turn in
  // the queue (sqlite_wait_queue.h), then asks SQLite again with the
  // backoff, at most about 0.2 ms apart: only the buyer whose turn it is asks.
  static int on_busy(void* context, int /*attempt*/) {
    auto* self = static_cast<SqliteStore*>(context);
    std::int64_t now = now_ns();
    if (self->wait_since_ == 0) self->wait_since_ = now;
    std::int64_t deadline = self->wait_since_ + self->lock_timeout_.count();
    if (now > deadline) {
      self->timed_out_ = true;
      return 0;
    }
    self->retries_++;
    self->turn_.join();
    if (!self->turn_.my_turn()) {
      if (self->turn_.await(deadline)) return 1;
      self->timed_out_ = true;
      return 0;
    }
    self->turn_.still_busy();
    self->backoff(std::min<std::uint32_t>(self->turn_attempts_++, 5));
    return 1;
  }

  bool step_done(sqlite3_stmt* statement) {
    int rc = sqlite3_step(statement);
    sqlite3_reset(statement);
    return rc == SQLITE_DONE;
  }

  BuyResult failed() {
    if (!sqlite3_get_autocommit(connection_.db())) {
      sqlite3_step(rollback_);
      sqlite3_reset(rollback_);
    }
    return {timed_out_ ? Outcome::kTimeout : Outcome::kError, 0, 0, retries_};
  }

  // Before the connection: its busy handler may run while it closes.
  SqliteWaitTurn turn_;
  Connection connection_;
  std::chrono::nanoseconds lock_timeout_;
  Begin begin_kind_;
  sqlite3_stmt* begin_;
  sqlite3_stmt* commit_;
  sqlite3_stmt* rollback_;
  sqlite3_stmt* select_;
  sqlite3_stmt* update_;
  sqlite3_stmt* insert_;
  std::uint32_t retries_ = 0;
  std::minstd_rand random_{static_cast<std::uint32_t>(getpid())};
  std::uint32_t turn_attempts_ = 0;  // SQLite asked since its turn came
  std::int64_t wait_since_ = 0;      // the purchase's first wait (monotonic), or 0
  bool timed_out_ = false;
  bool upgrade_busy_ = false;
};

// Runs `sql` and returns the first column of its first row as text.
std::string query_text(Connection& connection, const char* sql) {
  sqlite3_stmt* statement = connection.prepare(sql);
  std::string text;
  if (sqlite3_step(statement) == SQLITE_ROW) {
    if (const unsigned char* value = sqlite3_column_text(statement, 0)) {
      text = reinterpret_cast<const char*>(value);
    }
  }
  return text;
}

// Runs `sql` and returns the first column of its first row when it is an
// integer. Otherwise nullopt, with `problem` saying what is there instead
// ("'garbled' (text)", "NULL"), or empty when there is no row. Throws
// StoreError when the query fails.
std::optional<std::int64_t> query_integer(Connection& connection, const char* sql, std::string* problem) {
  sqlite3_stmt* statement = connection.prepare(sql);
  problem->clear();
  int rc = sqlite3_step(statement);
  if (rc == SQLITE_DONE) return std::nullopt;
  if (rc != SQLITE_ROW) {
    throw StoreError(fmt::format("{}: '{}': {}", connection.path().string(), sql, sqlite3_errmsg(connection.db())));
  }
  if (sqlite3_column_type(statement, 0) == SQLITE_INTEGER) return sqlite3_column_int64(statement, 0);
  switch (sqlite3_column_type(statement, 0)) {
    case SQLITE_NULL: *problem = "NULL"; break;
    case SQLITE_FLOAT: *problem = fmt::format("{} (a real number)", sqlite3_column_double(statement, 0)); break;
    case SQLITE_BLOB: *problem = fmt::format("{} bytes of blob", sqlite3_column_bytes(statement, 0)); break;
    default: {
      // Text: its first line, shortened, so that the reason stays one line.
      const unsigned char* value = sqlite3_column_text(statement, 0);
      std::string text = value ? reinterpret_cast<const char*>(value) : "";
      text = text.substr(0, std::min(text.find_first_of("\r\n"), std::size_t{40}));
      *problem = fmt::format("'{}' (text)", text);
    }
  }
  return std::nullopt;
}

class SqliteSetup final : public StoreSetup {
 public:
  SqliteSetup(const StoreSpec& spec, Begin begin)
      : path_(spec.store_file("tickets.db")), options_(spec.options), begin_(begin) {
    if (spec.replace) {
      for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
        std::string file = path_.string() + suffix;
        if (::unlink(file.c_str()) != 0 && errno != ENOENT) {
          throw StoreError(fmt::format("{}: cannot replace: {}", file, std::strerror(errno)));
        }
      }
    }
    // Made here, owner-only, never through a symlink, never over a file.
    int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) throw StoreError(fmt::format("{}: cannot create store: {}", path_.string(), std::strerror(errno)));
    ::close(fd);
    Connection connection(path_, SQLITE_OPEN_READWRITE);
    connection.exec(fmt::format("PRAGMA journal_mode = {}", options_.sqlite_journal_mode).c_str());
    connection.exec(kSchema);
    connection.exec(fmt::format("INSERT INTO inventory (id, remaining) VALUES (1, {})", spec.tickets).c_str());
  }

  std::unique_ptr<Store> open(std::int64_t /*buyer*/) override {
    return std::make_unique<SqliteStore>(path_, options_, begin_, *queue_);
  }

  std::string describe_stuck() override {
    return fmt::format("SQLite stayed busy for longer than lock_timeout ({} ms); SQLite does not say who holds its lock",
                       std::chrono::duration_cast<std::chrono::milliseconds>(options_.lock_timeout).count());
  }

  FinalState inspect() override { return inspect_sqlite_file(path_); }

 private:
  std::filesystem::path path_;
  StoreOptions options_;
  Begin begin_;
  SharedCell<SqliteWaitQueue> queue_;  // inherited by every buyer
};

// The URI parameters under which reading the database at `path` changes no
// file. A read-write connection would not do: the last one to close on a WAL
// database checkpoints it and deletes its -wal and -shm. A read-only one
// (mode=ro) writes nothing to the database or its -wal, but needs a WAL
// index: it rewrites the -shm's header, or makes a -shm (and an empty -wal)
// when there is none. So:
//  - with a -wal and its -shm: readonly_shm=1 reads the index as it is and
//    builds its own in memory when it is stale;
//  - with a -wal and no -shm: the -wal must be read, and SQLite cannot
//    without a -shm; it makes one, the only file that changes;
//  - with neither a -wal nor a -journal, the database file holds everything:
//    immutable=1 reads it with no locks and no side files at all;
//  - with a -journal (rollback mode, a crash mid-transaction): mode=ro,
//    which cannot roll a hot journal back and fails instead of reading
//    half a transaction.
// A store another process is using at the same time may change between the
// look and the open; --store is not meant for one.
std::string_view read_only_query(const std::filesystem::path& path) {
  std::error_code ec;
  auto exists = [&](const char* suffix) { return std::filesystem::exists(path.string() + suffix, ec); };
  if (exists("-wal")) return exists("-shm") ? "mode=ro&readonly_shm=1" : "mode=ro";
  if (exists("-journal")) return "mode=ro";
  return "mode=ro&immutable=1";
}

}  // namespace

FinalState inspect_sqlite_file(const std::filesystem::path& path) {
  FinalState state;
  try {
    // Read only, and through a URI that keeps SQLite from touching the
    // files (see read_only_query): inspecting must change nothing.
    Connection connection(path, SQLITE_OPEN_READONLY, read_only_query(path));
    std::string integrity = query_text(connection, "PRAGMA integrity_check");
    if (integrity != "ok") {
      state.corrupt = true;
      state.problem = fmt::format("{}: integrity_check: {}", path.filename().string(), integrity);
      return state;
    }
    // A value of any type can be stored in an INTEGER column: read it as
    // it is, and call anything but an integer corrupt, with what is there.
    std::string seen;
    std::optional<std::int64_t> remaining =
        query_integer(connection, "SELECT remaining FROM inventory WHERE id = 1", &seen);
    if (!remaining) {
      state.corrupt = true;
      state.problem = seen.empty() ? fmt::format("{}: the inventory row is missing", path.filename().string())
                                   : fmt::format("{}: the remaining count is not an integer: {}",
                                                 path.filename().string(), seen);
      return state;
    }
    state.remaining = *remaining;
    std::optional<std::int64_t> sales = query_integer(connection, "SELECT count(*) FROM sales", &seen);
    if (!sales) throw StoreError(fmt::format("{}: the sales cannot be counted", path.filename().string()));
    state.ledger_sales = *sales;
  } catch (const StoreError& e) {
    state.corrupt = true;
    state.problem = e.what();
  }
  return state;
}

std::unique_ptr<StoreSetup> create_sqlite_store(const StoreSpec& spec) {
  return std::make_unique<SqliteSetup>(spec, Begin::kImmediate);
}

std::unique_ptr<StoreSetup> create_sqlite_deferred_store(const StoreSpec& spec) {
  return std::make_unique<SqliteSetup>(spec, Begin::kDeferred);
}

}  // namespace ticketsim
