#include "storage/store.h"

#include "storage/named_mutex_store.h"
#include "storage/plain_store.h"
#include "storage/sqlite_store.h"

namespace ticketsim {
namespace {

// The registry: one line per strategy.
constexpr StrategyInfo kStrategies[] = {
    {"plain", "JSON file, no lock: the seed's race (it oversells)", &create_plain_store},
    {"named-mutex", "JSON file under a Boost.Interprocess named_mutex", &create_named_mutex_store},
    {"sqlite", "SQLite in WAL mode, BEGIN IMMEDIATE per purchase", &create_sqlite_store},
};

}  // namespace

std::string_view outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::kOk: return "ok";
    case Outcome::kSold: return "sold";
    case Outcome::kSoldOut: return "sold-out";
    case Outcome::kCorrupt: return "corrupt";
    case Outcome::kError: return "error";
  }
  return "unknown";
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
