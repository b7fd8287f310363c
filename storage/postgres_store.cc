#include "storage/postgres_store.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <thread>

#include <fmt/format.h>

#include "storage/postgres_server.h"
#include "storage/server_process.h"

namespace ticketsim {

namespace {

// The settings every buyer's session makes, as name and value.
std::vector<std::pair<std::string, std::string>> session_settings(const StoreOptions& options) {
  // A lock wait (a row lock, the advisory lock) ends at lock_timeout with
  // SQLSTATE 55P03: the run is stuck, as with the other strategies' locks.
  auto timeout_ms = std::max<std::int64_t>(
      1, std::chrono::duration_cast<std::chrono::milliseconds>(options.lock_timeout).count());
  // synchronous_commit per session, so that it holds on a server the user
  // named as well.
  return {{"lock_timeout", std::to_string(timeout_ms)},
          {"synchronous_commit", options.postgres_synchronous_commit}};
}

}  // namespace

std::string record_sale_sql(const PostgresTables& tables) {
  return fmt::format("INSERT INTO {} (ticket, buyer_pid, operation_id) VALUES ($1, $2, $3)", tables.sales);
}

std::string pgbench_line(std::string_view sql, std::initializer_list<std::string_view> variables) {
  std::string line;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    std::size_t digits = i + 1;
    while (digits < sql.size() && std::isdigit(static_cast<unsigned char>(sql[digits]))) ++digits;
    if (sql[i] != '$' || digits == i + 1) {
      line += sql[i];
      continue;
    }
    std::size_t n = std::stoul(std::string(sql.substr(i + 1, digits - i - 1)));
    if (n < 1 || n > variables.size()) throw StoreError(fmt::format("pgbench_line: no variable for ${}", n));
    line += variables.begin()[n - 1];
    i = digits - 1;
  }
  return line;
}

std::string pgbench_operation_id() { return "\\set operation_id random(1, 1000000000000)\n"; }

std::string pgbench_record_sale(const PostgresContext& context, std::string_view ticket_variable) {
  return pgbench_line(record_sale_sql(context.tables), {ticket_variable, ":client_id", ":operation_id"}) + ";\n";
}

std::string pgbench_pipelined_commit(std::string_view statements) {
  return fmt::format("\\startpipeline\n{}COMMIT;\n\\endpipeline\n", statements);
}

PostgresStore::PostgresStore(const PostgresContext& context)
    : context_(context), connection_(context.conninfo),
      random_(static_cast<std::uint64_t>(::getpid()) * 0x9e3779b97f4a7c15ULL) {
  for (const auto& [name, value] : session_settings(context_.options)) {
    connection_.session(fmt::format("SET {} = {}", name, value));
  }
  const PostgresTables& tables = context_.tables;
  if (context_.layout == PostgresLayout::kTicketRows) {
    connection_.prepare("search", fmt::format("SELECT count(*) FROM {}", tables.tickets), 0);
  } else {
    connection_.prepare("search", fmt::format("SELECT remaining FROM {} WHERE id = 1", tables.inventory), 0);
  }
  connection_.prepare("record_sale", record_sale_sql(tables), 3);
  // BEGIN and COMMIT prepared as well, as pgbench -M prepared has them: the
  // server parses and plans neither again on every purchase.
  connection_.prepare("begin", context_.begin, 0);
  connection_.prepare("commit", "COMMIT", 0);
}

SearchResult PostgresStore::search() {
  // A search the server's crash cut off (a buyer late to its first search,
  // the monitor) is made again on a new connection: a read changes nothing.
  // Past lock_timeout without a server it timed out, as a purchase does.
  for (int tries = 1;; ++tries) {
    if (connection_.broken() && !reconnect()) return {Outcome::kTimeout, 0};
    PgResult result = connection_.exec_prepared("search");
    if (result.ok() && result.rows() == 1) return {Outcome::kOk, result.integer(0, 0)};
    if (tries < 3 && connection_lost(connection_, result)) {
      if (!connection_.broken() && !reconnect()) return {Outcome::kTimeout, 0};
      continue;
    }
    return {result.sqlstate() == kLockNotAvailable ? Outcome::kTimeout : Outcome::kError, 0};
  }
}

PgStatement PostgresStore::record_sale(std::int64_t ticket, const BuyRequest& request) {
  return {"record_sale",
          {std::to_string(ticket), std::to_string(request.buyer_pid), std::to_string(request.operation_id)}};
}

