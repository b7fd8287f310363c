// A complete linearizability check of a history against the sequential
// ticket store: a search returns the count; a purchase sells ticket #count
// and decrements it when count > 0, else answers sold-out. The checker
// (sim/checker.h) is sound but not complete: a history can pass its read
// bounds and still be one no sequential sale could have produced. This one
// decides, for histories small enough, in the manner of Knossos and
// Porcupine: Wing & Gong's search for an order of the operations that
// respects real time, with Lowe's memoisation of (operations linearised,
// count) so that no configuration is explored twice.
//
// Operations that may or may not have taken effect (Jepsen's :info: an
// indeterminate purchase, one the store failed or found corrupt, one its
// buyer never finished) may be placed anywhere after their invocation or
// nowhere. Operations that certainly did nothing (a timeout, a failed read)
// are left out.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/history.h"

namespace ticketsim {

// Jepsen's :valid? true, false or :unknown.
enum class Linearizability : std::uint8_t { kLinearizable, kNotLinearizable, kUnknown };

// "linearizable", "not linearizable", "unknown".
std::string_view linearizability_name(Linearizability answer);

// How far the search may go before it answers unknown.
struct LinearizabilityBudget {
  std::chrono::milliseconds time{std::chrono::seconds(10)};
  std::size_t memory_bytes = std::size_t{256} << 20;  // the memo of configurations seen
};

struct LinearizabilityInput {
  std::span<const BuyerHistory> buyers;
  std::int64_t tickets = 0;
  // The store's final count, when it is known: a linearisation must end there.
  std::optional<std::int64_t> final_count;
  std::int64_t origin_ns = 0;  // times in the explanation are given from here
  LinearizabilityBudget budget;
};

// An operation of the history: buyer index and its place in its history.
struct OperationRef {
  std::size_t buyer = 0;
  std::size_t operation = 0;
};

struct LinearizabilityResult {
  Linearizability answer = Linearizability::kUnknown;
  std::int64_t operations = 0;  // operations the search placed (those that did nothing are left out)
  std::int64_t configurations = 0;  // (operations linearised, count) pairs explored
  double elapsed_s = 0;
  // Not linearizable: the smallest prefix of the history (by completion)
  // that cannot be linearised ends with `culprit`'s completion; with the
  // `witnesses` (a smallest set of that prefix's operations, in the order
  // they were invoked) it has no sequential order.
  std::int64_t prefix_operations = 0;
  std::optional<OperationRef> culprit;
  std::vector<OperationRef> witnesses;
  // In words: why not (naming the operations), or which budget ran out.
  std::string explanation;
};

LinearizabilityResult check_linearizability(const LinearizabilityInput& input);

}  // namespace ticketsim
