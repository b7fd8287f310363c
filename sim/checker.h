// The checker: decides from the buyers' histories and the final store whether
// a run was correct. It knows nothing of processes or of how the history was
// recorded: it reads operations.
//
// A purchase left indeterminate (its buyer was killed inside it, or the
// seller never replied) may or may not have sold: the store's final count
// must lie between the acknowledged sales and those plus the indeterminate
// ones. Each search is checked against bounds, as Jepsen's counter checker
// does: it may not show fewer tickets than all purchases begun before it
// ended allow, nor more than all sales acknowledged before it began allow.
// Times from several hosts carry an uncertainty (BuyerHistory): each
// operation is widened by it, so that "before" means before whatever the
// clocks' error; ordering can only be lost by it, never invented.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/history.h"
#include "storage/store.h"

namespace ticketsim {

// The anomaly classes, in the order reports list them.
enum class Anomaly : std::uint8_t {
  kOversold,             // acknowledged sales beyond the initial tickets
  kDuplicateTickets,     // sales of a ticket already sold
  kLostUpdates,          // acknowledged sales the store's count does not show
  kUnacknowledgedSales,  // decrements of the count no buyer was told of
  kOutOfRange,           // counts read or tickets sold outside 0..tickets
  kCorruptReads,         // reads that met a torn or garbled store
  kStaleReads,           // reads that missed sales acknowledged before they began
  kPhantomReads,         // reads (or sold-out answers) showing sales that had not begun
  kStoreErrors,          // operations the store failed (I/O, database)
  kCorruptStore,         // the final store is unreadable or fails its integrity check
  kLedgerMismatch,       // the store's own sales ledger disagrees with the buyers
  kUnfinishedBuyers,     // buyers that did not run to their end
  kLostAcknowledgedSales,  // acknowledged sales the store's ledger does not hold (lost in a server crash)
};
// The last class, and from it how many there are: a class added after it
// must become it (tests/checker_test.cc fails otherwise, as anomaly_key
// then names a class beyond the count).
inline constexpr Anomaly kLastAnomaly = Anomaly::kLostAcknowledgedSales;
inline constexpr int kAnomalyClasses = static_cast<int>(kLastAnomaly) + 1;

// "oversold", "duplicate_tickets", ...: the keys of the JSON result.
std::string_view anomaly_key(Anomaly anomaly);

struct AnomalyReport {
  Anomaly anomaly;
  std::int64_t count = 0;
  std::string example;  // the first instance, in words; empty when count is 0
};

struct CheckInput {
  std::span<const BuyerHistory> buyers;
  std::int64_t tickets = 0;
  FinalState final_state;
  std::int64_t origin_ns = 0;  // times in examples are given from here
  // How buyers number their purchases for the store's ledger: operation o
  // of buyer b is b * operation_stride + o (0: unknown; the ledger's list,
  // if any, is not read).
  std::int64_t operation_stride = 0;
  // The server's crashes, for the examples only: a sale the ledger lacks is
  // found by its operation id, never by a time.
  std::vector<ServerCrash> server_crashes;
  // Whether final_state is the store's: a history checked without its final
  // count (ticketsim check without --final) is checked without it.
  bool final_known = true;
  // Why the searches' read bounds cannot be checked (a host's clock broke
  // its bound in a run on several hosts), or empty. The clock-free checks
  // still run.
  std::string skip_read_bounds{};
};

struct CheckResult {
  std::int64_t searches = 0;
  std::int64_t attempts = 0;  // purchases tried
  std::int64_t sold = 0;      // purchases acknowledged as sales
  std::int64_t sold_out = 0;  // purchases answered sold-out
  std::int64_t indeterminate = 0;  // purchases that may or may not have sold
  std::int64_t timeouts = 0;       // operations whose wait passed lock_timeout
  std::int64_t cancelled = 0;      // purchases still waiting, outside the critical section, when the run ended
  std::int64_t retries = 0;
  // Indeterminate purchases the store's ledger resolves (when it lists its
  // sales by operation id): those it holds committed, the others did not.
  bool resolved_by_ledger = false;
  std::int64_t resolved_sold = 0;
  std::int64_t resolved_unsold = 0;
  std::vector<AnomalyReport> anomalies;  // one per class, every class
  std::string read_bounds_skipped;  // CheckInput::skip_read_bounds

  bool valid() const;
  std::int64_t count(Anomaly anomaly) const { return anomalies[static_cast<int>(anomaly)].count; }
};

CheckResult check_history(const CheckInput& input);

}  // namespace ticketsim
