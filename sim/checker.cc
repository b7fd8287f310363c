#include "sim/checker.h"

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <utility>

#include <fmt/format.h>

#include "storage/words.h"

namespace ticketsim {
namespace {

// Where a sale was made: buyer index and operation index, packed so that a
// zeroed array means "not sold".
struct SaleSite {
  std::uint32_t buyer;
  std::uint32_t operation;
};

// A zero-filled array from calloc: for a large count of tickets, pages that
// no sale touches are never written.
template <typename T>
struct ZeroedArray {
  explicit ZeroedArray(std::size_t n) : data(static_cast<T*>(std::calloc(n, sizeof(T)))) {
    if (!data) throw std::bad_alloc();
  }
  ~ZeroedArray() { std::free(data); }
  ZeroedArray(const ZeroedArray&) = delete;
  ZeroedArray& operator=(const ZeroedArray&) = delete;
  T& operator[](std::size_t i) { return data[i]; }
  T* data;
};

std::string at(std::int64_t ns, std::int64_t origin_ns) {
  return fmt::format("+{:.1f} ms", static_cast<double>(ns - origin_ns) / 1e6);
}

std::string_view operation_name(OperationKind kind) {
  return kind == OperationKind::kSearch ? "search" : "purchase";
}

class Checker {
 public:
  explicit Checker(const CheckInput& input)
      : input_(input), first_sale_(static_cast<std::size_t>(input.tickets) + 1) {
    for (int i = 0; i < kAnomalyClasses; ++i) result_.anomalies.push_back({static_cast<Anomaly>(i), 0, {}});
    const FinalState& final_state = input_.final_state;
    ledger_listed_ = final_state.ledger && !final_state.corrupt && input_.operation_stride > 0;
    if (ledger_listed_) {
      ledger_ids_.reserve(final_state.ledger->size());
      for (const LedgerSale& sale : *final_state.ledger) ledger_ids_.push_back(sale.operation_id);
      std::sort(ledger_ids_.begin(), ledger_ids_.end());
    }
  }

  CheckResult run() {
    for (std::size_t b = 0; b < input_.buyers.size(); ++b) {
      const BuyerHistory& buyer = input_.buyers[b];
      if (!buyer.failure.empty()) {
        note(Anomaly::kUnfinishedBuyers,
             [&] { return fmt::format("buyer {} did not finish: {}", buyer.pid, buyer.failure); });
      }
      for (std::size_t o = 0; o < buyer.operations.size(); ++o) check_operation(b, o);
      may_have_sold_runs_.push_back(may_have_sold_.size());
      acknowledged_runs_.push_back(acknowledged_.size());
    }
    if (input_.skip_read_bounds.empty()) {
      check_read_bounds();
    } else {
      result_.read_bounds_skipped = input_.skip_read_bounds;
    }
    check_final_state();
    return std::move(result_);
  }

 private:
  // Counts one instance of `anomaly`; `example` is only called for the first.
  template <typename Example>
  void note(Anomaly anomaly, Example example, std::int64_t count = 1) {
    AnomalyReport& report = result_.anomalies[static_cast<int>(anomaly)];
    if (report.count == 0) report.example = example();
    report.count += count;
  }

