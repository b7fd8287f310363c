// Reads a .jsonl history (docs/history.md) back: ticketsim's own export or
// one another system's load tool wrote. What it makes is what the checker
// reads: one BuyerHistory per process.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/history.h"
#include "storage/store.h"

namespace ticketsim {

struct LoadedHistory {
  std::string file;
  // From the header line, when there is one.
  bool has_header = false;
  std::optional<std::int64_t> tickets;
  std::string strategy;
  std::string scenario;
  std::optional<FinalState> final_state;  // the store's final count, if known
  std::optional<std::int64_t> window_ns;  // release to last buyer done, for throughput
  std::string stuck_reason;               // the run was ended stuck
  std::string interrupted_by;             // the run was interrupted
  // Processes in the order of their numbers; operations in the order
  // they were invoked.
  std::vector<std::int64_t> process_numbers;
  std::vector<std::vector<Operation>> operations;
  std::vector<BuyerHistory> buyers;  // spans into `operations`
  // How purchases are numbered in the ledger list made from "in_ledger"
  // (operation o of process p is p * operation_stride + o); 0: no list.
  std::int64_t operation_stride = 0;
  std::size_t operation_count = 0;
  // What the operations' times count from: the file's 0.
  std::int64_t origin_ns = 0;
};

// Reads `path`. Bad input (a malformed line, a completion without an
// invoke, times going backwards within a process, an unknown outcome) throws
// InputError, one line naming the file and the line.
LoadedHistory read_history(const std::string& path);

// "ok", "sold", ...: the outcome outcome_name() names.
std::optional<Outcome> outcome_named(std::string_view name);

}  // namespace ticketsim
