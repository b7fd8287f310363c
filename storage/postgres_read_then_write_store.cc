#include "storage/postgres_read_then_write_store.h"

#include <fmt/format.h>

#include "storage/postgres_store.h"

namespace ticketsim {
namespace {

enum class Guard {
  kNone,       // nothing: two buyers can read the same count
  kRowLock,    // SELECT ... FOR UPDATE
  kAdvisory,   // pg_advisory_xact_lock first
};

std::string read_sql(const PostgresTables& tables, Guard guard) {
  return fmt::format("SELECT remaining FROM {} WHERE id = 1{}", tables.inventory,
                     guard == Guard::kRowLock ? " FOR UPDATE" : "");
}

std::string write_sql(const PostgresTables& tables) {
  return fmt::format("UPDATE {} SET remaining = $1 WHERE id = 1", tables.inventory);
}

class ReadThenWriteStore final : public PostgresStore {
 public:
  ReadThenWriteStore(const PostgresContext& context, Guard guard) : PostgresStore(context), guard_(guard) {
    const PostgresTables& tables = context.tables;
    connection().prepare("read", read_sql(tables, guard), 0);
    connection().prepare("write", write_sql(tables), 1);
    if (guard == Guard::kAdvisory) connection().prepare("lock", "SELECT pg_advisory_xact_lock($1)", 1);
  }

 protected:
  PostgresAttempt attempt(const BuyRequest& request) override {
    if (guard_ == Guard::kAdvisory) {
      PgResult locked = connection().exec_prepared("lock", {std::to_string(context().tables.advisory_key)});
      if (!locked.ok()) return PostgresAttempt::failed(std::move(locked));
    }
    PgResult read = connection().exec_prepared("read");
    if (!read.ok() || read.rows() != 1) return PostgresAttempt::failed(std::move(read));
    std::int64_t remaining = read.integer(0, 0);
    request.between_read_and_write();
    if (remaining <= 0) return PostgresAttempt::done({Outcome::kSoldOut, remaining, 0, 0});
    // The value written is known: the write, the ledger's INSERT and the
    // COMMIT go in one round trip, the only one the row lock (if any) is
    // held across after the read.
    return PostgresAttempt::done({Outcome::kSold, remaining, remaining, 0},
                                 {{"write", {std::to_string(remaining - 1)}}, record_sale(remaining, request)});
  }

 private:
  Guard guard_;
};

template <Guard guard>
std::unique_ptr<Store> open_store(const PostgresContext& context) {
  return std::make_unique<ReadThenWriteStore>(context, guard);
}

// attempt() for pgbench, with the row lock: \gset puts the count read in
// :remaining (the tables hold enough tickets never to reach 0); the write,
// the ledger's INSERT and COMMIT in one pipeline, as the store sends them.
std::string pgbench_for_update_script(const PostgresContext& context) {
  return pgbench_operation_id() + context.begin + ";\n" + read_sql(context.tables, Guard::kRowLock) +
         " \\gset\n\\set left :remaining - 1\n" +
         pgbench_pipelined_commit(pgbench_line(write_sql(context.tables), {":left"}) + ";\n" +
                                  pgbench_record_sale(context, ":remaining"));
}

}  // namespace

std::unique_ptr<StoreSetup> create_postgres_read_write_store(const StoreSpec& spec) {
  return create_postgres_setup(spec, {PostgresLayout::kCounter, "read-committed", &open_store<Guard::kNone>});
}

std::unique_ptr<StoreSetup> create_postgres_for_update_store(const StoreSpec& spec) {
  return create_postgres_setup(spec, {PostgresLayout::kCounter, "read-committed", &open_store<Guard::kRowLock>,
                                     &pgbench_for_update_script});
}

std::unique_ptr<StoreSetup> create_postgres_serializable_store(const StoreSpec& spec) {
  return create_postgres_setup(spec, {PostgresLayout::kCounter, "serializable", &open_store<Guard::kNone>});
}

std::unique_ptr<StoreSetup> create_postgres_advisory_store(const StoreSpec& spec) {
  return create_postgres_setup(spec, {PostgresLayout::kCounter, "read-committed", &open_store<Guard::kAdvisory>});
}

}  // namespace ticketsim
