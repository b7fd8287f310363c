#include "storage/postgres_connection.h"

#include <cctype>
#include <cstdlib>
#include <vector>

#include <fmt/format.h>

namespace ticketsim {

std::string conninfo_quote(std::string_view value) {
  std::string quoted = "'";
  for (char c : value) {
    if (c == '\\' || c == '\'') quoted += '\\';
    quoted += c;
  }
  return quoted + "'";
}

bool PgResult::ok() const {
  ExecStatusType status = result_ ? PQresultStatus(result_) : PGRES_FATAL_ERROR;
  return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

std::int64_t PgResult::integer(int row, int column) const {
  return std::strtoll(PQgetvalue(result_, row, column), nullptr, 10);
}

std::int64_t PgResult::affected() const {
  return result_ ? std::strtoll(PQcmdTuples(result_), nullptr, 10) : 0;
}

std::string_view PgResult::sqlstate() const {
  if (!result_) return {};
  const char* state = PQresultErrorField(result_, PG_DIAG_SQLSTATE);
  return state ? state : "";
}

std::string PgResult::error() const {
  if (!result_) return "no answer from the server";
  return one_line(PQresultErrorMessage(result_));
}

PgConnection::PgConnection(const std::string& conninfo) {
  // The user's conninfo is expanded in place of "dbname" (it may be a URI);
  // the names before it are only defaults it can override. Without a
  // connect_timeout, an unreachable host would hold the run for minutes.
  const char* keywords[] = {"connect_timeout", "fallback_application_name", "dbname", nullptr};
  const char* values[] = {"10", "ticketsim", conninfo.c_str(), nullptr};
  auto start = std::chrono::steady_clock::now();
  conn_ = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  connect_time_ = std::chrono::steady_clock::now() - start;
  if (!conn_) throw StoreError("PostgreSQL: out of memory");
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string message = one_line(PQerrorMessage(conn_));
    PQfinish(conn_);
    throw StoreError(fmt::format("PostgreSQL: {}", message));
  }
  // The server's notices ("terminating connection due to immediate shutdown
  // command" from a crash fault, once per buyer) would land in the middle of
  // the report on stderr; what they announce reaches the buyer as an error.
  PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
}

PgConnection::~PgConnection() { PQfinish(conn_); }

PgResult PgConnection::exec(const std::string& sql) { return PgResult(PQexec(conn_, sql.c_str())); }

void PgConnection::run(const std::string& sql) {
  PgResult result = exec(sql);
  if (!result.ok()) throw StoreError(fmt::format("PostgreSQL: {}", broken() ? error() : result.error()));
}

void PgConnection::prepare(const std::string& name, const std::string& sql, int parameters) {
  PgResult result(PQprepare(conn_, name.c_str(), sql.c_str(), parameters, nullptr));
  if (!result.ok()) {
    throw StoreError(fmt::format("PostgreSQL: cannot prepare '{}': {}", sql, broken() ? error() : result.error()));
  }
  remembered_.push_back({name, sql, parameters});
}

void PgConnection::session(const std::string& sql) {
  run(sql);
  remembered_.push_back({"", sql, 0});
}

namespace {

// C strings for libpq of `parameters`, which must outlive them.
std::vector<const char*> c_strings(const std::vector<std::string>& parameters) {
  std::vector<const char*> values;
  values.reserve(parameters.size());
  for (const std::string& parameter : parameters) values.push_back(parameter.c_str());
  return values;
}

}  // namespace

bool PgConnection::send_pipeline(const std::vector<PgStatement>& statements) {
  if (PQenterPipelineMode(conn_) != 1) return false;
  for (const PgStatement& statement : statements) {
    std::vector<const char*> values = c_strings(statement.parameters);
    if (PQsendQueryPrepared(conn_, statement.name.c_str(), static_cast<int>(values.size()), values.data(), nullptr,
                            nullptr, 0) != 1) {
      PQexitPipelineMode(conn_);
      return false;
    }
  }
  // The sync ends the pipeline and flushes it: everything leaves at once.
  if (PQpipelineSync(conn_) != 1) {
    PQexitPipelineMode(conn_);
    return false;
  }
  return true;
}

std::vector<PgResult> PgConnection::receive_pipeline(std::size_t count) {
  std::vector<PgResult> answers;
  answers.reserve(count);
  // Each statement's answer is one result and then a null; the sync's is
  // PGRES_PIPELINE_SYNC. A broken connection answers with an error of
  // libpq's own and then only nulls: more nulls than statements end it.
  std::size_t nulls = 0;
  while (nulls <= count) {
    PGresult* result = PQgetResult(conn_);
    if (!result) {
      ++nulls;
      continue;
    }
    if (PQresultStatus(result) == PGRES_PIPELINE_SYNC) {
      PQclear(result);
      break;
    }
    if (answers.size() < count) {
      answers.emplace_back(result);
    } else {
      PQclear(result);
    }
  }
  // Fails only on a broken connection: reconnect()'s PQreset ends the
  // pipeline with the connection.
  PQexitPipelineMode(conn_);
  return answers;
}

bool PgConnection::reconnect() {
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) return false;
  for (const Statement& statement : remembered_) {
    PgResult result(statement.name.empty()
                        ? PQexec(conn_, statement.sql.c_str())
                        : PQprepare(conn_, statement.name.c_str(), statement.sql.c_str(), statement.parameters, nullptr));
    if (!result.ok()) return false;
  }
  return true;
}

