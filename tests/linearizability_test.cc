// The complete linearizability check (sim/linearizability.h): histories
// planted by hand, histories that pass the checker's read bounds and are
// still not linearizable, random histories made by a sequential store
// (always linearizable) and random histories compared with a brute-force
// search over every order, and the budget on a history built to be hard.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "sim/checker.h"
#include "sim/linearizability.h"

namespace ticketsim {
namespace {

// A history planted by hand: processes, each a list of operations.
struct Planted {
  std::vector<std::vector<Operation>> processes;

  Planted& op(std::size_t process, OperationKind kind, Outcome outcome, std::int64_t start, std::int64_t end,
              std::int64_t value = 0) {
    if (processes.size() <= process) processes.resize(process + 1);
    Operation o;
    o.start_ns = start;
    o.end_ns = end;
    o.kind = kind;
    o.outcome = outcome;
    o.count_read = value;
    o.ticket = outcome == Outcome::kSold ? value : 0;
    processes[process].push_back(o);
    return *this;
  }
  Planted& read(std::size_t p, std::int64_t start, std::int64_t end, std::int64_t count) {
    return op(p, OperationKind::kSearch, Outcome::kOk, start, end, count);
  }
  Planted& sold(std::size_t p, std::int64_t start, std::int64_t end, std::int64_t ticket) {
    return op(p, OperationKind::kBuy, Outcome::kSold, start, end, ticket);
  }
  Planted& sold_out(std::size_t p, std::int64_t start, std::int64_t end) {
    return op(p, OperationKind::kBuy, Outcome::kSoldOut, start, end);
  }
  Planted& maybe(std::size_t p, std::int64_t start, std::int64_t end = 0) {
    return op(p, OperationKind::kBuy, end ? Outcome::kError : Outcome::kIndeterminate, start, end);
  }

  std::vector<BuyerHistory> buyers() const {
    std::vector<BuyerHistory> result;
    for (std::size_t p = 0; p < processes.size(); ++p) {
      BuyerHistory buyer;
      buyer.pid = static_cast<std::int32_t>(1000 + p);
      buyer.operations = processes[p];
      result.push_back(buyer);
    }
    return result;
  }

  LinearizabilityResult check(std::int64_t tickets, std::optional<std::int64_t> final_count,
                              LinearizabilityBudget budget = {}) const {
    std::vector<BuyerHistory> histories = buyers();
    return check_linearizability({histories, tickets, final_count, 0, budget});
  }

