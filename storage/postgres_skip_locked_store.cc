#include "storage/postgres_skip_locked_store.h"

#include <fmt/format.h>

#include "storage/postgres_store.h"

namespace ticketsim {
namespace {

class SkipLockedStore final : public PostgresStore {
 public:
  explicit SkipLockedStore(const PostgresContext& context) : PostgresStore(context) {
    const PostgresTables& tables = context.tables;
    connection().prepare(
        "take", fmt::format("SELECT ticket FROM {} ORDER BY ticket DESC LIMIT 1 FOR UPDATE SKIP LOCKED", tables.tickets),
        0);
    connection().prepare("sell", fmt::format("DELETE FROM {} WHERE ticket = $1", tables.tickets), 1);
  }

 protected:
  PostgresAttempt attempt(const BuyRequest& request) override {
    PgResult taken = connection().exec_prepared("take");
    if (!taken.ok()) return PostgresAttempt::failed(std::move(taken));
    request.between_read_and_write();
    if (taken.rows() == 0) return PostgresAttempt::done({Outcome::kSoldOut, 0, 0, 0});
    // The ticket stands for the count this purchase decided on, as the
    // other strategies' tickets do.
    std::int64_t ticket = taken.integer(0, 0);
    // The row is this transaction's (locked by the SELECT): its DELETE,
    // the ledger's INSERT and the COMMIT go in one round trip.
    return PostgresAttempt::done({Outcome::kSold, ticket, ticket, 0},
                                 {{"sell", {std::to_string(ticket)}}, record_sale(ticket, request)});
  }
};

std::unique_ptr<Store> open_store(const PostgresContext& context) {
  return std::make_unique<SkipLockedStore>(context);
}

}  // namespace

std::unique_ptr<StoreSetup> create_postgres_skip_locked_store(const StoreSpec& spec) {
  return create_postgres_setup(spec, {PostgresLayout::kTicketRows, "read-committed", &open_store});
}

}  // namespace ticketsim
