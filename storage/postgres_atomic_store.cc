#include "storage/postgres_atomic_store.h"

#include <fmt/format.h>

#include "storage/postgres_store.h"

namespace ticketsim {
namespace {

// The purchase's one statement: the ticket taken, or no row when none is left.
std::string take_sql(const PostgresTables& tables) {
  return fmt::format("UPDATE {} SET remaining = remaining - 1 WHERE id = 1 AND remaining > 0 "
                     "RETURNING remaining + 1 AS ticket",
                     tables.inventory);
}

class AtomicStore final : public PostgresStore {
 public:
  explicit AtomicStore(const PostgresContext& context) : PostgresStore(context) {
    connection().prepare("take", take_sql(context.tables), 0);
  }

 protected:
  PostgresAttempt attempt(const BuyRequest& request) override {
    PgResult taken = connection().exec_prepared("take");
    if (!taken.ok()) return PostgresAttempt::failed(std::move(taken));
    // There is no read before the write: the purchase delay (and the fault
    // hook) comes after it, while the UPDATE's row lock is held until
    // COMMIT: the critical section is the same one.
    request.between_read_and_write();
    if (taken.rows() == 0) return PostgresAttempt::done({Outcome::kSoldOut, 0, 0, 0});
    std::int64_t ticket = taken.integer(0, 0);
    return PostgresAttempt::done({Outcome::kSold, ticket, ticket, 0}, {record_sale(ticket, request)});
  }
};

std::unique_ptr<Store> open_store(const PostgresContext& context) { return std::make_unique<AtomicStore>(context); }

// attempt() for pgbench: \gset puts the ticket in :ticket (a sold-out
// answer, no row, would end the client: the tables hold enough tickets);
// the ledger's INSERT and COMMIT in one pipeline, as the store sends them.
std::string pgbench_script(const PostgresContext& context) {
  return pgbench_operation_id() + context.begin + ";\n" + take_sql(context.tables) + " \\gset\n" +
         pgbench_pipelined_commit(pgbench_record_sale(context, ":ticket"));
}

}  // namespace

std::unique_ptr<StoreSetup> create_postgres_atomic_store(const StoreSpec& spec) {
  return create_postgres_setup(spec, {PostgresLayout::kCounter, "read-committed", &open_store, &pgbench_script});
}

}  // namespace ticketsim