  bool passes_read_bounds(std::int64_t tickets, std::int64_t final_count) const {
    std::vector<BuyerHistory> histories = buyers();
    FinalState final_state;
    final_state.remaining = final_count;
    return check_history({histories, tickets, final_state, 0, 0, {}}).valid();
  }
};

TEST_CASE("a sequential sale is linearizable") {
  Planted h;
  h.read(0, 1, 2, 2).sold(0, 3, 4, 2).read(1, 5, 6, 1).sold(1, 7, 8, 1).sold_out(0, 9, 10).read(1, 11, 12, 0);
  LinearizabilityResult result = h.check(2, 0);
  CHECK(result.answer == Linearizability::kLinearizable);
  CHECK(result.operations == 6);
  CHECK(h.check(2, std::nullopt).answer == Linearizability::kLinearizable);
}

TEST_CASE("a read overlapping a sale may see the count before or after it") {
  for (std::int64_t seen : {1, 0}) {
    Planted h;
    h.sold(0, 10, 20, 1).read(1, 15, 16, seen);
    CHECK(h.check(1, 0).answer == Linearizability::kLinearizable);
  }
  Planted after;
  after.sold(0, 10, 20, 1).read(1, 25, 26, 1);  // the sale had returned: the count was 0
  CHECK(after.check(1, 0).answer == Linearizability::kNotLinearizable);
}

TEST_CASE("the seed's oversell: two sales of ticket #1, named") {
  Planted h;
  h.read(0, 0, 1, 1).read(1, 0, 1, 1).sold(0, 2, 10, 1).sold(1, 3, 11, 1);
  LinearizabilityResult result = h.check(1, 0);
  REQUIRE(result.answer == Linearizability::kNotLinearizable);
  REQUIRE(result.culprit);
  CHECK(result.culprit->buyer == 1);  // the second sale's completion ends the smallest failing prefix
  REQUIRE(result.witnesses.size() == 1);
  CHECK(result.witnesses[0].buyer == 0);
  CHECK(result.witnesses[0].operation == 1);
  CHECK(result.explanation.find("buyer 1001's purchase") != std::string::npos);
  CHECK(result.explanation.find("buyer 1000's purchase") != std::string::npos);
}

TEST_CASE("histories that pass the read bounds but that no sequential sale explains") {
  SUBCASE("a count that goes back up between two reads") {
    // Both reads lie within the bounds (no sale was acknowledged before
    // either began), but 1 was read before 2.
    Planted h;
    h.sold(0, 0, 100, 2).sold(1, 0, 100, 1).read(2, 10, 20, 1).read(3, 30, 40, 2);
    CHECK(h.passes_read_bounds(2, 0));
    LinearizabilityResult result = h.check(2, 0);
    CHECK(result.answer == Linearizability::kNotLinearizable);
    REQUIRE(result.culprit);
    CHECK(result.culprit->buyer == 3);
  }
  SUBCASE("tickets sold out of order, one after the other") {
    Planted h;
    h.sold(0, 0, 10, 1).sold(1, 20, 30, 2);
    CHECK(h.passes_read_bounds(2, 0));
    CHECK(h.check(2, 0).answer == Linearizability::kNotLinearizable);
  }
  SUBCASE("sold-out while a ticket was left") {
    Planted h;
    h.sold(0, 0, 10, 2).sold_out(1, 20, 30).sold(2, 40, 50, 1);
    CHECK(h.check(2, 0).answer == Linearizability::kNotLinearizable);
  }
}

TEST_CASE("an indeterminate purchase may or may not have sold") {
  Planted took;
  took.maybe(0, 0).read(1, 10, 20, 0);
  CHECK(took.check(1, 0).answer == Linearizability::kLinearizable);
  CHECK(took.check(1, 1).answer == Linearizability::kNotLinearizable);  // the read saw it sell
  Planted did_not;
  did_not.maybe(0, 0).read(1, 10, 20, 1);
  CHECK(did_not.check(1, 1).answer == Linearizability::kLinearizable);
  CHECK(did_not.check(1, 0).answer == Linearizability::kLinearizable);  // it sold after the read
  // A purchase that failed (the store's error) took effect, if at all,
  // before it returned: the count cannot fall after.
  Planted failed;
  failed.maybe(0, 0, 10).read(1, 20, 30, 1).read(1, 40, 50, 1);
  CHECK(failed.check(1, 1).answer == Linearizability::kLinearizable);
  CHECK(failed.check(1, 0).answer == Linearizability::kNotLinearizable);
}

// The sequential store, placing each operation at a random point of its
// interval: what it makes is linearizable by construction.
Planted random_linearizable(std::mt19937_64& random, std::int64_t tickets, std::int64_t* final_count) {
  struct Planned {
    std::size_t process;
    std::int64_t start, point, end;
    bool buy, vanish;
  };
  std::vector<Planned> plan;
  std::size_t processes = 1 + random() % 4;
  for (std::size_t p = 0; p < processes; ++p) {
    std::int64_t t = static_cast<std::int64_t>(random() % 20);
    for (std::size_t k = 0, n = 1 + random() % 4; k < n; ++k) {
      std::int64_t length = 1 + static_cast<std::int64_t>(random() % 40);
      std::int64_t start = t;
      std::int64_t point = start + static_cast<std::int64_t>(random() % static_cast<std::uint64_t>(length));
      plan.push_back({p, start, point, start + length, random() % 2 == 0, random() % 8 == 0});
      t = start + length + static_cast<std::int64_t>(random() % 10);
    }
  }
  std::vector<std::size_t> order(plan.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return plan[a].point < plan[b].point; });
  std::vector<Operation> made(plan.size());
  std::int64_t count = tickets;
  for (std::size_t i : order) {
    const Planned& p = plan[i];
    Operation& op = made[i];
    op.start_ns = p.start;
    op.end_ns = p.end;
    op.kind = p.buy ? OperationKind::kBuy : OperationKind::kSearch;
    if (!p.buy) {
      op.outcome = Outcome::kOk;
      op.count_read = count;
    } else if (count > 0) {
      op.outcome = Outcome::kSold;
      op.ticket = op.count_read = count--;
    } else {
      op.outcome = Outcome::kSoldOut;
    }
    if (p.buy && p.vanish) op.outcome = Outcome::kIndeterminate, op.end_ns = 0;  // it sold, nobody heard
  }
  Planted h;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    if (h.processes.size() <= plan[i].process) h.processes.resize(plan[i].process + 1);
    h.processes[plan[i].process].push_back(made[i]);
  }
  // A process's operations follow one another; the last may be cut off.
  for (auto& ops : h.processes) {
    for (std::size_t k = 0; k + 1 < ops.size(); ++k) {
      if (ops[k].end_ns == 0) ops[k].end_ns = ops[k + 1].start_ns, ops[k].outcome = Outcome::kError;
    }
  }
  *final_count = count;
  return h;
}

TEST_CASE("histories a sequential store made are never reported as not linearizable") {
  std::mt19937_64 random(16);
  for (int i = 0; i < 500; ++i) {
    std::int64_t tickets = static_cast<std::int64_t>(random() % 4);
    std::int64_t final_count = 0;
    Planted h = random_linearizable(random, tickets, &final_count);
    INFO("history " << i);
    CHECK(h.check(tickets, final_count).answer == Linearizability::kLinearizable);
    CHECK(h.check(tickets, std::nullopt).answer == Linearizability::kLinearizable);
  }
}

