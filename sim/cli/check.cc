// `ticketsim check FILE`: checks a history from anywhere (a run's --history
// export, or one another system's load tool wrote; docs/history.md) with
// the run's checker, and prints the run's report.
#include <cstdio>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/checker.h"
#include "sim/cli/commands.h"
#include "sim/cli/output.h"
#include "sim/errors.h"
#include "sim/linearizability.h"
#include "sim/metrics.h"
#include "sim/report/history_reader.h"
#include "sim/report/report.h"
#include "sim/report/result_json.h"
#include "sim/result.h"

namespace ticketsim {
namespace {

class CheckCommand : public Command {
 public:
  explicit CheckCommand(CLI::App& parent)
      : Command(parent.add_subcommand("check", "Check a history (.jsonl) from ticketsim or from any system")) {
    app()->footer("History files: docs/history.md describes the format ('run --history FILE' writes one).");
    app()->add_option("history", path_, "History file (.jsonl)")->required();
    app()->add_option("--tickets", tickets_, "Tickets in the store at the start (default: the header's)");
    app()->add_option("--final", final_, "The count the store ended with (default: the header's, if any)");
    app()->add_option("--expect", expect_, "The verdict to expect: valid, invalid or stuck");
    app()->add_option("--json", json_path_, "Write the JSON result to FILE");
    add_linearizable_options(*app(), linearizable_, budget_s_);
  }

  int execute(const std::vector<std::string>&) override {
    if (tickets_ && *tickets_ < 0) throw InputError(fmt::format("--tickets: {} is below 0", *tickets_));
    Verdict expected = Verdict::kValid;
    if (expect_) {
      std::optional<Verdict> named = verdict_named(*expect_);
      if (!named) throw InputError(fmt::format("--expect: '{}' is not a verdict; use valid, invalid or stuck", *expect_));
      expected = *named;
    }
    if (!json_path_.empty()) {
      check_output_path(json_path_);
      check_distinct({{"the history", path_}, {"--json", json_path_}});
    }
    LoadedHistory history = read_history(path_);
    std::optional<std::int64_t> tickets = tickets_ ? tickets_ : history.tickets;
    if (!tickets) {
      throw InputError(fmt::format("{}: no header line gives the tickets at the start; give --tickets N", path_));
    }
    std::optional<FinalState> final_state = history.final_state;
    if (final_) {
      final_state = FinalState();
      final_state->remaining = *final_;
    }

    Result result;
    result.history_source = HistorySource{path_, final_state.has_value()};
    result.scenario.file = path_;
    result.scenario.name = history.scenario;
    result.scenario.strategy = history.strategy;
    result.scenario.tickets = *tickets;
    result.scenario.buyers = static_cast<std::int64_t>(history.buyers.size());
    result.scenario.attempts = std::nullopt;
    result.scenario.expected = expected;
    result.final_state = final_state.value_or(FinalState{});
    CheckInput input{history.buyers, *tickets, result.final_state, history.origin_ns,
                     final_ ? 0 : history.operation_stride, {}};
    input.final_known = final_state.has_value();
    result.check = check_history(input);
    result.verdict = !history.interrupted_by.empty() ? Verdict::kInterrupted
                     : !history.stuck_reason.empty() ? Verdict::kStuck
                     : result.check.valid()          ? Verdict::kValid
                                                     : Verdict::kInvalid;
    result.stuck_reason = history.stuck_reason;
    result.interrupted_by = history.interrupted_by;
    // Latency from each operation's own times; throughput only over the
    // run's window, when the header gives it.
    result.metrics = measure(history.buyers, history.window_ns.value_or(0), 0);
    if (linearizable_) {
      std::optional<std::int64_t> final_count;
      if (final_state && !final_state->corrupt) final_count = final_state->remaining;
      result.linearizability =
          check_linearizability({history.buyers, *tickets, final_count, history.origin_ns, budget_of(budget_s_)});
    }
    print_report(result, stdout);
    std::fflush(stdout);
    if (!json_path_.empty()) write_file_atomically(json_path_, result_json(result).dump(2) + "\n");
    if (result.verdict == Verdict::kInterrupted) return kExitInterrupted;
    return result.as_expected() ? kExitAsExpected : kExitNotAsExpected;
  }

 private:
  std::string path_;
  std::optional<std::int64_t> tickets_;
  std::optional<std::int64_t> final_;
  std::optional<std::string> expect_;
  std::string json_path_;
  bool linearizable_ = false;
  double budget_s_ = kDefaultLinearizableSeconds;
};

}  // namespace

std::unique_ptr<Command> add_check_command(CLI::App& app) { return std::make_unique<CheckCommand>(app); }

}  // namespace ticketsim
