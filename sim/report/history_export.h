// The history export (run --history FILE): every operation of a run with
// the values it saw, for `ticketsim check` and for other checkers. Two
// formats, chosen by the file's extension: .jsonl (a header line, then one
// JSON object per operation; docs/history.md) and .edn (Jepsen's history:
// an invoke and a completion per operation).
#pragma once

#include <string>
#include <string_view>

#include "sim/result.h"
#include "sim/runner.h"

namespace ticketsim {

// The version of the .jsonl format, in its header; raised when a field
// changes meaning or goes away.
inline constexpr int kHistorySchemaVersion = 1;

// Whether `extension` (".jsonl", ".edn", lower case) names a history format.
bool history_format_known(std::string_view extension);

// The run's history as .jsonl: the header (tickets, strategy, scenario and
// its SHA-256, the final store, how the run ended), then one line per
// operation in the order they were invoked.
std::string history_jsonl(const RunRecord& record, const Result& result, const std::string& scenario_sha256);

// The run's history as Jepsen writes one: one EDN map per event, in time
// order. Searches are :read, purchases :buy; a purchase that may or may not
// have sold completes with :info, and its process is not used again (its
// buyer's next operations take process + buyers, as Jepsen's do).
std::string history_edn(const RunRecord& record);

// The one of the two that `extension` (".jsonl" or ".edn") names.
std::string history_text(std::string_view extension, const RunRecord& record, const Result& result,
                         const std::string& scenario_sha256);

}  // namespace ticketsim
