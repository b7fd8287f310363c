#include "sim/report/history_reader.h"

#include <algorithm>
#include <fstream>
#include <numeric>
#include <unordered_map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/errors.h"
#include "sim/report/json_input.h"
#include "sim/report/history_export.h"

namespace ticketsim {
namespace {

// Times are kept shifted by one, so that 0 stays "never completed".
constexpr std::int64_t kTimeShift = 1;

class Reader {
 public:
  explicit Reader(const std::string& path) {
    history_.file = path;
    history_.origin_ns = kTimeShift;
  }

  LoadedHistory read() {
    std::ifstream in(history_.file, std::ios::binary);
    if (!in) throw InputError(fmt::format("{}: cannot read the history", history_.file));
    std::string line;
    std::int64_t number = 0;
    while (std::getline(in, line)) {
      ++number;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") == std::string::npos) continue;
      where_ = fmt::format("{}:{}", history_.file, number);
      nlohmann::json json = nlohmann::json::parse(line, nullptr, false);
      if (json.is_discarded() || !json.is_object()) {
        throw InputError(fmt::format("{}: not a JSON object on one line", where_));
      }
      if (json.contains("ticketsim_history")) {
        if (seen_operation_ || history_.has_header) {
          throw InputError(fmt::format("{}: a header line after the first line", where_));
        }
        read_header(json);
      } else {
        read_operation(json);
        seen_operation_ = true;
      }
    }
    if (in.bad()) throw InputError(fmt::format("{}: cannot read the history", history_.file));
    finish();
    return std::move(history_);
  }

 private:
  void read_header(const nlohmann::json& json) {
    history_.has_header = true;
    std::int64_t version = json_integer(json, "ticketsim_history", where_);
    if (version != kHistorySchemaVersion) {
      throw InputError(fmt::format("{}: history format version {}; this ticketsim reads version {}", where_, version,
                                   kHistorySchemaVersion));
    }
    if (json.contains("tickets")) history_.tickets = json_unsigned(json, "tickets", where_);
    if (json.contains("strategy")) history_.strategy = json_text(json, "strategy", where_);
    if (json.contains("scenario")) history_.scenario = json_text(json, "scenario", where_);
    if (json.contains("window_ns")) history_.window_ns = json_integer(json, "window_ns", where_);
    if (json.contains("stuck")) history_.stuck_reason = json_text(json, "stuck", where_);
    if (json.contains("interrupted_by")) history_.interrupted_by = json_text(json, "interrupted_by", where_);
    if (json.contains("final")) {
      const nlohmann::json& final_json = json_object(json, "final", where_);
      std::string inside = where_ + ": final";
      FinalState final_state;
      if (final_json.contains("corrupt")) {
        final_state.corrupt = true;
        final_state.problem = json_text(final_json, "corrupt", inside);
      } else {
        final_state.remaining = json_integer(final_json, "remaining", inside);
      }
      if (final_json.contains("ledger_sales")) final_state.ledger_sales = json_integer(final_json, "ledger_sales", inside);
      history_.final_state = final_state;
    }
    if (json.contains("unfinished")) {
      const nlohmann::json& list = json_list(json, "unfinished", where_);
      for (std::size_t i = 0; i < list.size(); ++i) {
        std::string inside = fmt::format("{}: unfinished[{}]", where_, i);
        std::size_t index = process_index(json_integer(list[i], "process", inside));
        if (list[i].contains("pid")) pids_[index] = static_cast<std::int32_t>(json_integer(list[i], "pid", inside));
        failures_[index] = json_text(list[i], "failure", inside);
      }
    }
  }

