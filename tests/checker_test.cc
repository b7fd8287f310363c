// The checker on synthetic histories: clean runs are valid, and each planted
// anomaly is counted in its own class with an example that says what happened.
#include "sim/checker.h"

#include <set>
#include <string>
#include <vector>

#include <doctest/doctest.h>

using namespace ticketsim;

namespace {

constexpr std::int64_t kOrigin = 5'000'000'000;  // examples give times from here
constexpr std::int64_t kMs = 1'000'000;

// Times are given in milliseconds after kOrigin.
Operation search(std::int64_t start_ms, std::int64_t count, std::uint32_t retries = 0) {
  Operation op;
  op.kind = OperationKind::kSearch;
  op.outcome = Outcome::kOk;
  op.start_ns = kOrigin + start_ms * kMs;
  op.end_ns = op.start_ns + 1 * kMs;
  op.count_read = count;
  op.retries = retries;
  return op;
}

Operation sale(std::int64_t start_ms, std::int64_t end_ms, std::int64_t ticket,
               std::int64_t count_read = -100, std::uint32_t retries = 0) {
  Operation op;
  op.kind = OperationKind::kBuy;
  op.outcome = Outcome::kSold;
  op.start_ns = kOrigin + start_ms * kMs;
  op.end_ns = kOrigin + end_ms * kMs;
  op.ticket = ticket;
  op.count_read = count_read == -100 ? ticket : count_read;
  op.retries = retries;
  return op;
}

Operation sold_out(std::int64_t start_ms, std::uint32_t retries = 0) {
  Operation op;
  op.kind = OperationKind::kBuy;
  op.outcome = Outcome::kSoldOut;
  op.start_ns = kOrigin + start_ms * kMs;
  op.end_ns = op.start_ns + 1 * kMs;
  op.count_read = 0;
  op.retries = retries;
  return op;
}

Operation failed(OperationKind kind, Outcome outcome, std::int64_t start_ms, std::int64_t count_read = 0) {
  Operation op;
  op.kind = kind;
  op.outcome = outcome;
  op.start_ns = kOrigin + start_ms * kMs;
  op.end_ns = op.start_ns + 1 * kMs;
  op.count_read = count_read;
  return op;
}

FinalState remaining(std::int64_t count) {
  FinalState state;
  state.remaining = count;
  return state;
}

// Buyer b has pid 101 + b.
constexpr std::int32_t pid(int b) { return 101 + b; }

CheckResult check(const std::vector<std::vector<Operation>>& operations, std::int64_t tickets,
                  const FinalState& final_state, const std::vector<std::string>& failures = {}) {
  std::vector<BuyerHistory> buyers;
  for (std::size_t b = 0; b < operations.size(); ++b) {
    buyers.push_back({pid(static_cast<int>(b)), operations[b], b < failures.size() ? failures[b] : ""});
  }
  CheckResult result = check_history({buyers, tickets, final_state, kOrigin, 0, {}});
  REQUIRE(result.anomalies.size() == static_cast<std::size_t>(kAnomalyClasses));
  for (int i = 0; i < kAnomalyClasses; ++i) {
    const AnomalyReport& report = result.anomalies[static_cast<std::size_t>(i)];
    CHECK(report.anomaly == static_cast<Anomaly>(i));
    CHECK(report.count >= 0);
    // An example exactly when there is something to show.
    CHECK(report.example.empty() == (report.count == 0));
  }
  return result;
}

const std::string& example(const CheckResult& result, Anomaly anomaly) {
  return result.anomalies[static_cast<std::size_t>(anomaly)].example;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Every class other than `planted` has a count of 0.
void require_only(const CheckResult& result, std::set<Anomaly> planted) {
  for (int i = 0; i < kAnomalyClasses; ++i) {
    Anomaly anomaly = static_cast<Anomaly>(i);
    if (planted.count(anomaly)) continue;
    CAPTURE(anomaly_key(anomaly));
    CHECK(result.count(anomaly) == 0);
  }
  CHECK(result.valid() == planted.empty());
}

// A history with one anomaly planted: its count is `count`, no other class
// is found, and this is its example.
const std::string& only_anomaly(const CheckResult& result, Anomaly anomaly, std::int64_t count) {
  CHECK(result.count(anomaly) == count);
  require_only(result, {anomaly});
  return example(result, anomaly);
}

}  // namespace

TEST_CASE("anomaly keys") {
  CHECK(anomaly_key(Anomaly::kOversold) == "oversold");
  CHECK(anomaly_key(Anomaly::kDuplicateTickets) == "duplicate_tickets");
  CHECK(anomaly_key(Anomaly::kLostUpdates) == "lost_updates");
  CHECK(anomaly_key(Anomaly::kUnacknowledgedSales) == "unacknowledged_sales");
  CHECK(anomaly_key(Anomaly::kOutOfRange) == "out_of_range");
  CHECK(anomaly_key(Anomaly::kCorruptReads) == "corrupt_reads");
  CHECK(anomaly_key(Anomaly::kStaleReads) == "stale_reads");
  CHECK(anomaly_key(Anomaly::kPhantomReads) == "phantom_reads");
  CHECK(anomaly_key(Anomaly::kStoreErrors) == "store_errors");
  CHECK(anomaly_key(Anomaly::kCorruptStore) == "corrupt_store");
  CHECK(anomaly_key(Anomaly::kLedgerMismatch) == "ledger_mismatch");
  CHECK(anomaly_key(Anomaly::kUnfinishedBuyers) == "unfinished_buyers");
  std::set<std::string_view> keys;
  for (int i = 0; i < kAnomalyClasses; ++i) keys.insert(anomaly_key(static_cast<Anomaly>(i)));
  CHECK(keys.size() == static_cast<std::size_t>(kAnomalyClasses));
  CHECK(anomaly_key(Anomaly::kLostAcknowledgedSales) == "lost_acknowledged_sales");
  CHECK(kAnomalyClasses == 13);
  CHECK_FALSE(keys.count("unknown"));
  // The count reaches every class and no further: a class added after
  // kLastAnomaly without becoming it would have a key here.
  CHECK(anomaly_key(static_cast<Anomaly>(kAnomalyClasses)) == "unknown");
}

TEST_CASE("a clean history is valid and counted") {
  // Six tickets; three buyers take turns: search, then buy the next ticket,
  // N down to 1. Then each is told sold-out.
  const std::int64_t tickets = 6;
  std::vector<std::vector<Operation>> ops(3);
  for (std::int64_t k = 0; k < tickets; ++k) {
    auto& buyer = ops[static_cast<std::size_t>(k % 3)];
    buyer.push_back(search(100 * k, tickets - k));
    buyer.push_back(sale(100 * k + 10, 100 * k + 20, tickets - k, -100, static_cast<std::uint32_t>(k % 2)));
  }
  for (int b = 0; b < 3; ++b) ops[static_cast<std::size_t>(b)].push_back(sold_out(1000 + b, 2));
  ops[0].push_back(search(2000, 0));

  SUBCASE("without a ledger") {
    CheckResult result = check(ops, tickets, remaining(0));
    require_only(result, {});
    CHECK(result.valid());
    CHECK(result.searches == 7);
    CHECK(result.attempts == 9);
    CHECK(result.sold == 6);
    CHECK(result.sold_out == 3);
    CHECK(result.retries == 3 + 3 * 2);
  }
  SUBCASE("with an agreeing ledger") {
    FinalState state = remaining(0);
    state.ledger_sales = 6;
    CheckResult result = check(ops, tickets, state);
    require_only(result, {});
  }
}

TEST_CASE("a partly sold store is valid") {
  std::vector<std::vector<Operation>> ops = {{sale(0, 1, 10), sale(2, 3, 9)}, {sale(4, 5, 8)}};
  CheckResult result = check(ops, 10, remaining(7));
  require_only(result, {});
  CHECK(result.sold == 3);
  CHECK(result.sold_out == 0);
}

TEST_CASE("zero tickets: every purchase is sold-out") {
  std::vector<std::vector<Operation>> ops = {{search(0, 0), sold_out(1)}, {search(0, 0), sold_out(2)}};
  CheckResult result = check(ops, 0, remaining(0));
  require_only(result, {});
  CHECK(result.searches == 2);
  CHECK(result.attempts == 2);
  CHECK(result.sold == 0);
  CHECK(result.sold_out == 2);
}

TEST_CASE("searches only") {
  std::vector<std::vector<Operation>> ops = {{search(0, 5), search(5, 5), search(9, 5)},
                                             {search(1, 5, 4), search(2, 5)}};
  CheckResult result = check(ops, 5, remaining(5));
  require_only(result, {});
  CHECK(result.searches == 5);
  CHECK(result.attempts == 0);
  CHECK(result.sold == 0);
  CHECK(result.retries == 4);
}

TEST_CASE("no buyers at all") {
  CheckResult result = check({}, 3, remaining(3));
  require_only(result, {});
  CHECK(result.searches == 0);
  CHECK(result.attempts == 0);
}

TEST_CASE("oversold: the seed's race") {
  // Fifteen buyers all read count=1 and all sell ticket #1.
  std::vector<std::vector<Operation>> ops;
  for (int b = 0; b < 15; ++b) ops.push_back({search(b, 1), sale(100 + b, 200 + b, 1)});
  CheckResult result = check(ops, 1, remaining(0));
  CHECK(result.count(Anomaly::kOversold) == 14);
  CHECK(example(result, Anomaly::kOversold) == "15 sales acknowledged for 1 ticket");
  CHECK(result.count(Anomaly::kDuplicateTickets) == 14);
  CHECK(result.count(Anomaly::kLostUpdates) == 14);
  require_only(result, {Anomaly::kOversold, Anomaly::kDuplicateTickets, Anomaly::kLostUpdates});
  CHECK_FALSE(result.valid());
  CHECK(result.sold == 15);
  CHECK(result.attempts == 15);
  CHECK(result.searches == 15);

  std::vector<std::vector<Operation>> two = {{sale(0, 5, 2), sale(10, 15, 1)}, {sale(1, 6, 2)}, {sale(2, 7, 1)}};
  CheckResult plural = check(two, 2, remaining(0));
  CHECK(plural.count(Anomaly::kOversold) == 2);
  CHECK(example(plural, Anomaly::kOversold) == "4 sales acknowledged for 2 tickets");
}

TEST_CASE("duplicate tickets") {
  SUBCASE("two buyers whose purchases overlapped") {
    // #2 sold twice, #1 never: the count still fell by two.
    std::vector<std::vector<Operation>> ops = {{sale(10, 20, 2)}, {sale(15, 25, 2)}};
    CheckResult result = check(ops, 2, remaining(0));
    const std::string& text = only_anomaly(result, Anomaly::kDuplicateTickets, 1);
    CAPTURE(text);
    CHECK(contains(text, "buyers 101 and 102 both sold ticket #2"));
    CHECK(contains(text, "overlapped"));
    CHECK(contains(text, "+10.0 ms"));
    CHECK(contains(text, "+15.0 ms"));
    CHECK_FALSE(contains(text, "after"));
  }
  SUBCASE("two buyers one after the other") {
    std::vector<std::vector<Operation>> ops = {{sale(10, 20, 2)}, {sale(30, 40, 2)}};
    CheckResult result = check(ops, 2, remaining(0));
    const std::string& text = only_anomaly(result, Anomaly::kDuplicateTickets, 1);
    CAPTURE(text);
    CHECK(contains(text, "buyers 101 and 102 both sold ticket #2"));
    CHECK(contains(text, "102 read count=2 at +30.0 ms"));
    CHECK(contains(text, "after 101's sale had ended at +20.0 ms"));
    CHECK_FALSE(contains(text, "overlapped"));
  }
  SUBCASE("the example names the sales in the order they began") {
    // Buyer 101 (listed first) sold #1 later than buyer 102 did.
    std::vector<std::vector<Operation>> ops = {{sale(50, 60, 1)}, {sale(10, 20, 1)}};
    CheckResult result = check(ops, 1, remaining(0));
    CHECK(result.count(Anomaly::kDuplicateTickets) == 1);
    const std::string& text = example(result, Anomaly::kDuplicateTickets);
    CAPTURE(text);
    CHECK(contains(text, "buyers 102 and 101 both sold ticket #1"));
    CHECK(contains(text, "101 read count=1 at +50.0 ms"));
    CHECK(contains(text, "after 102's sale had ended at +20.0 ms"));
  }
  SUBCASE("the same buyer twice") {
    std::vector<std::vector<Operation>> ops = {{sale(10, 20, 2), sale(30, 40, 2)}};
    CheckResult result = check(ops, 2, remaining(0));
    const std::string& text = only_anomaly(result, Anomaly::kDuplicateTickets, 1);
    CAPTURE(text);
    CHECK(contains(text, "buyer 101 sold ticket #2 twice"));
    CHECK(contains(text, "+10.0 ms"));
    CHECK(contains(text, "+30.0 ms"));
    CHECK(contains(text, "count=2"));
  }
  SUBCASE("three sales of one ticket are two duplicates") {
    std::vector<std::vector<Operation>> ops = {{sale(10, 20, 3)}, {sale(11, 21, 3)}, {sale(12, 22, 3)}};
    CheckResult result = check(ops, 3, remaining(0));
    CHECK(result.count(Anomaly::kDuplicateTickets) == 2);
    require_only(result, {Anomaly::kDuplicateTickets});
    CHECK(contains(example(result, Anomaly::kDuplicateTickets), "#3"));
  }
}

TEST_CASE("lost updates") {
  // Three sales acknowledged; the store shows only one decrement.
  std::vector<std::vector<Operation>> ops = {{sale(0, 1, 3)}, {sale(2, 3, 2)}, {sale(4, 5, 1)}};
  CheckResult result = check(ops, 3, remaining(2));
  const std::string& text = only_anomaly(result, Anomaly::kLostUpdates, 2);
  CAPTURE(text);
  CHECK(contains(text, "3 sales acknowledged"));
  CHECK(contains(text, "fell by 1"));
  CHECK(contains(text, "3 -> 2"));
  CHECK(contains(text, "2 overwritten"));
}

TEST_CASE("unacknowledged sales") {
  std::vector<std::vector<Operation>> ops = {{sale(0, 1, 3)}, {search(0, 3)}};
  CheckResult result = check(ops, 3, remaining(0));
  const std::string& text = only_anomaly(result, Anomaly::kUnacknowledgedSales, 2);
  CAPTURE(text);
  CHECK(contains(text, "fell by 3"));
  CHECK(contains(text, "3 -> 0"));
  CHECK(contains(text, "only 1 sale was acknowledged"));
}

TEST_CASE("out of range") {
  SUBCASE("ticket #0 sold") {
    CheckResult result = check({{sale(7, 8, 0, 1)}}, 3, remaining(2));
    const std::string& text = only_anomaly(result, Anomaly::kOutOfRange, 1);
    CAPTURE(text);
    CHECK(contains(text, "buyer 101 sold ticket #0"));
    CHECK(contains(text, "#1..#3"));
    CHECK(contains(text, "+7.0 ms"));
    CHECK(result.sold == 1);
  }
  SUBCASE("a ticket beyond the tickets") {
    CheckResult result = check({{sale(0, 1, 4, 3)}}, 3, remaining(2));
    CHECK(result.count(Anomaly::kOutOfRange) == 1);
    require_only(result, {Anomaly::kOutOfRange});
    CHECK(contains(example(result, Anomaly::kOutOfRange), "ticket #4"));
  }
  SUBCASE("a negative count read") {
    CheckResult result = check({{search(3, -1)}}, 3, remaining(3));
    const std::string& text = only_anomaly(result, Anomaly::kOutOfRange, 1);
    CAPTURE(text);
    CHECK(contains(text, "buyer 101's search"));
    CHECK(contains(text, "count=-1"));
    CHECK(contains(text, "0..3"));
  }
  SUBCASE("a count read above the tickets") {
    Operation buy = sold_out(3);
    buy.count_read = 4;
    CheckResult result = check({{search(0, 3)}, {buy}}, 3, remaining(3));
    const std::string& text = only_anomaly(result, Anomaly::kOutOfRange, 1);
    CAPTURE(text);
    CHECK(contains(text, "buyer 102's purchase"));
    CHECK(contains(text, "count=4"));
  }
  SUBCASE("the store ends below zero") {
    // Two sales, but the count fell by three: one decrement nobody was told of.
    CheckResult result = check({{sale(0, 1, 2)}, {sale(2, 3, 1)}}, 2, remaining(-1));
    CHECK(result.count(Anomaly::kOutOfRange) == 1);
    CHECK(result.count(Anomaly::kUnacknowledgedSales) == 1);
    require_only(result, {Anomaly::kOutOfRange, Anomaly::kUnacknowledgedSales});
    const std::string& text = example(result, Anomaly::kOutOfRange);
    CAPTURE(text);
    CHECK(contains(text, "ended with count=-1"));
    CHECK(contains(text, "0..2"));
  }
}

TEST_CASE("corrupt reads") {
  std::vector<std::vector<Operation>> ops = {
      {failed(OperationKind::kSearch, Outcome::kCorrupt, 4), failed(OperationKind::kBuy, Outcome::kCorrupt, 6, -7)},
      {search(0, 1), sale(1, 2, 1)}};
  CheckResult result = check(ops, 1, remaining(0));
  CHECK(result.count(Anomaly::kCorruptReads) == 2);
  // A torn read's count is meaningless: it is not also out of range.
  require_only(result, {Anomaly::kCorruptReads});
  const std::string& text = example(result, Anomaly::kCorruptReads);
  CAPTURE(text);
  CHECK(contains(text, "buyer 101's search at +4.0 ms"));
  CHECK(contains(text, "torn"));
  CHECK(result.searches == 2);
  CHECK(result.attempts == 2);
  CHECK(result.sold == 1);
  CHECK(result.sold_out == 0);
}

TEST_CASE("store errors") {
  std::vector<std::vector<Operation>> ops = {{search(0, 2), sale(1, 2, 2)},
                                             {failed(OperationKind::kBuy, Outcome::kError, 9)}};
  CheckResult result = check(ops, 2, remaining(1));
  const std::string& text = only_anomaly(result, Anomaly::kStoreErrors, 1);
  CAPTURE(text);
  CHECK(contains(text, "buyer 102's purchase at +9.0 ms failed"));
  CHECK(result.attempts == 2);
  CHECK(result.sold == 1);
  CHECK(result.sold_out == 0);
}

TEST_CASE("a corrupt final store") {
  FinalState state;
  state.corrupt = true;
  state.problem = "tickets.json: not JSON: '{\"cou'";
  state.remaining = 99;  // meaningless when corrupt: no count-based class may use it
  CheckResult result = check({{sale(0, 1, 2)}}, 2, state);
  CHECK(result.count(Anomaly::kCorruptStore) == 1);
  require_only(result, {Anomaly::kCorruptStore});
  CHECK(example(result, Anomaly::kCorruptStore) == state.problem);
}

TEST_CASE("ledger mismatch") {
  SUBCASE("the ledger holds more sales") {
    FinalState state = remaining(1);
    state.ledger_sales = 3;
    CheckResult result = check({{sale(0, 1, 3)}, {sale(2, 3, 2)}}, 3, state);
    const std::string& text = only_anomaly(result, Anomaly::kLedgerMismatch, 1);
    CAPTURE(text);
    CHECK(contains(text, "ledger holds 3 sales"));
    CHECK(contains(text, "told of 2"));
  }
  SUBCASE("the ledger holds fewer sales") {
    FinalState state = remaining(1);
    state.ledger_sales = 0;
    CheckResult result = check({{sale(0, 1, 3)}, {sale(2, 3, 2)}}, 3, state);
    CHECK(result.count(Anomaly::kLedgerMismatch) == 2);
    require_only(result, {Anomaly::kLedgerMismatch});
  }
}

TEST_CASE("unfinished buyers") {
  std::vector<std::vector<Operation>> ops = {{sale(0, 1, 2)}, {}, {sale(2, 3, 1)}};
  CheckResult result = check(ops, 2, remaining(0), {"", "killed by signal 9", ""});
  const std::string& text = only_anomaly(result, Anomaly::kUnfinishedBuyers, 1);
  CAPTURE(text);
  CHECK(contains(text, "buyer 102"));
  CHECK(contains(text, "killed by signal 9"));

  CheckResult two = check(ops, 2, remaining(0), {"no store", "killed by signal 9", ""});
  CHECK(two.count(Anomaly::kUnfinishedBuyers) == 2);
  CHECK(contains(example(two, Anomaly::kUnfinishedBuyers), "no store"));
}

TEST_CASE("a sale of a ticket out of range is one anomaly, not two") {
  // The stores set ticket == count_read, so both are out of range together.
  Operation bad = sale(0, 1, 5);
  REQUIRE(bad.count_read == 5);
  CheckResult result = check({{bad}}, 3, remaining(2));
  CHECK(result.count(Anomaly::kOutOfRange) == 1);
}

TEST_CASE("a final count above the tickets is out of range and nothing else") {
  CheckResult result = check({{sale(0, 1, 3)}}, 3, remaining(6));
  CHECK(result.count(Anomaly::kOutOfRange) == 1);
  CHECK(result.count(Anomaly::kLostUpdates) == 0);
  CHECK(result.count(Anomaly::kUnacknowledgedSales) == 0);
}

// ---------------------------------------------------------------------------
// Indeterminate purchases, timeouts, and the read bounds.

namespace {

// A purchase whose buyer was killed inside it: it may or may not have sold.
// A killed buyer never records an end: end_ns stays 0.
Operation indeterminate(std::int64_t start_ms, bool ended = false) {
  Operation op = failed(OperationKind::kBuy, Outcome::kIndeterminate, start_ms);
  if (!ended) op.end_ns = 0;
  return op;
}

}  // namespace

TEST_CASE("indeterminate purchases: the final count may lie anywhere in the allowed range") {
  // Ten tickets; two sales acknowledged, three purchases indeterminate (two
  // cut off with no end, one with an end). The count may fall by 2 to 5.
  std::vector<std::vector<Operation>> ops = {{sale(0, 1, 10), indeterminate(5)},
                                             {indeterminate(6), sale(10, 11, 9)},
                                             {indeterminate(7, /*ended=*/true)}};
  for (std::int64_t final_count : {8, 7, 6, 5}) {
    CAPTURE(final_count);
    CheckResult result = check(ops, 10, remaining(final_count));
    require_only(result, {});
    CHECK(result.indeterminate == 3);
    CHECK(result.sold == 2);
    CHECK(result.attempts == 5);
    CHECK(result.sold_out == 0);
    CHECK(result.timeouts == 0);
  }
  SUBCASE("one decrement short of the acknowledged sales: a lost update") {
    CheckResult result = check(ops, 10, remaining(9));
    const std::string& text = only_anomaly(result, Anomaly::kLostUpdates, 1);
    CAPTURE(text);
    CHECK(contains(text, "2 sales acknowledged"));
    CHECK(contains(text, "fell by 1"));
  }
  SUBCASE("one decrement beyond acknowledged + indeterminate: an unacknowledged sale") {
    CheckResult result = check(ops, 10, remaining(4));
    const std::string& text = only_anomaly(result, Anomaly::kUnacknowledgedSales, 1);
    CAPTURE(text);
    CHECK(contains(text, "fell by 6"));
    CHECK(contains(text, "10 -> 4"));
    CHECK(contains(text, "2 sales were acknowledged"));
    CHECK(contains(text, "3 indeterminate"));
  }
  SUBCASE("far beyond either end") {
    CHECK(check(ops, 10, remaining(10)).count(Anomaly::kLostUpdates) == 2);
    CHECK(check(ops, 10, remaining(0)).count(Anomaly::kUnacknowledgedSales) == 5);
  }
}

TEST_CASE("indeterminate purchases alone") {
  std::vector<std::vector<Operation>> ops = {{indeterminate(0)}, {indeterminate(1)}};
  for (std::int64_t final_count : {3, 2, 1}) {
    CAPTURE(final_count);
    CheckResult result = check(ops, 3, remaining(final_count));
    require_only(result, {});
    CHECK(result.indeterminate == 2);
    CHECK(result.sold == 0);
    CHECK(result.attempts == 2);
  }
  CheckResult beyond = check(ops, 3, remaining(0));
  CHECK(beyond.count(Anomaly::kUnacknowledgedSales) == 1);
  require_only(beyond, {Anomaly::kUnacknowledgedSales});
}

TEST_CASE("an indeterminate purchase lets a later search read either count") {
  // The purchase began at 0 and never ended: a search after it may see the
  // ticket sold or not, but not two tickets gone.
  for (std::int64_t seen : {3, 2}) {
    CAPTURE(seen);
    CheckResult result = check({{indeterminate(0)}, {search(10, seen)}}, 3, remaining(seen));
    require_only(result, {});
    CHECK(result.indeterminate == 1);
    CHECK(result.searches == 1);
  }
  CheckResult phantom = check({{indeterminate(0)}, {search(10, 1)}}, 3, remaining(2));
  CHECK(phantom.count(Anomaly::kPhantomReads) == 1);
  require_only(phantom, {Anomaly::kPhantomReads});

  // A search that ended before the indeterminate purchase began may not
  // show it.
  CheckResult early = check({{indeterminate(50)}, {search(10, 2)}}, 3, remaining(2));
  CHECK(early.count(Anomaly::kPhantomReads) == 1);
  require_only(early, {Anomaly::kPhantomReads});
}

TEST_CASE("timeouts are counted, not anomalies") {
  // What the stores return on a timeout: count 0, no ticket. Were it a read,
  // count=0 would be a phantom; were it a sale, a lost update.
  std::vector<std::vector<Operation>> ops = {
      {search(0, 3), failed(OperationKind::kBuy, Outcome::kTimeout, 5)},
      {failed(OperationKind::kSearch, Outcome::kTimeout, 6), sale(10, 11, 3)},
      {failed(OperationKind::kBuy, Outcome::kTimeout, 12)}};
  CheckResult result = check(ops, 3, remaining(2));
  require_only(result, {});
  CHECK(result.timeouts == 3);
  CHECK(result.searches == 2);
  CHECK(result.attempts == 3);
  CHECK(result.sold == 1);
  CHECK(result.sold_out == 0);
  CHECK(result.indeterminate == 0);

  // A timed-out purchase did nothing: a decrement for it is unacknowledged.
  CheckResult beyond = check(ops, 3, remaining(1));
  CHECK(beyond.count(Anomaly::kUnacknowledgedSales) == 1);
  require_only(beyond, {Anomaly::kUnacknowledgedSales});
}

TEST_CASE("the ledger may hold the indeterminate purchases, and no more") {
  // Two sales acknowledged, two indeterminate.
  std::vector<std::vector<Operation>> ops = {{sale(0, 1, 5), indeterminate(2)},
                                             {sale(3, 4, 4), indeterminate(5)}};
  for (std::int64_t ledger : {2, 3, 4}) {
    CAPTURE(ledger);
    FinalState state = remaining(5 - ledger);
    state.ledger_sales = ledger;
    CheckResult result = check(ops, 5, state);
    require_only(result, {});
    CHECK(result.indeterminate == 2);
  }
  SUBCASE("one below the acknowledged sales") {
    FinalState state = remaining(3);
    state.ledger_sales = 1;
    CheckResult result = check(ops, 5, state);
    const std::string& text = only_anomaly(result, Anomaly::kLedgerMismatch, 1);
    CAPTURE(text);
    CHECK(contains(text, "ledger holds 1 sale,"));
    CHECK(contains(text, "told of 2"));
    CHECK(contains(text, "2 indeterminate"));
  }
  SUBCASE("one above acknowledged + indeterminate") {
    FinalState state = remaining(1);
    state.ledger_sales = 5;
    CheckResult result = check(ops, 5, state);
    CHECK(result.count(Anomaly::kLedgerMismatch) == 1);
    CHECK(result.count(Anomaly::kUnacknowledgedSales) == 0);
    require_only(result, {Anomaly::kLedgerMismatch});
    CHECK(contains(example(result, Anomaly::kLedgerMismatch), "ledger holds 5 sales"));
  }
  SUBCASE("three above") {
    FinalState state = remaining(1);
    state.ledger_sales = 7;
    CHECK(check(ops, 7, state).count(Anomaly::kLedgerMismatch) == 3);
  }
}

TEST_CASE("stale read: a search that missed sales acknowledged before it began") {
  // Buyer 101 sells #5 and #4, both acknowledged by +30 ms; buyer 102's
  // search at +40 ms still reads the initial count.
  std::vector<std::vector<Operation>> ops = {{sale(0, 10, 5), sale(20, 30, 4)}, {search(40, 5)}};
  CheckResult result = check(ops, 5, remaining(3));
  const std::string& text = only_anomaly(result, Anomaly::kStaleReads, 1);
  CAPTURE(text);
  CHECK(contains(text, "buyer 102"));
  CHECK(contains(text, "search"));
  CHECK(contains(text, "+40.0 ms"));
  CHECK(contains(text, "count=5"));
  CHECK(contains(text, "2 sales had been acknowledged"));
  CHECK(contains(text, "count <= 3"));

  SUBCASE("one sale missed is stale too") {
    CheckResult one = check({{sale(0, 10, 5), sale(20, 30, 4)}, {search(40, 4)}}, 5, remaining(3));
    CHECK(one.count(Anomaly::kStaleReads) == 1);
    require_only(one, {Anomaly::kStaleReads});
  }
  SUBCASE("the same buyer reading behind its own sale") {
    CheckResult own = check({{sale(0, 10, 5), search(20, 5)}}, 5, remaining(4));
    const std::string& own_text = only_anomaly(own, Anomaly::kStaleReads, 1);
    CAPTURE(own_text);
    CHECK(contains(own_text, "buyer 101"));
    CHECK(contains(own_text, "1 sale had been acknowledged"));
  }
  SUBCASE("each stale search is counted") {
    CheckResult many = check({{sale(0, 10, 5), sale(20, 30, 4)}, {search(40, 5), search(50, 4)}, {search(45, 5)}},
                             5, remaining(3));
    CHECK(many.count(Anomaly::kStaleReads) == 3);
    require_only(many, {Anomaly::kStaleReads});
  }
}

TEST_CASE("phantom read: a search that shows sales not yet begun") {
  // One sale; a search afterwards reads two tickets gone.
  std::vector<std::vector<Operation>> ops = {{sale(0, 10, 5)}, {search(20, 3)}};
  CheckResult result = check(ops, 5, remaining(4));
  const std::string& text = only_anomaly(result, Anomaly::kPhantomReads, 1);
  CAPTURE(text);
  CHECK(contains(text, "buyer 102"));
  CHECK(contains(text, "count=3"));
  CHECK(contains(text, "only 1 purchase could have sold"));
  CHECK(contains(text, "count >= 4"));

  SUBCASE("a search before any purchase reads less than the tickets") {
    CheckResult early = check({{search(0, 4)}, {sale(10, 20, 5)}}, 5, remaining(4));
    CHECK(early.count(Anomaly::kPhantomReads) == 1);
    require_only(early, {Anomaly::kPhantomReads});
    CHECK(contains(example(early, Anomaly::kPhantomReads), "only 0 purchases"));
  }
}

TEST_CASE("phantom read: sold-out while too few purchases could have sold") {
  // Three tickets, one sale begun: a sold-out answer says all three went.
  std::vector<std::vector<Operation>> ops = {{sale(0, 10, 3)}, {sold_out(20)}};
  CheckResult result = check(ops, 3, remaining(2));
  const std::string& text = only_anomaly(result, Anomaly::kPhantomReads, 1);
  CAPTURE(text);
  CHECK(contains(text, "buyer 102"));
  CHECK(contains(text, "sold-out"));
  CHECK(contains(text, "count >= 2"));
  CHECK(result.sold_out == 1);

  SUBCASE("sold-out after every ticket's purchase began is fine") {
    std::vector<std::vector<Operation>> all = {{sale(0, 10, 3), sale(11, 12, 2)}, {sale(13, 14, 1), sold_out(20)}};
    require_only(check(all, 3, remaining(0)), {});
  }
  SUBCASE("indeterminate purchases count as purchases that may have sold") {
    std::vector<std::vector<Operation>> maybe = {{sale(0, 10, 3), indeterminate(11)}, {indeterminate(12), sold_out(20)}};
    for (std::int64_t final_count : {0, 1, 2}) {
      CAPTURE(final_count);
      require_only(check(maybe, 3, remaining(final_count)), {});
    }
  }
}

TEST_CASE("a search overlapping a sale may read the old or the new count") {
  // The sale runs from +10 to +20 ms; the search from +12 to +13 ms.
  for (std::int64_t seen : {5, 4}) {
    CAPTURE(seen);
    CheckResult result = check({{sale(10, 20, 5)}, {search(12, seen)}}, 5, remaining(4));
    require_only(result, {});
  }
  // But not a count two sales lower, or above the tickets.
  CheckResult low = check({{sale(10, 20, 5)}, {search(12, 3)}}, 5, remaining(4));
  CHECK(low.count(Anomaly::kPhantomReads) == 1);
  require_only(low, {Anomaly::kPhantomReads});

  SUBCASE("a search that begins as the sale ends may still read the old count") {
    // "before" is strict: the sale ended at +20, the search began at +20.
    require_only(check({{sale(10, 20, 5)}, {search(20, 5)}}, 5, remaining(4)), {});
    // Ended one millisecond earlier: stale.
    CHECK(check({{sale(10, 19, 5)}, {search(20, 5)}}, 5, remaining(4)).count(Anomaly::kStaleReads) == 1);
  }
  SUBCASE("a sale that begins as the search ends may not show") {
    // The search runs +12..+13; the sale begins at +13.
    CHECK(check({{sale(13, 20, 5)}, {search(12, 4)}}, 5, remaining(4)).count(Anomaly::kPhantomReads) == 1);
    require_only(check({{sale(12, 20, 5)}, {search(12, 4)}}, 5, remaining(4)), {});
  }
  SUBCASE("many concurrent sales, searches reading any count between") {
    // Three sales all running +10..+30; a search inside may read 3 down to 0.
    for (std::int64_t seen : {3, 2, 1, 0}) {
      CAPTURE(seen);
      std::vector<std::vector<Operation>> ops = {{sale(10, 30, 3)}, {sale(10, 30, 2)}, {sale(10, 30, 1)}, {search(15, seen)}};
      require_only(check(ops, 3, remaining(0)), {});
    }
  }
}

TEST_CASE("out-of-range reads are not also checked against the bounds") {
  // count=9 of 3 tickets is above any bound: one anomaly, out_of_range.
  CheckResult result = check({{sale(0, 1, 3)}, {search(10, 9)}}, 3, remaining(2));
  CHECK(result.count(Anomaly::kOutOfRange) == 1);
  require_only(result, {Anomaly::kOutOfRange});
}

TEST_CASE("read bounds stay in the store's range: a sold-out answer after an oversell is no stale read") {
  // One ticket, sold twice (oversold); later, both buyers are told sold-out.
  // Once the sales outran the tickets the highest count a read may see is
  // 0, not -1: the sold-out answers are correct, and only what the
  // oversell names is counted.
  std::vector<std::vector<Operation>> ops = {{sale(0, 10, 1, 1), sold_out(20)}, {sale(1, 11, 1, 1), sold_out(21)}};
  CheckResult result = check(ops, 1, remaining(0));
  CHECK(result.count(Anomaly::kOversold) == 1);
  CHECK(result.count(Anomaly::kStaleReads) == 0);
  CHECK(result.count(Anomaly::kPhantomReads) == 0);
  // A read below 0 is still caught, as what it is: out of range.
  std::vector<std::vector<Operation>> negative = {{sale(0, 10, 1, 1), search(20, -1)}};
  CheckResult below = check(negative, 1, remaining(0));
  CHECK(below.count(Anomaly::kOutOfRange) == 1);
  CHECK(below.count(Anomaly::kStaleReads) == 0);
  CHECK(below.count(Anomaly::kPhantomReads) == 0);
}

TEST_CASE("a ticket sold again after the server crash lost its sale is a lost sale, not a duplicate") {
  // Buyer b's operation o is b * 10 + o in the store's ledger. The server
  // crashed at +20 ms and was back at +30 ms, forgetting the sale of #3 it
  // had acknowledged at +10 ms; the store then sold #3 again at +40 ms.
  const std::int64_t stride = 10;
  auto run = [&](const std::vector<std::vector<Operation>>& operations, std::vector<std::uint64_t> listed) {
    std::vector<BuyerHistory> buyers;
    for (std::size_t b = 0; b < operations.size(); ++b) buyers.push_back({pid(static_cast<int>(b)), operations[b], ""});
    FinalState state = remaining(2);
    state.ledger_sales = static_cast<std::int64_t>(listed.size());
    std::vector<LedgerSale> ledger;
    for (std::uint64_t id : listed) ledger.push_back({3, id});
    state.ledger = ledger;
    return check_history({buyers, 3, state, kOrigin, stride, {{kOrigin + 20 * kMs, kOrigin + 30 * kMs}}});
  };
  SUBCASE("the lost sale's buyer first") {
    CheckResult result = run({{sale(0, 10, 3)}, {sale(40, 50, 3)}}, {10});
    require_only(result, {Anomaly::kLostAcknowledgedSales});
    CHECK(result.count(Anomaly::kLostAcknowledgedSales) == 1);
    CHECK(contains(example(result, Anomaly::kLostAcknowledgedSales),
                   "sale of #3 acknowledged at +10.0 ms (buyer 101) was lost in the server crash at +20.0 ms"));
  }
  SUBCASE("the resale's buyer first") {
    CheckResult result = run({{sale(40, 50, 3)}, {sale(0, 10, 3)}}, {0});
    require_only(result, {Anomaly::kLostAcknowledgedSales});
    CHECK(contains(example(result, Anomaly::kLostAcknowledgedSales), "(buyer 102) was lost in the server crash"));
  }
  SUBCASE("the resale began before the crash, and was tried again once the server was back") {
    CheckResult result = run({{sale(0, 10, 3)}, {sale(5, 50, 3)}}, {10});
    require_only(result, {Anomaly::kLostAcknowledgedSales});
  }
  SUBCASE("a sale of a ticket the store still held is a duplicate, whatever became of it later") {
    // #3 is held by buyer 101's sale, in the ledger; buyer 102's later sale
    // of #3 (then lost) sold a ticket that was not free.
    CheckResult result = run({{sale(0, 10, 3)}, {sale(40, 50, 3)}}, {0});
    CHECK(result.count(Anomaly::kDuplicateTickets) == 1);
    CHECK(result.count(Anomaly::kLostAcknowledgedSales) == 1);
  }
  SUBCASE("a third sale of the resold ticket is a duplicate of the resale") {
    CheckResult result = run({{sale(0, 10, 3)}, {sale(40, 50, 3)}, {sale(60, 70, 3)}}, {10, 20});
    CHECK(result.count(Anomaly::kDuplicateTickets) == 1);
    CHECK(contains(example(result, Anomaly::kDuplicateTickets), "buyers 102 and 103 both sold ticket #3"));
  }
}

namespace {

// Two hosts: buyer 101 on host A, buyer 102 on host B, each history's times
// true within +- `uncertainty_ms` (its clock's), as a run on several hosts
// merges them.
CheckResult check_across_hosts(const std::vector<Operation>& a, const std::vector<Operation>& b, std::int64_t tickets,
                               std::int64_t final_count, std::int64_t uncertainty_ms,
                               const std::string& skip_read_bounds = "") {
  std::vector<BuyerHistory> buyers = {{pid(0), a, ""}, {pid(1), b, ""}};
  for (BuyerHistory& buyer : buyers) buyer.uncertainty_ns = uncertainty_ms * kMs;
  CheckInput input{buyers, tickets, remaining(final_count), kOrigin, 0, {}};
  input.skip_read_bounds = skip_read_bounds;
  return check_history(input);
}

}  // namespace

TEST_CASE("hosts: a stale read between hosts is found when it lies outside the clocks' uncertainty") {
  // Host A's sale of #5 is acknowledged at +10 ms; host B's search, 12 ms
  // later by the clocks, still reads 5.
  std::vector<Operation> a = {sale(0, 10, 5)};
  std::vector<Operation> b = {search(22, 5)};
  // Each time within 5 ms: the sale ended by +15 at the latest, the search
  // began at +17 at the earliest: the read is stale whatever the clocks' error.
  CheckResult outside = check_across_hosts(a, b, 5, 4, 5);
  CHECK(outside.count(Anomaly::kStaleReads) == 1);
  CHECK(contains(outside.anomalies[static_cast<int>(Anomaly::kStaleReads)].example, "buyer 102"));
  // Each within 6 ms: the sale may have ended as late as +16 and the search
  // begun as early as +16: no false alarm.
  CheckResult inside = check_across_hosts(a, b, 5, 4, 6);
  CHECK(inside.count(Anomaly::kStaleReads) == 0);
  CHECK(inside.valid());
  // On one clock the same history is stale.
  CHECK(check_across_hosts(a, b, 5, 4, 0).count(Anomaly::kStaleReads) == 1);
}

TEST_CASE("hosts: a phantom read is judged with the uncertainty too") {
  // Host A's sale begins at +30 ms; host B's search ends at +21 and already
  // shows it gone.
  std::vector<Operation> a = {sale(30, 40, 5)};
  std::vector<Operation> b = {search(20, 4)};
  // Within 4 ms: the sale began at +26 at the earliest, after the search's
  // latest end at +25: a phantom whatever the clocks' error.
  CHECK(check_across_hosts(a, b, 5, 4, 4).count(Anomaly::kPhantomReads) == 1);
  // Within 5 ms: it may have begun at +25, before the search's latest end at +26.
  CHECK(check_across_hosts(a, b, 5, 4, 5).count(Anomaly::kPhantomReads) == 0);
}

TEST_CASE("hosts: read bounds skipped for clock reasons, the clock-free checks kept") {
  // A stale read and an oversell: with the bounds skipped, the oversell is
  // still found and the stale read is not judged.
  std::vector<Operation> a = {sale(0, 10, 1)};
  std::vector<Operation> b = {sale(0, 10, 1), search(40, 1)};
  CheckResult result = check_across_hosts(a, b, 1, 0, 0, "host b's clock moved");
  CHECK(result.read_bounds_skipped == "host b's clock moved");
  CHECK(result.count(Anomaly::kStaleReads) == 0);
  CHECK(result.count(Anomaly::kOversold) == 1);
  CHECK(check_across_hosts(a, b, 1, 0, 0).count(Anomaly::kStaleReads) == 1);
}