  void check_operation(std::size_t b, std::size_t o) {
    const BuyerHistory& buyer = input_.buyers[b];
    const Operation& op = buyer.operations[o];
    result_.retries += op.retries;
    if (op.kind == OperationKind::kSearch) {
      ++result_.searches;
    } else {
      ++result_.attempts;
    }
    switch (op.outcome) {
      case Outcome::kCorrupt:
        note(Anomaly::kCorruptReads, [&] {
          return fmt::format("buyer {}'s {} at {} read a torn store (not a {{\"count\": N}} document)",
                             buyer.pid, operation_name(op.kind), at(op.start_ns, input_.origin_ns));
        });
        return;
      case Outcome::kError:
        note(Anomaly::kStoreErrors, [&] {
          return fmt::format("buyer {}'s {} at {} failed in the store", buyer.pid,
                             operation_name(op.kind), at(op.start_ns, input_.origin_ns));
        });
        return;
      case Outcome::kTimeout:
        ++result_.timeouts;
        return;
      case Outcome::kCancelled:
        if (op.kind == OperationKind::kBuy) ++result_.cancelled;
        return;
      case Outcome::kIndeterminate:
        if (op.kind == OperationKind::kBuy) {
          ++result_.indeterminate;
          may_have_sold_.push_back(op.start_ns - buyer.uncertainty_ns);
        }
        return;
      case Outcome::kSoldOut:
        ++result_.sold_out;
        break;
      case Outcome::kSold:
        ++result_.sold;
        may_have_sold_.push_back(op.start_ns - buyer.uncertainty_ns);
        acknowledged_.push_back(op.end_ns + buyer.uncertainty_ns);
        if (!check_sale(b, o)) return;  // one anomaly per sale, not two
        break;
      case Outcome::kOk:
        break;
    }
    if (op.count_read < 0 || op.count_read > input_.tickets) {
      note(Anomaly::kOutOfRange, [&] {
        return fmt::format("buyer {}'s {} at {} read count={}, outside 0..{}", buyer.pid,
                           operation_name(op.kind), at(op.start_ns, input_.origin_ns), op.count_read,
                           input_.tickets);
      });
      return;  // one anomaly per read: its bounds are not checked as well
    }
    if (op.outcome != Outcome::kSold) reads_.push_back({b, o});
  }

  // False when the ticket is out of range (and noted as such).
  bool check_sale(std::size_t b, std::size_t o) {
    const BuyerHistory& buyer = input_.buyers[b];
    const Operation& op = buyer.operations[o];
    if (op.ticket < 1 || op.ticket > input_.tickets) {
      note(Anomaly::kOutOfRange, [&] {
        return fmt::format("buyer {} sold ticket #{} at {}, outside #1..#{}", buyer.pid, op.ticket,
                           at(op.start_ns, input_.origin_ns), input_.tickets);
      });
      return false;
    }
    SaleSite& site = first_sale_[static_cast<std::size_t>(op.ticket)];
    const SaleSite here{static_cast<std::uint32_t>(b), static_cast<std::uint32_t>(o + 1)};
    if (site.operation == 0) {
      site = here;
      return true;
    }
    // A sale the store forgot (acknowledged, then lost in a server crash)
    // left its ticket free: the store selling it again afterwards is no
    // duplicate. The loss is counted once, as a lost acknowledged sale.
    // "Afterwards" by the acknowledgements: the resale may have begun
    // before the crash, cut off and tried again once the server was back.
    const Operation& other = input_.buyers[site.buyer].operations[site.operation - 1];
    const bool other_first = other.end_ns <= op.end_ns;
    if (other_first ? missing_from_ledger(site.buyer, site.operation - 1) : missing_from_ledger(b, o)) {
      if (other_first) site = here;  // the store's holder of the ticket now
      return true;
    }
    note(Anomaly::kDuplicateTickets, [&] {
      // Name the two sales in the order they began.
      const BuyerHistory* a = &input_.buyers[site.buyer];
      const Operation* a_op = &a->operations[site.operation - 1];
      const BuyerHistory* b = &buyer;
      const Operation* b_op = &op;
      if (b_op->start_ns < a_op->start_ns) std::swap(a, b), std::swap(a_op, b_op);
      if (a == b) {
        return fmt::format("buyer {} sold ticket #{} twice: at {} and again at {} after reading count={}",
                           a->pid, op.ticket, at(a_op->start_ns, input_.origin_ns),
                           at(b_op->start_ns, input_.origin_ns), b_op->count_read);
      }
      if (b_op->start_ns < a_op->end_ns) {
        return fmt::format(
            "buyers {} and {} both sold ticket #{}; each read count={} before the other wrote "
            "(purchases at {} and {} overlapped)",
            a->pid, b->pid, op.ticket, op.count_read, at(a_op->start_ns, input_.origin_ns),
            at(b_op->start_ns, input_.origin_ns));
      }
      return fmt::format(
          "buyers {} and {} both sold ticket #{}; {} read count={} at {}, after {}'s sale had ended at {}",
          a->pid, b->pid, op.ticket, b->pid, b_op->count_read, at(b_op->start_ns, input_.origin_ns), a->pid,
          at(a_op->end_ns, input_.origin_ns));
    });
    return true;
  }

