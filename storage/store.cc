#include "storage/store.h"

#include <thread>

#include "storage/file_lock_store.h"
#include "storage/json_file.h"
#include "storage/named_mutex_store.h"
#include "storage/plain_store.h"
#include "storage/queue_store.h"
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
