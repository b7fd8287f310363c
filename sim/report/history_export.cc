#include "sim/report/history_export.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace ticketsim {
namespace {

// One operation of the run: its buyer and its place in the buyer's history.
struct OperationSite {
  std::int64_t invoke_ns;
  std::uint32_t buyer;
  std::uint32_t operation;
};

// Every operation, in the order they were invoked (a buyer's own in its order).
std::vector<OperationSite> by_invocation(const std::vector<BuyerHistory>& buyers) {
  std::vector<OperationSite> sites;
  for (std::size_t b = 0; b < buyers.size(); ++b) {
    for (std::size_t o = 0; o < buyers[b].operations.size(); ++o) {
      sites.push_back({buyers[b].operations[o].start_ns, static_cast<std::uint32_t>(b), static_cast<std::uint32_t>(o)});
    }
  }
  std::stable_sort(sites.begin(), sites.end(),
                   [](const OperationSite& a, const OperationSite& b) { return a.invoke_ns < b.invoke_ns; });
  return sites;
}

// Whether the operation read a count it can report: it completed with an
// answer from the store.
bool read_a_count(const Operation& op) {
  return op.outcome == Outcome::kOk || op.outcome == Outcome::kSold || op.outcome == Outcome::kSoldOut;
}

nlohmann::json header_json(const RunRecord& record, const Result& result, const std::string& scenario_sha256) {
  const Scenario& scenario = record.scenario;
  nlohmann::json header = {
      {"ticketsim_history", kHistorySchemaVersion},
      {"ticketsim_version", result.ticketsim_version},
      {"tickets", scenario.tickets},
      {"buyers", record.buyers.size()},
      {"strategy", scenario.strategy},
      {"scenario", scenario.name},
      {"scenario_file", scenario.file},
      {"scenario_sha256", scenario_sha256},
      {"seed", scenario.seed},
      {"window_ns", record.window_ns},
      {"verdict", verdict_name(result.verdict)},
  };
  const FinalState& final_state = record.final_state;
  nlohmann::json final_json = nlohmann::json::object();
  if (final_state.corrupt) {
    final_json["corrupt"] = final_state.problem;
  } else {
    final_json["remaining"] = final_state.remaining;
  }
  if (final_state.ledger_sales) final_json["ledger_sales"] = *final_state.ledger_sales;
  header["final"] = final_json;
  if (record.stuck) header["stuck"] = record.stuck_reason;
  if (!record.interrupted_by.empty()) header["interrupted_by"] = record.interrupted_by;
  return header;
}

}  // namespace

bool history_format_known(std::string_view extension) { return extension == ".jsonl" || extension == ".edn"; }

std::string history_jsonl(const RunRecord& record, const Result& result, const std::string& scenario_sha256) {
  std::vector<BuyerHistory> buyers = buyer_histories(record);
  nlohmann::json header = header_json(record, result, scenario_sha256);
  nlohmann::json unfinished = nlohmann::json::array();
  for (std::size_t b = 0; b < buyers.size(); ++b) {
    if (!buyers[b].failure.empty()) {
      unfinished.push_back({{"process", b}, {"pid", buyers[b].pid}, {"failure", buyers[b].failure}});
    }
  }
  header["unfinished"] = unfinished;

  // With the store's ledger listed by operation id, each purchase says
  // whether the ledger holds it.
  std::vector<std::uint64_t> ledger;
  const std::int64_t stride = record.history->capacity();
  if (record.final_state.ledger) {
    for (const LedgerSale& sale : *record.final_state.ledger) ledger.push_back(sale.operation_id);
    std::sort(ledger.begin(), ledger.end());
  }

  std::string out = header.dump() + "\n";
  for (const OperationSite& site : by_invocation(buyers)) {
    const BuyerHistory& buyer = buyers[site.buyer];
    const Operation& op = buyer.operations[site.operation];
    bool buy = op.kind == OperationKind::kBuy;
    out += fmt::format(R"({{"process":{},"pid":{},"operation":"{}","invoke_ns":{},"complete_ns":{},"outcome":"{}")",
                       site.buyer, buyer.pid, buy ? "buy" : "search", op.start_ns - record.start_ns,
                       op.end_ns ? fmt::format("{}", op.end_ns - record.start_ns) : "null", outcome_name(op.outcome));
    if (read_a_count(op)) out += fmt::format(R"(,"count":{})", op.count_read);
    if (op.outcome == Outcome::kSold) out += fmt::format(R"(,"ticket":{})", op.ticket);
    if (op.end_ns) out += fmt::format(R"(,"tries":{})", op.retries + 1);
    if (buy && record.final_state.ledger) {
      auto id = static_cast<std::uint64_t>(site.buyer * stride + site.operation);
      out += fmt::format(R"(,"in_ledger":{})", std::binary_search(ledger.begin(), ledger.end(), id));
    }
    out += "}\n";
  }
  return out;
}