BuyResult PostgresStore::buy(const BuyRequest& request) {
  BuyResult counts;  // the retries and failures over every try
  auto ended = [&](Outcome outcome) {
    BuyResult result = counts;
    result.outcome = outcome;
    return result;
  };
  const std::int64_t max_tries = std::max<std::int64_t>(1, context_.options.postgres_max_tries);
  for (std::int64_t tries = 1;; ++tries) {
    // The server went away (a crash): a new connection first, within
    // lock_timeout; past it the purchase timed out, having done nothing.
    if (connection_.broken() && !reconnect()) return ended(Outcome::kTimeout);
    PostgresAttempt tried;
    bool cut_off = false;  // the server went away before the COMMIT could run
    PgResult begin = connection_.exec_prepared("begin");
    if (!begin.ok()) {
      cut_off = connection_lost(connection_, begin);
      tried = PostgresAttempt::failed(std::move(begin));
    } else {
      tried = attempt(request);
      if (tried.kind == PostgresAttempt::Kind::kFailed) cut_off = connection_lost(connection_, tried.failure);
      if (tried.kind == PostgresAttempt::Kind::kDone) {
        std::optional<BuyResult> finished = finish(tried, request, counts, cut_off);
        if (finished) return *finished;
      }
    }
    if (!cut_off && connection_.in_transaction()) connection_.exec("ROLLBACK");
    if (cut_off) {
      // Cut off before the COMMIT: the transaction died with its backend.
      // Tried again on a new connection.
    } else if (tried.kind == PostgresAttempt::Kind::kFailed) {
      std::string_view state = tried.failure.sqlstate();
      if (state == kSerializationFailure) {
        ++counts.serialization_failures;
      } else if (state == kDeadlockDetected) {
        ++counts.deadlock_failures;
      } else if (state == kLockNotAvailable) {
        return ended(Outcome::kTimeout);
      } else {
        return ended(Outcome::kError);
      }
    }
    if (tries >= max_tries) {
      BuyResult result = ended(Outcome::kError);
      result.tries_exhausted = true;
      return result;
    }
    ++counts.retries;
    if (!cut_off) backoff(counts.retries);
  }
}

std::optional<BuyResult> PostgresStore::finish(PostgresAttempt& tried, const BuyRequest& request,
                                               const BuyResult& counts, bool& cut_off) {
  std::vector<PgStatement> pipeline = std::move(tried.pipelined);
  pipeline.push_back({"commit", {}});
  if (!connection_.send_pipeline(pipeline)) {
    cut_off = true;  // never sent: nothing was committed
    return std::nullopt;
  }
  if (request.hook) request.hook->after_commit_sent();
  std::vector<PgResult> answers = connection_.receive_pipeline(pipeline.size());
  // The first statement that failed; the ones after it were not run.
  std::size_t failed = 0;
  while (failed < answers.size() && answers[failed].ok()) ++failed;
  if (failed == pipeline.size()) {
    BuyResult result = tried.result;
    result.retries = counts.retries;
    result.serialization_failures = counts.serialization_failures;
    result.deadlock_failures = counts.deadlock_failures;
    return result;
  }
  // No answer (libpq's own error, or none at all), or the COMMIT's lost
  // with the connection: the server may have committed the sale before
  // the connection broke. The ledger will tell.
  bool is_commit = failed + 1 == pipeline.size();
  if (failed == answers.size() || answers[failed].sqlstate().empty() ||
      (is_commit && connection_lost(connection_, answers[failed]))) {
    if (tried.result.outcome != Outcome::kSold) {
      BuyResult result = tried.result;  // sold-out: nothing to commit
      result.retries = counts.retries;
      return result;
    }
    BuyResult result = counts;
    result.outcome = Outcome::kIndeterminate;
    result.connection_lost = true;
    return result;
  }
  // The server refused a statement: the COMMIT after it was not run (or
  // was the one refused).
  cut_off = connection_lost(connection_, answers[failed]);
  tried = PostgresAttempt::failed(std::move(answers[failed]));
  return std::nullopt;
}

bool PostgresStore::reconnect() {
  return retry_connect(context_.options.lock_timeout, [this] { return connection_.reconnect(); });
}

// As SQLite's: yields first, then sleeps twice as long each time, from 20us
// up to 32ms, by a random factor in [0.5, 1.5), so that the losers of one
// round do not all come back at once.
void PostgresStore::backoff(std::uint32_t retry) {
  if (retry < 3) {
    sched_yield();
    return;
  }
  random_ = random_ * 6364136223846793005ULL + 1442695040888963407ULL;
  double jitter = 0.5 + static_cast<double>((random_ >> 33) % 1024) / 1024.0;
  std::uint32_t shift = std::min<std::uint32_t>(retry - 3, 11);
  std::this_thread::sleep_for(std::chrono::duration<double, std::micro>(20.0 * (1u << shift) * jitter));
}