  // Jepsen's counter bounds. A search (or a sold-out answer, a read of 0)
  // over [start, end] must read at least tickets - (purchases that may have
  // sold and began before `end`), and at most tickets - (sales acknowledged
  // before `start`), each bound held to the store's range 0..tickets: once
  // sales outran the tickets (an oversell, counted as such) the count a
  // correct read sees is 0, not below it.
  void check_read_bounds() {
    merge_sorted_runs(may_have_sold_, may_have_sold_runs_);
    merge_sorted_runs(acknowledged_, acknowledged_runs_);
    for (const ReadSite& site : reads_) {
      const BuyerHistory& buyer = input_.buyers[site.buyer];
      const Operation& op = buyer.operations[site.operation];
      std::int64_t seen = op.outcome == Outcome::kSoldOut ? 0 : op.count_read;
      // Widened by the clocks' uncertainty: purchases that may have begun
      // before the read's latest end; sales surely acknowledged before its
      // earliest start.
      auto begun = std::lower_bound(may_have_sold_.begin(), may_have_sold_.end(), op.end_ns + buyer.uncertainty_ns) -
                   may_have_sold_.begin();
      auto done = std::lower_bound(acknowledged_.begin(), acknowledged_.end(), op.start_ns - buyer.uncertainty_ns) -
                  acknowledged_.begin();
      std::int64_t lowest = std::max<std::int64_t>(0, input_.tickets - begun);
      std::int64_t highest = std::max<std::int64_t>(0, input_.tickets - done);
      std::string what = op.outcome == Outcome::kSoldOut
                             ? fmt::format("buyer {} was told sold-out at {}", buyer.pid, at(op.start_ns, input_.origin_ns))
                             : fmt::format("buyer {}'s {} at {} read count={}", buyer.pid, operation_name(op.kind),
                                           at(op.start_ns, input_.origin_ns), seen);
      if (seen < lowest) {
        note(Anomaly::kPhantomReads, [&] {
          return fmt::format("{}, but only {} could have sold by then (count >= {})", what,
                             plural(begun, "purchase"), lowest);
        });
      } else if (seen > highest) {
        note(Anomaly::kStaleReads, [&] {
          return fmt::format("{}, but {} had been acknowledged before it began (count <= {})", what,
                             plural(done, "sale"), highest);
        });
      }
    }
  }