namespace {

// One event of a Jepsen history: an operation's invocation or completion.
struct Event {
  std::int64_t time_ns;
  bool completion;
  std::uint32_t buyer;
  std::uint32_t operation;
};

// The completion's :type and what follows :f: its :value (and :error).
struct Completion {
  const char* type;
  std::string rest;
};

Completion completion_of(const Operation& op) {
  bool read = op.kind == OperationKind::kSearch;
  switch (op.outcome) {
    case Outcome::kOk: return {"ok", fmt::format(":value {}", op.count_read)};
    case Outcome::kSold: return {"ok", fmt::format(":value {}", op.ticket)};
    case Outcome::kSoldOut: return {"fail", ":value nil, :error :sold-out"};
    case Outcome::kTimeout: return {"fail", ":value nil, :error :timeout"};
    // A read that failed changed nothing; a purchase that failed may have.
    case Outcome::kCorrupt: return {read ? "fail" : "info", ":value nil, :error :corrupt"};
    case Outcome::kError: return {read ? "fail" : "info", ":value nil, :error :store-error"};
    case Outcome::kIndeterminate: return {"info", ":value nil, :error :indeterminate"};
    // Killed while it waited, before it reached the store: it did not happen.
    case Outcome::kCancelled: return {"fail", ":value nil, :error :cancelled"};
  }
  return {"info", ":value nil"};
}

}  // namespace

std::string history_edn(const RunRecord& record) {
  std::vector<BuyerHistory> buyers = buyer_histories(record);
  std::vector<Event> events;
  std::int64_t last_ns = 0;
  for (std::size_t b = 0; b < buyers.size(); ++b) {
    for (std::size_t o = 0; o < buyers[b].operations.size(); ++o) {
      const Operation& op = buyers[b].operations[o];
      auto buyer = static_cast<std::uint32_t>(b);
      auto operation = static_cast<std::uint32_t>(o);
      events.push_back({op.start_ns - record.start_ns, false, buyer, operation});
      if (op.end_ns) events.push_back({op.end_ns - record.start_ns, true, buyer, operation});
      last_ns = std::max(last_ns, std::max(op.start_ns, op.end_ns) - record.start_ns);
    }
  }
  // An operation its buyer never finished completes with :info at the end.
  for (std::size_t b = 0; b < buyers.size(); ++b) {
    for (std::size_t o = 0; o < buyers[b].operations.size(); ++o) {
      if (!buyers[b].operations[o].end_ns) {
        events.push_back({last_ns, true, static_cast<std::uint32_t>(b), static_cast<std::uint32_t>(o)});
      }
    }
  }
  // At the same nanosecond an invocation comes first: the two overlap.
  std::stable_sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    return a.time_ns != b.time_ns ? a.time_ns < b.time_ns : !a.completion && b.completion;
  });

  // Jepsen's process numbers: a process whose operation ended :info is
  // gone; its buyer goes on as process + buyers.
  std::vector<std::int64_t> process(buyers.size());
  for (std::size_t b = 0; b < buyers.size(); ++b) process[b] = static_cast<std::int64_t>(b);
  std::string out;
  for (const Event& event : events) {
    const BuyerHistory& buyer = buyers[event.buyer];
    const Operation& op = buyer.operations[event.operation];
    const char* f = op.kind == OperationKind::kSearch ? ":read" : ":buy";
    if (!event.completion) {
      out += fmt::format("{{:process {}, :type :invoke, :f {}, :value nil, :time {}, :pid {}}}\n",
                         process[event.buyer], f, event.time_ns, buyer.pid);
      continue;
    }
    Completion completion = completion_of(op);
    out += fmt::format("{{:process {}, :type :{}, :f {}, {}, :time {}, :pid {}}}\n", process[event.buyer],
                       completion.type, f, completion.rest, event.time_ns, buyer.pid);
    if (std::string_view(completion.type) == "info") {
      process[event.buyer] += static_cast<std::int64_t>(buyers.size());
    }
  }
  return out;
}

std::string history_text(std::string_view extension, const RunRecord& record, const Result& result,
                         const std::string& scenario_sha256) {
  return extension == ".edn" ? history_edn(record) : history_jsonl(record, result, scenario_sha256);
}

}  // namespace ticketsim