namespace {

class PostgresSetup final : public StoreSetup {
 public:
  PostgresSetup(const StoreSpec& spec, const PostgresStrategy& strategy)
      : owner_(::getpid()), strategy_(strategy), run_id_(spec.run_id) {
    if (!spec.file.empty()) {
      throw StoreError(fmt::format("{}: a PostgreSQL store lives in its server, not in a file", spec.file.string()));
    }
    const StoreOptions& options = spec.options;
    context_.tables = PostgresTables(spec.run_id);
    context_.options = options;
    context_.layout = strategy.layout;
    std::string_view isolation = options.postgres_isolation.empty() ? strategy.isolation : options.postgres_isolation;
    context_.begin = "BEGIN ISOLATION LEVEL " + isolation_sql(isolation);
    if (!options.postgres_conninfo.empty()) {
      context_.conninfo = options.postgres_conninfo;
      check_postgres_server(context_.conninfo);
    } else if (options.postgres_server) {
      server_ = options.postgres_server;
      context_.conninfo = server_->conninfo();
    } else {
      PostgresServerOptions server;
      server.parent = spec.dir.parent_path();
      server.fsync = options.postgres_fsync;
      server.synchronous_commit = options.postgres_synchronous_commit;
      server.full_page_writes = options.postgres_full_page_writes;
      server.crash_tuning = options.postgres_crash_tuning;
      // Every buyer, the monitor, this setup, and the superuser's reserve.
      server.max_connections = spec.buyers + 10;
      server_ = std::make_shared<PostgresServer>(server);
      owns_server_ = true;
      context_.conninfo = server_->conninfo();
    }
    // Attached to another process's store: its tables (keys) are that process's.
    if (!options.attach) create_tables(spec.tickets);
  }

  ~PostgresSetup() override {
    // A server the user named, or one shared by a comparison's runs, keeps
    // nothing of the run; the run's own is removed whole. Never from a
    // forked child.
    if (::getpid() != owner_ || owns_server_ || !created_) return;
    try {
      PgConnection connection(context_.conninfo);
      connection.run(drop_sql());
    } catch (const StoreError&) {
      // The server went away: there is nothing to drop it from.
    }
  }

  std::unique_ptr<Store> open(std::int64_t /*buyer*/) override { return strategy_.open(context_); }

  std::int64_t crash_server() override { return own_server("crash").crash_and_restart(); }
  std::string crash_words() const override {
    return fmt::format("the WAL writer held for {} ms, then an immediate shutdown",
                       PostgresServer::kWalWriterHold.count());
  }
  void pause_server() override { own_server("pause").pause(); }
  void resume_server() override {
    if (server_) server_->resume();
  }
  std::int32_t server_pid() const override { return server_ ? server_->pid() : 0; }

  std::optional<LoadToolWorkload> load_tool_workload() const override {
    if (!strategy_.pgbench_script) return std::nullopt;
    LoadToolWorkload workload{"pgbench", strategy_.pgbench_script(context_), context_.conninfo, {}, {}};
    // The buyers' SETs, as options of each pgbench session.
    std::string options;
    for (const auto& [name, value] : session_settings(context_.options)) {
      options += fmt::format("{}-c {}={}", options.empty() ? "" : " ", name, value);
    }
    workload.environment.push_back("PGOPTIONS=" + options);
    return workload;
  }

  FinalState inspect() override {
    FinalState state;
    try {
      PgConnection connection(context_.conninfo);
      const PostgresTables& tables = context_.tables;
      if (context_.layout == PostgresLayout::kTicketRows) {
        state.remaining = connection.query_integer(fmt::format("SELECT count(*) FROM {}", tables.tickets));
      } else {
        PgResult row = connection.exec(fmt::format("SELECT remaining FROM {} WHERE id = 1", tables.inventory));
        if (!row.ok()) throw StoreError(fmt::format("PostgreSQL: {}", row.error()));
        if (row.rows() != 1) {
          state.corrupt = true;
          state.problem = fmt::format("{}: the inventory row is missing", tables.inventory);
          return state;
        }
        state.remaining = row.integer(0, 0);
      }
      PgResult ledger = connection.exec(fmt::format("SELECT ticket, operation_id FROM {}", tables.sales));
      if (!ledger.ok()) throw StoreError(fmt::format("PostgreSQL: {}", ledger.error()));
      std::vector<LedgerSale> sales(static_cast<std::size_t>(ledger.rows()));
      for (int row = 0; row < ledger.rows(); ++row) {
        sales[static_cast<std::size_t>(row)] = {ledger.integer(row, 0),
                                                static_cast<std::uint64_t>(ledger.integer(row, 1))};
      }
      state.ledger_sales = static_cast<std::int64_t>(sales.size());
      state.ledger = std::move(sales);
    } catch (const StoreError& e) {
      state.corrupt = true;
      state.problem = e.what();
    }
    return state;
  }

