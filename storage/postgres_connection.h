// What every PostgreSQL strategy shares: one libpq connection with its
// prepared statements, the results it returns, the SQLSTATEs a purchase
// retries, and the names of one run's tables.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/store.h"
#include "storage/words.h"

namespace ticketsim {

// SQLSTATEs a purchase retries: the transaction lost to another and may
// succeed when run again.
inline constexpr std::string_view kSerializationFailure = "40001";
inline constexpr std::string_view kDeadlockDetected = "40P01";
// A lock wait that passed the session's lock_timeout.
inline constexpr std::string_view kLockNotAvailable = "55P03";

// `value` quoted for a conninfo string: 'a b' with \ and ' escaped.
std::string conninfo_quote(std::string_view value);

// One PGresult, cleared when it goes.
class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(PGresult* result) : result_(result) {}
  ~PgResult() { PQclear(result_); }
  PgResult(PgResult&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
  PgResult& operator=(PgResult&& other) noexcept {
    std::swap(result_, other.result_);
    return *this;
  }
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;

  // A command that completed (with rows or without).
  bool ok() const;
  int rows() const { return result_ ? PQntuples(result_) : 0; }
  // Rows an INSERT, UPDATE or DELETE changed.
  std::int64_t affected() const;
  std::int64_t integer(int row, int column) const;
  std::string text(int row, int column) const { return PQgetvalue(result_, row, column); }
  // The SQLSTATE of a failed command; "" when it did not fail or when no
  // answer came (the connection broke).
  std::string_view sqlstate() const;
  std::string error() const;

 private:
  PGresult* result_ = nullptr;
};

// A prepared statement and its text parameters, to be sent later (in a
// pipeline).
struct PgStatement {
  std::string name;
  std::vector<std::string> parameters;
};

// One connection to the server. Opened in the process that uses it (a buyer
// after fork, the setup in the parent), never shared across fork: libpq's
// socket would then carry two processes' messages.
class PgConnection {
 public:
  // Connects with `conninfo` (libpq's PG* environment variables fill in what
  // it leaves out); throws StoreError with libpq's reason on one line.
  explicit PgConnection(const std::string& conninfo);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs `sql` (one or more statements, no parameters); throws StoreError.
  void run(const std::string& sql);
  // Runs `sql` as run() does, and again on every new session reconnect()
  // opens (a SET).
  void session(const std::string& sql);
  // Runs `sql`; the result, failed or not.
  PgResult exec(const std::string& sql);
  // Sends `statements` in one pipeline (libpq's pipeline mode), closed by a
  // sync and flushed: the server runs them one after the other, and their
  // answers come back together, in one round trip. False when they could
  // not be sent (the connection is gone); receive_pipeline() then reads
  // the answers.
  bool send_pipeline(const std::vector<PgStatement>& statements);
  // The answers to the `count` statements send_pipeline() sent, in order:
  // a statement after a failed one is answered PGRES_PIPELINE_ABORTED, and
  // fewer come when the connection broke. Leaves pipeline mode.
  std::vector<PgResult> receive_pipeline(std::size_t count);
  // After the server dropped the connection: one try at a new one, with
  // every session() setting and prepared statement made again. False when
  // the server does not accept it (yet).
  bool reconnect();
  // Prepares `sql` as statement `name` on this connection; throws StoreError.
  void prepare(const std::string& name, const std::string& sql, int parameters);
  // Runs prepared statement `name` with text parameters.
  PgResult exec_prepared(const std::string& name, std::initializer_list<std::string_view> parameters = {});

  // The first column of the first row of `sql`, as an integer; throws
  // StoreError when the query fails or returns no row.
  std::int64_t query_integer(const std::string& sql);

  bool broken() const { return PQstatus(conn_) == CONNECTION_BAD; }
  bool in_transaction() const;
  std::string error() const { return one_line(PQerrorMessage(conn_)); }
  // How long the connection took to open.
  std::chrono::nanoseconds connect_time() const { return connect_time_; }

 private:
  PGconn* conn_ = nullptr;
  std::chrono::nanoseconds connect_time_{0};
  struct Statement {
    std::string name;  // empty: a session() statement
    std::string sql;
    int parameters = 0;
  };
  std::vector<Statement> remembered_;  // made again by reconnect()
};

// Whether a failed `result` means the server went away: the connection is
// broken, no answer came (no SQLSTATE: libpq's own error), or the server is
// shutting down (class 57P) or cannot be reached (class 08).
bool connection_lost(const PgConnection& connection, const PgResult& result);

// The tables of one run, named from its run id, so that runs on one server
// never meet and nothing else in the database is touched.
struct PostgresTables {
  PostgresTables() = default;
  explicit PostgresTables(std::string_view run_id);
  std::string inventory;  // one row (id 1): remaining, version
  std::string tickets;    // one row per unsold ticket (postgres-skip-locked)
  std::string sales;      // the ledger: ticket, buyer_pid, operation_id
  std::int64_t advisory_key = 0;  // the pg_advisory_xact_lock key of this run
};

// "READ COMMITTED" for "read-committed", and so on; the scenario's names.
std::string isolation_sql(std::string_view isolation);

}  // namespace ticketsim
