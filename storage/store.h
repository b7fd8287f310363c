// The ticket store interface. A strategy is one StoreSetup subclass (made by the
// parent before any buyer is forked) and the Store it opens in each buyer after
// fork. Adding a strategy means one file pair and one line in store.cc.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ticketsim {

// What one store operation ended with.
enum class Outcome : std::uint8_t {
  kOk = 0,       // a search that read a count
  kSold = 1,     // a purchase that sold a ticket
  kSoldOut = 2,  // a purchase that found no ticket left
  kCorrupt = 3,  // the store could not be read: a torn or garbled document
  kError = 4,    // the store failed (I/O error, database error)
};

std::string_view outcome_name(Outcome outcome);

struct SearchResult {
  Outcome outcome = Outcome::kOk;
  std::int64_t count = 0;  // the remaining count read; meaningful when kOk
};

struct BuyResult {
  Outcome outcome = Outcome::kSoldOut;
  std::int64_t count_read = 0;  // the count this purchase decided on
  std::int64_t ticket = 0;      // the sold ticket's number when kSold, else 0
  std::uint32_t retries = 0;    // times the store had to retry (SQLITE_BUSY)
};

// One purchase as the buyer asks for it.
struct BuyRequest {
  std::int32_t buyer_pid = 0;
  std::uint64_t operation_id = 0;  // unique within the run; kept in ledgers
  // Time spent between reading the count and writing it back: the seed's
  // simulated network delay, spent inside the critical section.
  std::chrono::nanoseconds purchase_delay{0};
};

// A store as one buyer process sees it. Opened in the child after fork;
// never shared between processes.
class Store {
 public:
  virtual ~Store() = default;
  virtual SearchResult search() = 0;
  virtual BuyResult buy(const BuyRequest& request) = 0;
};

// The store as the checker sees it after every buyer has been reaped.
struct FinalState {
  bool corrupt = false;
  std::string problem;            // why it is corrupt, in words
  std::int64_t remaining = 0;     // meaningful when !corrupt
  std::optional<std::int64_t> ledger_sales;  // sales recorded by the store itself
};

// Where a run keeps its store. The runner owns `dir` (a fresh per-run
// directory); `run_id` is unique per run and names any OS-wide object.
struct StoreSpec {
  std::filesystem::path dir;
  std::string run_id;
  std::int64_t tickets = 0;
};

// Raised when a store cannot be created, opened or inspected.
class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Owns one run's store: its files and named objects. Made in the parent
// before fork; its destructor removes every named object it created.
class StoreSetup {
 public:
  virtual ~StoreSetup() = default;
  // In a buyer, after fork: a handle of the buyer's own.
  virtual std::unique_ptr<Store> open() = 0;
  // In the parent, after every buyer is reaped.
  virtual FinalState inspect() = 0;
};

struct StrategyInfo {
  std::string_view name;
  std::string_view summary;
  std::unique_ptr<StoreSetup> (*create)(const StoreSpec& spec);
};

// Every strategy, in the order reports list them.
std::span<const StrategyInfo> strategies();

// The strategy called `name`, or nullptr.
const StrategyInfo* find_strategy(std::string_view name);

// "plain, named-mutex, sqlite": for error messages and help.
std::string strategy_names();

}  // namespace ticketsim