  std::string describe_stuck() override {
    try {
      PgConnection connection(context_.conninfo);
      std::int64_t waiting = connection.query_integer(
          "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()");
      return fmt::format("{} PostgreSQL session{} waiting for a lock; a wait longer than lock_timeout ({} ms) ended "
                         "the run",
                         waiting, waiting == 1 ? " is" : "s are",
                         std::chrono::duration_cast<std::chrono::milliseconds>(context_.options.lock_timeout).count());
    } catch (const StoreError& e) {
      return e.what();
    }
  }

 private:
  PostgresServer& own_server(std::string_view what) {
    if (!server_) {
      throw StoreError(fmt::format("cannot {} a server named by conninfo; only the run's own embedded one", what));
    }
    return *server_;
  }

  // The tables, made and filled in one transaction: a failure leaves
  // nothing. Tables of the same name mean a run id already in use.
  void create_tables(std::int64_t tickets) {
    PgConnection connection(context_.conninfo);
    const PostgresTables& tables = context_.tables;
    // Made durable whatever the scenario's synchronous_commit: a crash may
    // lose sales, not the tables.
    std::string sql = fmt::format(
        "SET synchronous_commit = on;"
        "BEGIN;"
        "CREATE TABLE {0} (ticket bigint NOT NULL, buyer_pid integer NOT NULL, operation_id bigint NOT NULL);",
        tables.sales);
    if (context_.layout == PostgresLayout::kTicketRows) {
      sql += fmt::format(
          "CREATE TABLE {0} (ticket bigint PRIMARY KEY);"
          "INSERT INTO {0} (ticket) SELECT generate_series(1, {1});",
          tables.tickets, tickets);
    } else {
      sql += fmt::format(
          "CREATE TABLE {0} (id integer PRIMARY KEY CHECK (id = 1), remaining bigint NOT NULL,"
          " version bigint NOT NULL DEFAULT 0);"
          "INSERT INTO {0} (id, remaining) VALUES (1, {1});",
          tables.inventory, tickets);
    }
    sql += "COMMIT;";
    PgResult result = connection.exec(sql);
    if (!result.ok()) {
      if (result.sqlstate() == "42P07") {
        throw StoreError(fmt::format("PostgreSQL: tables for run {} already exist ({}); nothing was changed", run_id_,
                                     result.error()));
      }
      throw StoreError(fmt::format("PostgreSQL: cannot make the run's tables: {}",
                                   connection.broken() ? connection.error() : result.error()));
    }
    created_ = true;
  }

  std::string drop_sql() const {
    const PostgresTables& tables = context_.tables;
    return context_.layout == PostgresLayout::kTicketRows
               ? fmt::format("DROP TABLE IF EXISTS {}, {}", tables.tickets, tables.sales)
               : fmt::format("DROP TABLE IF EXISTS {}, {}", tables.inventory, tables.sales);
  }

  pid_t owner_;
  PostgresStrategy strategy_;
  std::string run_id_;
  PostgresContext context_;
  std::shared_ptr<PostgresServer> server_;
  bool owns_server_ = false;  // started for this run, and stopped with it
  bool created_ = false;
};

}  // namespace

std::unique_ptr<StoreSetup> create_postgres_setup(const StoreSpec& spec, const PostgresStrategy& strategy) {
  return std::make_unique<PostgresSetup>(spec, strategy);
}

void check_postgres_server(const std::string& conninfo) {
  try {
    PgConnection connection(conninfo);
  } catch (const StoreError& e) {
    std::string_view why = e.what();
    if (why.starts_with("PostgreSQL: ")) why.remove_prefix(12);
    throw ServerUnreachable(
        fmt::format("PostgreSQL: cannot use the server --postgres or [postgres] conninfo names: {}", why));
  }
}

FinalState inspect_postgres_file(const std::filesystem::path& path) {
  FinalState state;
  state.corrupt = true;
  state.problem = fmt::format("{} is a file; a PostgreSQL store lives in its server", path.filename().string());
  return state;
}

}  // namespace ticketsim