  void check_final_state() {
    const FinalState& final_state = input_.final_state;
    const std::int64_t tickets = input_.tickets;
    const std::int64_t sold = result_.sold;
    if (sold > tickets) {
      note(Anomaly::kOversold, [&] {
        return fmt::format("{} acknowledged for {}", plural(sold, "sale"), plural(tickets, "ticket"));
      }, sold - tickets);
    }
    if (!input_.final_known) return;
    if (final_state.corrupt) {
      note(Anomaly::kCorruptStore, [&] { return final_state.problem; });
      return;
    }
    // Sales the buyers were told of that the store no longer holds: counted
    // here once, not again as lost updates or a short ledger.
    const std::int64_t lost = check_ledger_list();
    const std::int64_t kept = sold - lost;
    // The ledger, like the count, holds the acknowledged sales and perhaps
    // some of the indeterminate ones.
    const std::int64_t most = kept + result_.indeterminate;
    if (final_state.ledger_sales && (*final_state.ledger_sales < kept || *final_state.ledger_sales > most)) {
      std::int64_t ledger = *final_state.ledger_sales;
      note(Anomaly::kLedgerMismatch, [&] {
        return fmt::format("the store's ledger holds {}, the buyers were told of {} ({} indeterminate)",
                           plural(ledger, "sale"), grouped(sold), grouped(result_.indeterminate));
      }, ledger < kept ? kept - ledger : ledger - most);
    }
    const std::int64_t remaining = final_state.remaining;
    if (remaining < 0 || remaining > tickets) {
      note(Anomaly::kOutOfRange, [&] {
        return fmt::format("the store ended with count={}, outside 0..{}", remaining, tickets);
      });
      // A count that went up says nothing about lost updates; one below zero
      // still tells how many decrements nobody was told of.
      if (remaining > tickets) return;
    }
    // acknowledged <= initial - final <= acknowledged + indeterminate
    const std::int64_t decrements = tickets - remaining;
    if (kept > decrements) {
      note(Anomaly::kLostUpdates, [&] {
        return fmt::format("{} acknowledged but the count fell by {} ({} -> {}): {} overwritten",
                           plural(kept, "sale"), grouped(decrements), grouped(tickets), grouped(remaining),
                           grouped(kept - decrements));
      }, kept - decrements);
    } else if (decrements > most) {
      note(Anomaly::kUnacknowledgedSales, [&] {
        return fmt::format("the count fell by {} ({} -> {}) but only {} acknowledged and {} indeterminate",
                           grouped(decrements), grouped(tickets), grouped(remaining),
                           plural(sold, "sale was", "sales were"), grouped(result_.indeterminate));
      }, decrements - most);
    }
  }

  // With the store's ledger listed by operation id: each acknowledged sale
  // must be in it (else it was lost: a server crash that forgot a commit it
  // had acknowledged), and each indeterminate purchase is resolved by it.
  // Returns the sales lost.
  std::int64_t check_ledger_list() {
    if (!ledger_listed_) return 0;
    result_.resolved_by_ledger = true;
    std::int64_t lost = 0;
    for (std::size_t b = 0; b < input_.buyers.size(); ++b) {
      const BuyerHistory& buyer = input_.buyers[b];
      for (std::size_t o = 0; o < buyer.operations.size(); ++o) {
        const Operation& op = buyer.operations[o];
        if (op.kind != OperationKind::kBuy) continue;
        if (op.outcome == Outcome::kIndeterminate) {
          ++(missing_from_ledger(b, o) ? result_.resolved_unsold : result_.resolved_sold);
        } else if (op.outcome == Outcome::kSold && missing_from_ledger(b, o)) {
          ++lost;
          note(Anomaly::kLostAcknowledgedSales, [&] { return lost_sale(buyer, op); });
        }
      }
    }
    return lost;
  }

  // Whether buyer b's operation o is missing from the store's listed
  // ledger: a sale the store does not hold (or an indeterminate purchase
  // that did not sell). False when the store lists no ledger.
  bool missing_from_ledger(std::size_t b, std::size_t o) const {
    if (!ledger_listed_) return false;
    auto id = static_cast<std::uint64_t>(static_cast<std::int64_t>(b) * input_.operation_stride +
                                         static_cast<std::int64_t>(o));
    return !std::binary_search(ledger_ids_.begin(), ledger_ids_.end(), id);
  }

