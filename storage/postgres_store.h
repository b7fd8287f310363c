// What the PostgreSQL strategies share: the setup (the embedded server or the
// user's, the run's tables, inspect) and a buyer's store (its connection, the
// search, the transaction around each try of a purchase, and the retries).
// Each strategy adds one purchase: the statements between BEGIN and COMMIT.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "storage/postgres_connection.h"
#include "storage/store.h"

namespace ticketsim {

// How a strategy keeps its tickets.
enum class PostgresLayout {
  kCounter,     // one inventory row: remaining, version
  kTicketRows,  // one row per unsold ticket
};

// What a buyer's store is opened with.
struct PostgresContext {
  std::string conninfo;
  PostgresTables tables;
  StoreOptions options;
  PostgresLayout layout = PostgresLayout::kCounter;
  std::string begin;  // "BEGIN ISOLATION LEVEL ..."
};

// One try of a purchase, inside its transaction.
struct PostgresAttempt {
  enum class Kind {
    kDone,      // the statements ran, or are to be sent: `result` is what
                // `pipelined` and COMMIT will make true
    kFailed,    // a statement failed: `failure` holds its SQLSTATE
    kConflict,  // another purchase changed the row first (optimistic): try again
  };
  Kind kind = Kind::kDone;
  BuyResult result;
  PgResult failure;
  // The end of the purchase, whose answers decide nothing before COMMIT:
  // sent with the COMMIT in one pipeline, one round trip (the ledger's
  // INSERT, and the write when its value is known after the read).
  std::vector<PgStatement> pipelined;

  static PostgresAttempt done(BuyResult result, std::vector<PgStatement> pipelined = {}) {
    return {Kind::kDone, result, {}, std::move(pipelined)};
  }
  static PostgresAttempt failed(PgResult failure) { return {Kind::kFailed, {}, std::move(failure), {}}; }
  static PostgresAttempt conflict() { return {Kind::kConflict, {}, {}, {}}; }
};

class PostgresStore : public Store {
 public:
  // Connects and prepares the search and the ledger's insert; the strategy
  // prepares its own statements in its constructor. Throws StoreError.
  explicit PostgresStore(const PostgresContext& context);

  SearchResult search() override;
  // BEGIN, the strategy's attempt(), then its pipelined statements and
  // COMMIT in one pipeline; a try that fails with a serialization failure
  // or a deadlock (in the pipeline or before it) is rolled back and run
  // again, up to max_tries, after a randomized backoff. A lock wait past
  // lock_timeout ends it with kTimeout; a pipeline whose answers never
  // came, with kSold pending, with kIndeterminate.
  BuyResult buy(const BuyRequest& request) final;
  std::chrono::nanoseconds connect_time() const override { return connection_.connect_time(); }

 protected:
  // The purchase's statements, in the transaction buy() began.
  virtual PostgresAttempt attempt(const BuyRequest& request) = 0;

  PgConnection& connection() { return connection_; }
  const PostgresContext& context() const { return context_; }
  // The sale written into the ledger, for the pipeline.
  static PgStatement record_sale(std::int64_t ticket, const BuyRequest& request);

 private:
  // The attempt's pipelined statements and COMMIT, sent in one pipeline,
  // then the fault point, then their answers: the purchase's end, or
  // `tried` failed (`cut_off` when the server went away before the COMMIT
  // could have run).
  std::optional<BuyResult> finish(PostgresAttempt& tried, const BuyRequest& request, const BuyResult& counts,
                                  bool& cut_off);
  void backoff(std::uint32_t retry);
  // A new connection after the server dropped this one, tried with a
  // growing pause until lock_timeout has passed; false then.
  bool reconnect();

  PostgresContext context_;
  PgConnection connection_;
  std::uint64_t random_;
};

// A PostgreSQL strategy as the shared setup sees it.
struct PostgresStrategy {
  PostgresLayout layout = PostgresLayout::kCounter;
  std::string_view isolation = "read-committed";  // its own level, unless the scenario names one
  std::unique_ptr<Store> (*open)(const PostgresContext& context) = nullptr;
  // The purchase as a pgbench script (pgbench -M prepared): the same
  // statements, in the same transaction, as the store's; null: none.
  std::string (*pgbench_script)(const PostgresContext& context) = nullptr;
};

// The ledger's INSERT: $1 ticket, $2 buyer pid, $3 operation id.
std::string record_sale_sql(const PostgresTables& tables);

// `sql` with each $n replaced by the n-th of `variables` (":ticket"): a
// prepared statement as a line of a pgbench script, which pgbench -M
// prepared sends as the same statement with parameters.
std::string pgbench_line(std::string_view sql, std::initializer_list<std::string_view> variables);

// The script's first line and its ledger INSERT, which every strategy's
// script shares: an operation id drawn for the sale, and the sale of
// `ticket_variable` (":ticket") recorded with pgbench's client id for the
// buyer's pid.
std::string pgbench_operation_id();
std::string pgbench_record_sale(const PostgresContext& context, std::string_view ticket_variable);
// `statements` (lines of a script) and COMMIT in one pipeline
// (\startpipeline ... \endpipeline), as PostgresStore::buy() sends an
// attempt's pipelined statements.
std::string pgbench_pipelined_commit(std::string_view statements);

// The setup every PostgreSQL strategy uses: with no conninfo in the options,
// a PostgresServer of its own; the run's tables, made here and dropped when
// it goes (on a server the user named; the embedded one goes whole).
// Throws StoreError when the server cannot be started or reached.
std::unique_ptr<StoreSetup> create_postgres_setup(const StoreSpec& spec, const PostgresStrategy& strategy);

// Connects once to the server `conninfo` names, to learn before anything
// is made whether it can be reached; throws ServerUnreachable with libpq's
// reason on one line when it cannot.
void check_postgres_server(const std::string& conninfo);

// A PostgreSQL store is not a file: what the runner's check of --store
// finds at `path` is never one.
FinalState inspect_postgres_file(const std::filesystem::path& path);

}  // namespace ticketsim
