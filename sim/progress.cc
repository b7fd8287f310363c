#include "sim/progress.h"

#include <algorithm>

namespace ticketsim {

ProgressReader::ProgressReader(const SharedHistory& history, std::int64_t tickets)
    : history_(history), tickets_(tickets), read_(static_cast<std::size_t>(history.buyers()), 0) {}

Progress ProgressReader::sample(std::int64_t start_ns, std::int64_t now_ns) {
  latencies_.clear();
  for (std::int64_t buyer = 0; buyer < history_.buyers(); ++buyer) {
    std::uint32_t recorded = history_.slot(buyer).recorded.load(std::memory_order_acquire);
    std::uint32_t complete = recorded > 0 ? recorded - 1 : 0;
    const Operation* operations = history_.operations(buyer);
    for (std::uint32_t i = read_[buyer]; i < complete; ++i) {
      const Operation& op = operations[i];
      if (op.kind != OperationKind::kBuy || op.end_ns == 0) continue;
      latencies_.push_back(op.end_ns - op.start_ns);
      if (op.outcome != Outcome::kSold) continue;
      ++sold_;
      if (!tickets_sold_.insert(op.ticket).second) ++duplicates_;
    }
    read_[buyer] = std::max(read_[buyer], complete);
  }
  Progress progress;
  progress.elapsed_s = static_cast<double>(now_ns - start_ns) * 1e-9;
  progress.sold = sold_;
  progress.tickets = tickets_;
  std::int64_t since = last_ns_ ? last_ns_ : start_ns;
  if (now_ns > since) progress.sales_per_s = static_cast<double>(sold_ - last_sold_) / (static_cast<double>(now_ns - since) * 1e-9);
  if (!latencies_.empty()) {
    std::size_t rank = (latencies_.size() * 99 + 99) / 100;
    std::nth_element(latencies_.begin(), latencies_.begin() + (rank - 1), latencies_.end());
    progress.buy_p99_s = static_cast<double>(latencies_[rank - 1]) * 1e-9;
  }
  progress.anomalies = std::max<std::int64_t>(0, sold_ - tickets_) + duplicates_;
  last_ns_ = now_ns;
  last_sold_ = sold_;
  return progress;
}

}  // namespace ticketsim