  // "sale of #12 acknowledged at +80.1 ms (buyer 4242) was lost in the server
  // crash at +95.3 ms": the first crash the server came back from after the
  // sale was acknowledged.
  std::string lost_sale(const BuyerHistory& buyer, const Operation& op) const {
    std::string sale = fmt::format("sale of #{} acknowledged at {} (buyer {})", op.ticket,
                                   at(op.end_ns, input_.origin_ns), buyer.pid);
    for (const ServerCrash& crash : input_.server_crashes) {
      if (crash.restarted_ns >= op.end_ns) {
        return fmt::format("{} was lost in the server crash at {}", sale, at(crash.at_ns, input_.origin_ns));
      }
    }
    return fmt::format("{} is missing from the store's ledger", sale);
  }

  // Each buyer's times are already in order (its operations follow one
  // another): merging its runs pairwise costs O(n log buyers), not the
  // O(n log n) of a sort. `ends` holds where each run ends.
  static void merge_sorted_runs(std::vector<std::int64_t>& times, std::vector<std::size_t> ends) {
    std::vector<std::size_t> starts{0};
    starts.insert(starts.end(), ends.begin(), ends.end());
    // A history made by hand may not be in order: sort such a run first.
    for (std::size_t i = 0; i + 1 < starts.size(); ++i) {
      auto first = times.begin() + static_cast<std::ptrdiff_t>(starts[i]);
      auto last = times.begin() + static_cast<std::ptrdiff_t>(starts[i + 1]);
      if (!std::is_sorted(first, last)) std::sort(first, last);
    }
    while (starts.size() > 2) {
      std::vector<std::size_t> merged{0};
      for (std::size_t i = 0; i + 1 < starts.size(); i += 2) {
        std::size_t middle = starts[i + 1];
        std::size_t end = i + 2 < starts.size() ? starts[i + 2] : middle;
        std::inplace_merge(times.begin() + static_cast<std::ptrdiff_t>(starts[i]),
                           times.begin() + static_cast<std::ptrdiff_t>(middle),
                           times.begin() + static_cast<std::ptrdiff_t>(end));
        merged.push_back(end);
      }
      starts = std::move(merged);
    }
  }

  struct ReadSite {
    std::size_t buyer;
    std::size_t operation;
  };

  const CheckInput& input_;
  ZeroedArray<SaleSite> first_sale_;
  // The operation ids the store's ledger lists, sorted, when it lists them.
  bool ledger_listed_ = false;
  std::vector<std::uint64_t> ledger_ids_;
  std::vector<std::int64_t> may_have_sold_;  // start times of sold or indeterminate purchases
  std::vector<std::int64_t> acknowledged_;   // end times of acknowledged sales
  std::vector<ReadSite> reads_;              // searches and sold-out answers
  std::vector<std::size_t> may_have_sold_runs_;  // where each buyer's run ends
  std::vector<std::size_t> acknowledged_runs_;
  CheckResult result_;
};

}  // namespace

std::string_view anomaly_key(Anomaly anomaly) {
  switch (anomaly) {
    case Anomaly::kOversold: return "oversold";
    case Anomaly::kDuplicateTickets: return "duplicate_tickets";
    case Anomaly::kLostUpdates: return "lost_updates";
    case Anomaly::kUnacknowledgedSales: return "unacknowledged_sales";
    case Anomaly::kOutOfRange: return "out_of_range";
    case Anomaly::kCorruptReads: return "corrupt_reads";
    case Anomaly::kStaleReads: return "stale_reads";
    case Anomaly::kPhantomReads: return "phantom_reads";
    case Anomaly::kStoreErrors: return "store_errors";
    case Anomaly::kCorruptStore: return "corrupt_store";
    case Anomaly::kLedgerMismatch: return "ledger_mismatch";
    case Anomaly::kUnfinishedBuyers: return "unfinished_buyers";
    case Anomaly::kLostAcknowledgedSales: return "lost_acknowledged_sales";
  }
  return "unknown";
}

bool CheckResult::valid() const {
  for (const AnomalyReport& report : anomalies) {
    if (report.count != 0) return false;
  }
  return true;
}

CheckResult check_history(const CheckInput& input) { return Checker(input).run(); }

}  // namespace ticketsim
