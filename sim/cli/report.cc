// `ticketsim report RESULT.json`: shows a saved JSON export, or one run's
// --json result, again, and exports it. A run's result is shown as `run`
// showed it: its report, then its context.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/cli/commands.h"
#include "sim/cli/output.h"
#include "sim/errors.h"
#include "sim/report/context.h"
#include "sim/report/exports.h"
#include "sim/report/report.h"

namespace ticketsim {
namespace {

nlohmann::json read_json_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw InputError(fmt::format("{}: is a directory, not a result", path));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot read the result: {}", path, std::strerror(errno)));
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    std::string what = e.what();
    std::size_t at = what.find("] ");
    throw InputError(fmt::format("{}: not JSON: {}", path, at == std::string::npos ? what : what.substr(at + 2)));
  }
}

class ReportCommand : public Command {
 public:
  explicit ReportCommand(CLI::App& parent)
      : Command(parent.add_subcommand("report", "Show a saved JSON result or export again, and export it")) {
    app()->add_option("result", path_, "A JSON export (compare or run --export) or a run --json result")->required();
    app()->add_option("--export", exports_, "Write it to FILE: .json, .csv, .md or .html; repeatable");
  }

  int execute(const std::vector<std::string>&) override {
    check_exports(exports_);
    std::error_code ec;
    for (const std::string& target : exports_) {
      if (std::filesystem::equivalent(path_, target, ec)) {
        throw InputError(fmt::format("{}: is the result being read; export to another file", target));
      }
    }
    nlohmann::json json = read_json_file(path_);
    Comparison comparison = comparison_from_json(json, path_);
    if (is_single_run(json)) {
      const RunRow& run = comparison.rows.front();
      print_report(run.result, stdout);
      if (run.context) std::fputs(context_lines(*run.context).c_str(), stdout);
    } else {
      print_comparison(comparison, stdout);
    }
    std::fflush(stdout);
    write_exports(comparison, exports_);
    return kExitAsExpected;
  }

 private:
  std::string path_;
  std::vector<std::string> exports_;
};

}  // namespace

std::unique_ptr<Command> add_report_command(CLI::App& app) { return std::make_unique<ReportCommand>(app); }

}  // namespace ticketsim