  void read_operation(const nlohmann::json& json) {
    std::size_t index = process_index(json_integer(json, "process", where_));
    std::vector<Operation>& operations = history_.operations[index];
    if (json.contains("pid")) pids_[index] = static_cast<std::int32_t>(json_integer(json, "pid", where_));

    Operation op;
    std::string kind = json_text(json, "operation", where_);
    if (kind == "search") {
      op.kind = OperationKind::kSearch;
    } else if (kind == "buy") {
      op.kind = OperationKind::kBuy;
    } else {
      throw InputError(fmt::format("{}: operation: '{}' is neither search nor buy", where_, kind));
    }
    std::string outcome = json_text(json, "outcome", where_);
    std::optional<Outcome> named = outcome_named(outcome);
    if (!named) {
      throw InputError(fmt::format("{}: outcome: unknown outcome '{}'; use ok, sold, sold-out, corrupt, error, "
                                   "timeout or indeterminate", where_, outcome));
    }
    op.outcome = *named;
    bool has_invoke = json.contains("invoke_ns") && !json["invoke_ns"].is_null();
    bool has_complete = json.contains("complete_ns") && !json["complete_ns"].is_null();
    if (!has_invoke) {
      throw InputError(fmt::format("{}: {}", where_, has_complete ? "a completion without an invoke (no invoke_ns)"
                                                                   : "invoke_ns: missing"));
    }
    std::int64_t invoke = json_integer(json, "invoke_ns", where_);
    if (invoke < 0) throw InputError(fmt::format("{}: invoke_ns: {} is before the start (times are from 0)", where_, invoke));
    op.start_ns = invoke + kTimeShift;
    if (has_complete) {
      std::int64_t complete = json_integer(json, "complete_ns", where_);
      if (complete < invoke) {
        throw InputError(fmt::format("{}: complete_ns {} is before invoke_ns {}", where_, complete, invoke));
      }
      op.end_ns = complete + kTimeShift;
    } else if (op.outcome != Outcome::kIndeterminate && op.outcome != Outcome::kCancelled) {
      throw InputError(fmt::format("{}: outcome '{}' without complete_ns (an operation that never completed is "
                                   "indeterminate)", where_, outcome));
    }
    if (!operations.empty()) {
      const Operation& previous = operations.back();
      std::int64_t previous_end = previous.end_ns ? previous.end_ns : previous.start_ns;
      if (op.start_ns < previous_end) {
        throw InputError(fmt::format("{}: time goes backwards in process {}: invoked at {} ns, before its previous "
                                     "operation {} at {} ns", where_, history_.process_numbers[index], invoke,
                                     previous.end_ns ? "completed" : "was invoked", previous_end - kTimeShift));
      }
    }
    if (op.outcome == Outcome::kOk) {
      if (op.kind != OperationKind::kSearch) throw InputError(fmt::format("{}: outcome 'ok' is a search's; a buy is sold or sold-out", where_));
      op.count_read = json_integer(json, "count", where_);
    } else if (op.outcome == Outcome::kSold || op.outcome == Outcome::kSoldOut) {
      if (op.kind != OperationKind::kBuy) {
        throw InputError(fmt::format("{}: outcome '{}' is a buy's; a search is ok", where_, outcome));
      }
      if (op.outcome == Outcome::kSold) op.ticket = json_integer(json, "ticket", where_);
      op.count_read = json.contains("count") ? json_integer(json, "count", where_) : op.ticket;
    }
    if (json.contains("tries")) {
      std::int64_t tries = json_integer(json, "tries", where_);
      if (tries < 1) throw InputError(fmt::format("{}: tries: {} (at least 1)", where_, tries));
      op.retries = static_cast<std::uint32_t>(std::min<std::int64_t>(tries - 1, UINT32_MAX));
    }
    if (json.contains("in_ledger")) {
      if (json_bool(json, "in_ledger", where_)) in_ledger_.push_back({index, operations.size()});
      has_ledger_list_ = true;
    }
    operations.push_back(op);
    ++history_.operation_count;
  }

  // The index of process `number`, made on its first appearance.
  std::size_t process_index(std::int64_t number) {
    auto [it, added] = index_of_.try_emplace(number, history_.process_numbers.size());
    if (added) {
      history_.process_numbers.push_back(number);
      history_.operations.emplace_back();
      pids_.push_back(static_cast<std::int32_t>(number));
      failures_.emplace_back();
    }
    return it->second;
  }

  // Processes in the order of their numbers; the spans the checker reads.
  void finish() {
    std::vector<std::size_t> order(history_.process_numbers.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return history_.process_numbers[a] < history_.process_numbers[b];
    });
    std::vector<std::size_t> position(order.size());
    for (std::size_t i = 0; i < order.size(); ++i) position[order[i]] = i;
    LoadedHistory& h = history_;
    std::vector<std::int64_t> numbers;
    std::vector<std::vector<Operation>> operations;
    std::size_t longest = 0;
    for (std::size_t i : order) {
      numbers.push_back(h.process_numbers[i]);
      operations.push_back(std::move(h.operations[i]));
      longest = std::max(longest, operations.back().size());
    }
    h.process_numbers = std::move(numbers);
    h.operations = std::move(operations);
    for (std::size_t i = 0; i < order.size(); ++i) {
      BuyerHistory buyer;
      buyer.pid = pids_[order[i]];
      buyer.operations = h.operations[i];
      buyer.failure = failures_[order[i]];
      h.buyers.push_back(std::move(buyer));
    }
    if (has_ledger_list_ && h.final_state) {
      h.operation_stride = static_cast<std::int64_t>(longest) + 1;
      std::vector<LedgerSale> ledger;
      for (auto [process, operation] : in_ledger_) {
        ledger.push_back({0, static_cast<std::uint64_t>(static_cast<std::int64_t>(position[process]) *
                                                            h.operation_stride +
                                                        static_cast<std::int64_t>(operation))});
      }
      h.final_state->ledger = std::move(ledger);
    }
  }

  LoadedHistory history_;
  std::string where_;
  bool seen_operation_ = false;
  std::unordered_map<std::int64_t, std::size_t> index_of_;
  std::vector<std::int32_t> pids_;
  std::vector<std::string> failures_;
  std::vector<std::pair<std::size_t, std::size_t>> in_ledger_;  // (process index, operation index)
  bool has_ledger_list_ = false;
};

}  // namespace

std::optional<Outcome> outcome_named(std::string_view name) {
  for (Outcome outcome : {Outcome::kOk, Outcome::kSold, Outcome::kSoldOut, Outcome::kCorrupt, Outcome::kError,
                          Outcome::kTimeout, Outcome::kIndeterminate, Outcome::kCancelled}) {
    if (outcome_name(outcome) == name) return outcome;
  }
  return std::nullopt;
}

LoadedHistory read_history(const std::string& path) { return Reader(path).read(); }

}  // namespace ticketsim
