#include "storage/postgres_optimistic_store.h"

#include <fmt/format.h>

#include "storage/postgres_store.h"

namespace ticketsim {
namespace {

class OptimisticStore final : public PostgresStore {
 public:
  explicit OptimisticStore(const PostgresContext& context) : PostgresStore(context) {
    const PostgresTables& tables = context.tables;
    connection().prepare("read", fmt::format("SELECT remaining, version FROM {} WHERE id = 1", tables.inventory), 0);
    connection().prepare("write",
                         fmt::format("UPDATE {} SET remaining = remaining - 1, version = version + 1 "
                                     "WHERE id = 1 AND version = $1",
                                     tables.inventory),
                         1);
  }

 protected:
  PostgresAttempt attempt(const BuyRequest& request) override {
    PgResult read = connection().exec_prepared("read");
    if (!read.ok() || read.rows() != 1) return PostgresAttempt::failed(std::move(read));
    std::int64_t remaining = read.integer(0, 0);
    std::int64_t version = read.integer(0, 1);
    request.between_read_and_write();
    if (remaining <= 0) return PostgresAttempt::done({Outcome::kSoldOut, remaining, 0, 0});
    PgResult written = connection().exec_prepared("write", {std::to_string(version)});
    if (!written.ok()) return PostgresAttempt::failed(std::move(written));
    if (written.affected() == 0) return PostgresAttempt::conflict();
    // The write's answer decides (0 rows: a conflict), so only the ledger's
    // INSERT goes with the COMMIT.
    return PostgresAttempt::done({Outcome::kSold, remaining, remaining, 0}, {record_sale(remaining, request)});
  }
};

std::unique_ptr<Store> open_store(const PostgresContext& context) {
  return std::make_unique<OptimisticStore>(context);
}

}  // namespace

std::unique_ptr<StoreSetup> create_postgres_optimistic_store(const StoreSpec& spec) {
  return create_postgres_setup(spec, {PostgresLayout::kCounter, "read-committed", &open_store});
}

}  // namespace ticketsim
