#include "sim/report/operation_log.h"

#include <fmt/format.h>

namespace ticketsim {

std::string operation_log_csv(const RunRecord& record) {
  std::string csv = "buyer,pid,operation,start_us,latency_us,tries,outcome,ticket,count\n";
  std::vector<BuyerHistory> histories = record.history->histories();
  histories.resize(record.buyers.size());  // only the buyers that were started
  for (std::size_t b = 0; b < histories.size(); ++b) {
    for (const Operation& op : histories[b].operations) {
      double start_us = static_cast<double>(op.start_ns - record.start_ns) / 1e3;
      std::string latency = op.end_ns ? fmt::format("{:.3f}", static_cast<double>(op.end_ns - op.start_ns) / 1e3) : "";
      std::string ticket = op.outcome == Outcome::kSold ? std::to_string(op.ticket) : "";
      // The count the operation read: what a search saw, what a purchase
      // decided on (0 for sold-out); empty when the store gave no answer.
      bool answered = op.outcome == Outcome::kOk || op.outcome == Outcome::kSold || op.outcome == Outcome::kSoldOut;
      std::string count = answered ? std::to_string(op.count_read) : "";
      csv += fmt::format("{},{},{},{:.3f},{},{},{},{},{}\n", b, histories[b].pid,
                         op.kind == OperationKind::kSearch ? "search" : "buy", start_us, latency, op.retries + 1,
                         outcome_name(op.outcome), ticket, count);
    }
  }
  return csv;
}

}  // namespace ticketsim
