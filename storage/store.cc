#include "storage/store.h"

#include <thread>

#include "storage/file_lock_store.h"
#include "storage/json_file.h"
#include "storage/named_mutex_store.h"
#include "storage/plain_store.h"
#include "storage/postgres_atomic_store.h"
#include "storage/postgres_optimistic_store.h"
#include "storage/postgres_read_then_write_store.h"
#include "storage/postgres_skip_locked_store.h"
#include "storage/postgres_store.h"
#include "storage/queue_store.h"
#include "storage/redis_decr_store.h"
#include "storage/redis_get_set_store.h"
#include "storage/redis_lua_store.h"
#include "storage/redis_store.h"
#include "storage/redis_watch_store.h"
#include "storage/robust_mutex_store.h"
#include "storage/sqlite_store.h"

namespace ticketsim {
namespace {

// The registry: one entry per strategy.
constexpr StrategyInfo kStrategies[] = {
    {.name = "plain", .summary = "JSON file, no lock: the seed's race (it oversells)",
     .create = &create_plain_store, .inspect_file = &inspect_count_file, .guarantee = Guarantee::kRacy},
    {.name = "named-mutex", .summary = "JSON file under a Boost.Interprocess named_mutex",
     .create = &create_named_mutex_store, .inspect_file = &inspect_count_file},
    {.name = "file-lock", .summary = "JSON file under a kernel OFD lock on a lock file",
     .create = &create_file_lock_store, .inspect_file = &inspect_count_file},
    {.name = "robust-mutex", .summary = "JSON file under a robust process-shared pthread mutex",
     .create = &create_robust_mutex_store, .inspect_file = &inspect_count_file},
    {.name = "sqlite", .summary = "SQLite, BEGIN IMMEDIATE per purchase", .create = &create_sqlite_store,
     .inspect_file = &inspect_sqlite_file, .keeps_ledger = true, .transactional = true},
    {.name = "sqlite-deferred", .summary = "SQLite, BEGIN DEFERRED: read, then upgrade to write",
     .create = &create_sqlite_deferred_store, .inspect_file = &inspect_sqlite_file, .keeps_ledger = true,
     .transactional = true},
    {.name = "queue", .summary = "one seller process serves buyers through message queues",
     .create = &create_queue_store, .inspect_file = &inspect_count_file, .has_seller = true},
    {.name = "postgres-read-write",
     .summary = "PostgreSQL, SELECT then UPDATE at READ COMMITTED: the seed's race (it oversells)",
     .create = &create_postgres_read_write_store, .inspect_file = &inspect_postgres_file,
     .guarantee = Guarantee::kRacy, .keeps_ledger = true, .transactional = true, .server = true},
    {.name = "postgres-for-update", .summary = "PostgreSQL, SELECT ... FOR UPDATE, then UPDATE",
     .create = &create_postgres_for_update_store, .inspect_file = &inspect_postgres_file, .keeps_ledger = true,
     .transactional = true, .server = true},
    {.name = "postgres-atomic", .summary = "PostgreSQL, one UPDATE ... WHERE remaining > 0 RETURNING",
     .create = &create_postgres_atomic_store, .inspect_file = &inspect_postgres_file, .keeps_ledger = true,
     .transactional = true, .server = true},
    {.name = "postgres-serializable",
     .summary = "PostgreSQL, SELECT then UPDATE at SERIALIZABLE, retried on 40001/40P01",
     .create = &create_postgres_serializable_store, .inspect_file = &inspect_postgres_file, .keeps_ledger = true,
     .transactional = true, .server = true},
    {.name = "postgres-optimistic", .summary = "PostgreSQL, UPDATE ... WHERE version = read, retried when it loses",
     .create = &create_postgres_optimistic_store, .inspect_file = &inspect_postgres_file, .keeps_ledger = true,
     .transactional = true, .server = true},
    {.name = "postgres-advisory", .summary = "PostgreSQL, pg_advisory_xact_lock around SELECT then UPDATE",
     .create = &create_postgres_advisory_store, .inspect_file = &inspect_postgres_file, .keeps_ledger = true,
     .transactional = true, .server = true},
    {.name = "postgres-skip-locked", .summary = "PostgreSQL, a row per ticket, FOR UPDATE SKIP LOCKED LIMIT 1",
     .create = &create_postgres_skip_locked_store, .inspect_file = &inspect_postgres_file, .keeps_ledger = true,
     .transactional = true, .server = true},
    {.name = "redis-get-set", .summary = "Redis, GET then SET count-1: the seed's race (it oversells)",
     .create = &create_redis_get_set_store, .inspect_file = &inspect_redis_file, .guarantee = Guarantee::kRacy,
     .server = true, .server_kind = ServerKind::kRedis},
    {.name = "redis-decr", .summary = "Redis, DECR, INCR back when negative: a search can read a negative count",
     .create = &create_redis_decr_store, .inspect_file = &inspect_redis_file, .guarantee = Guarantee::kRacy,
     .server = true, .server_kind = ServerKind::kRedis},
    {.name = "redis-lua", .summary = "Redis, one EVALSHA: check, decrement and append to the ledger at once",
     .create = &create_redis_lua_store, .inspect_file = &inspect_redis_file, .keeps_ledger = true,
     .transactional = true, .server = true, .server_kind = ServerKind::kRedis},
    {.name = "redis-watch", .summary = "Redis, WATCH/GET/MULTI/DECR/EXEC, retried when EXEC aborts",
     .create = &create_redis_watch_store, .inspect_file = &inspect_redis_file, .keeps_ledger = true,
     .transactional = true, .server = true, .server_kind = ServerKind::kRedis},
};

}  // namespace

std::string_view outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::kOk: return "ok";
    case Outcome::kSold: return "sold";
    case Outcome::kSoldOut: return "sold-out";
    case Outcome::kCorrupt: return "corrupt";
    case Outcome::kError: return "error";
    case Outcome::kTimeout: return "timeout";
    case Outcome::kIndeterminate: return "indeterminate";
    case Outcome::kCancelled: return "cancelled";
  }
  return "unknown";
}

std::string_view server_kind_name(ServerKind kind) {
  switch (kind) {
    case ServerKind::kPostgres: return "PostgreSQL";
    case ServerKind::kRedis: return "Redis";
  }
  return "unknown";
}

void BuyRequest::between_read_and_write() const {
  if (purchase_delay.count() > 0) std::this_thread::sleep_for(purchase_delay);
  if (hook) hook->in_critical_section();
}

std::span<const StrategyInfo> strategies() { return kStrategies; }

const StrategyInfo* find_strategy(std::string_view name) {
  for (const StrategyInfo& info : kStrategies) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

std::string strategy_names() {
  std::string names;
  for (const StrategyInfo& info : kStrategies) {
    if (!names.empty()) names += ", ";
    names += info.name;
  }
  return names;
}

}  // namespace ticketsim