// Every order of the operations that respects real time, each purchase
// that may have sold placed or left out: the definition, by brute force.
bool brute_force(const std::vector<BuyerHistory>& buyers, std::int64_t tickets, std::int64_t final_count) {
  std::vector<Operation> ops;
  for (const BuyerHistory& buyer : buyers) ops.insert(ops.end(), buyer.operations.begin(), buyer.operations.end());
  std::vector<std::size_t> order(ops.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto returned = [](const Operation& op) { return op.end_ns ? op.end_ns : INT64_MAX; };
  do {
    bool real_time = true;
    for (std::size_t a = 0; a < order.size() && real_time; ++a) {
      for (std::size_t b = a + 1; b < order.size(); ++b) {
        if (returned(ops[order[b]]) < ops[order[a]].start_ns) real_time = false;
      }
    }
    if (!real_time) continue;
    std::vector<std::size_t> maybe;
    for (std::size_t i : order) {
      if (ops[i].outcome == Outcome::kIndeterminate || ops[i].outcome == Outcome::kError) maybe.push_back(i);
    }
    for (std::uint32_t mask = 0; mask < (1u << maybe.size()); ++mask) {
      std::int64_t count = tickets;
      bool legal = true;
      for (std::size_t i : order) {
        const Operation& op = ops[i];
        auto it = std::find(maybe.begin(), maybe.end(), i);
        if (it != maybe.end()) {
          if ((mask >> (it - maybe.begin())) & 1 && count > 0) --count;
        } else if (op.outcome == Outcome::kOk) {
          legal = legal && count == op.count_read;
        } else if (op.outcome == Outcome::kSold) {
          legal = legal && count > 0 && count == op.ticket;
          --count;
        } else if (op.outcome == Outcome::kSoldOut) {
          legal = legal && count == 0;
        }
        if (!legal) break;
      }
      if (legal && count == final_count) return true;
    }
  } while (std::next_permutation(order.begin(), order.end()));
  return false;
}

TEST_CASE("random histories: the search and the brute force agree") {
  std::mt19937_64 random(1616);
  int linearizable = 0, not_linearizable = 0;
  for (int i = 0; i < 300; ++i) {
    Planted h;
    std::int64_t tickets = static_cast<std::int64_t>(random() % 3);
    std::size_t n = 2 + random() % 5;
    for (std::size_t k = 0; k < n; ++k) {
      std::size_t process = k;  // one operation each: any overlap is allowed
      std::int64_t start = static_cast<std::int64_t>(random() % 30) + 1;
      std::int64_t end = start + 1 + static_cast<std::int64_t>(random() % 20);
      std::int64_t value = static_cast<std::int64_t>(random() % 3);
      switch (random() % 5) {
        case 0: h.read(process, start, end, value); break;
        case 1: h.sold(process, start, end, std::max<std::int64_t>(1, value)); break;
        case 2: h.sold_out(process, start, end); break;
        case 3: h.maybe(process, start); break;
        default: h.maybe(process, start, end); break;
      }
    }
    std::int64_t final_count = static_cast<std::int64_t>(random() % 3);
    bool expected = brute_force(h.buyers(), tickets, final_count);
    INFO("history " << i);
    LinearizabilityResult result = h.check(tickets, final_count);
    CHECK(result.answer == (expected ? Linearizability::kLinearizable : Linearizability::kNotLinearizable));
    ++(expected ? linearizable : not_linearizable);
  }
  CHECK(linearizable > 30);  // the random histories are of both kinds
  CHECK(not_linearizable > 30);
}

TEST_CASE("a long history with little overlap fits a small memo") {
  // The memo keeps, of the operations placed, only those beyond the prefix
  // all placed: twenty thousand operations in 8 MiB (a whole bitset per
  // configuration would take 2.5 KB each).
  Planted h;
  std::int64_t count = 10000;
  for (std::int64_t i = 0; count > 0; ++i) {
    std::size_t process = static_cast<std::size_t>(2 * (i % 4));
    h.read(process, 40 * i, 40 * i + 30, count);  // each overlaps the next
    h.sold(process + 1, 40 * i + 20, 40 * i + 45, count);
    --count;
  }
  LinearizabilityBudget small;
  small.memory_bytes = std::size_t{8} << 20;
  LinearizabilityResult result = h.check(10000, 0, small);
  CHECK(result.answer == Linearizability::kLinearizable);
  CHECK(result.operations == 20000);
}

TEST_CASE("the budget: a hard history answers unknown, not a guess") {
  // Sixty purchases that may each have sold, all concurrent, then a read
  // of a count they cannot reach: every subset of them is a configuration.
  Planted h;
  for (std::size_t p = 0; p < 60; ++p) h.maybe(p, static_cast<std::int64_t>(p) + 1);
  h.read(60, 1000, 1001, 10);
  LinearizabilityBudget quick;
  quick.time = std::chrono::milliseconds(200);
  LinearizabilityResult result = h.check(100, std::nullopt, quick);
  CHECK(result.answer == Linearizability::kUnknown);
  CHECK(result.elapsed_s < 5.0);  // it stopped near its budget, not after 2^60 configurations
  CHECK(result.explanation.find("budget") != std::string::npos);

  LinearizabilityBudget small;
  small.memory_bytes = std::size_t{1} << 20;
  CHECK(h.check(100, std::nullopt, small).answer == Linearizability::kUnknown);
}

}  // namespace
}  // namespace ticketsim