bool connection_lost(const PgConnection& connection, const PgResult& result) {
  std::string_view state = result.sqlstate();
  // No SQLSTATE: the error is libpq's own, no answer came ("server closed
  // the connection unexpectedly" on a connection idle when the server
  // died, which libpq need not mark bad).
  return connection.broken() || state.empty() || state.starts_with("57P") || state.starts_with("08");
}

PgResult PgConnection::exec_prepared(const std::string& name, std::initializer_list<std::string_view> parameters) {
  // Every parameter is text; the views must end where a C string would, so
  // they are copied (a few bytes each).
  std::vector<std::string> copies(parameters.begin(), parameters.end());
  std::vector<const char*> values = c_strings(copies);
  return PgResult(PQexecPrepared(conn_, name.c_str(), static_cast<int>(values.size()), values.data(), nullptr,
                                 nullptr, 0));
}

std::int64_t PgConnection::query_integer(const std::string& sql) {
  PgResult result = exec(sql);
  if (!result.ok()) throw StoreError(fmt::format("PostgreSQL: {}", broken() ? error() : result.error()));
  if (result.rows() < 1) throw StoreError(fmt::format("PostgreSQL: '{}' returned no row", sql));
  return result.integer(0, 0);
}

bool PgConnection::in_transaction() const {
  PGTransactionStatusType status = PQtransactionStatus(conn_);
  return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE;
}

namespace {

// FNV-1a: a stable 64-bit digest of a name.
std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

}  // namespace

PostgresTables::PostgresTables(std::string_view run_id) {
  // Identifiers hold at most 63 bytes: "ticketsim_" + id + "_inventory"
  // leaves 43 for the id; a longer one is cut and made unique by its digest.
  std::string id;
  for (char c : run_id) id += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '_';
  if (id.size() > 40) id = fmt::format("{}_{:08x}", id.substr(0, 31), fnv1a(run_id) & 0xffffffffULL);
  std::string prefix = "ticketsim_" + id;
  inventory = prefix + "_inventory";
  tickets = prefix + "_tickets";
  sales = prefix + "_sales";
  advisory_key = static_cast<std::int64_t>(fnv1a(prefix));
}

std::string isolation_sql(std::string_view isolation) {
  if (isolation == "repeatable-read") return "REPEATABLE READ";
  if (isolation == "serializable") return "SERIALIZABLE";
  return "READ COMMITTED";
}

}  // namespace ticketsim
