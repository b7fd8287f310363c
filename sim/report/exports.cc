#include "sim/report/exports.h"

#include <fmt/format.h>

#include "sim/checker.h"
#include "sim/report/html_report.h"
#include "sim/report/report.h"

namespace ticketsim {
namespace {

// Markdown table cells: a pipe would end the cell.
std::string md_cell(std::string value) {
  std::string escaped;
  for (char c : value) escaped += c == '|' ? std::string("\\|") : std::string(1, c);
  return escaped;
}

}  // namespace

std::string csv_field(const std::string& value) {
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  std::string quoted = "\"";
  for (char c : value) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

bool is_export_format(std::string_view extension) {
  return extension == ".json" || extension == ".csv" || extension == ".md" || extension == ".html";
}

std::string export_text(const Comparison& comparison, std::string_view extension) {
  if (extension == ".json") return comparison_json(comparison).dump(2) + "\n";
  if (extension == ".csv") return comparison_csv(comparison);
  if (extension == ".md") return comparison_markdown(comparison);
  return comparison_html(comparison);
}

std::string correct_runs(const Cell& cell) {
  std::string text = fmt::format("{} of {}", cell.valid, cell.runs.size());
  std::string why;
  if (cell.invalid) why += fmt::format("invalid {}", cell.invalid);
  if (cell.stuck) why += fmt::format("{}stuck {}", why.empty() ? "" : ", ", cell.stuck);
  if (cell.interrupted) why += fmt::format("{}interrupted {}", why.empty() ? "" : ", ", cell.interrupted);
  return why.empty() ? text : text + " (" + why + ")";
}

std::string retried_failed(const Cell& cell) { return grouped(cell.retry.retried) + "/" + grouped(cell.retry.failed); }

std::string relative_text(const Cell& cell, bool spread) {
  if (!cell.has_relative) return "n/a";
  if (cell.reference || !spread) return fmt::format("{:.2f}", cell.relative);
  return fmt::format("{:.2f} ± {:.2f}", cell.relative, cell.relative_error);
}

std::string stddev_text(const Cell& cell, bool spread) { return spread ? format_rate(cell.stddev) : "n/a"; }

std::string cv_text(const Cell& cell, bool spread) {
  return spread ? fmt::format("{:.1f}%", cell.cv * 100) : "n/a";
}

std::string comparison_csv(const Comparison& comparison) {
  std::string out =
      "strategy,buyers,run,seed,verdict,expected_verdict,tickets,sold,remaining,sales_per_s,window_s,"
      "buys,buy_mean_s,buy_p50_s,buy_p90_s,buy_p99_s,buy_p99_9_s,buy_max_s,search_p99_s,retries,"
      "serialization_failures,deadlock_failures,retried_transactions,failed_transactions,connect_median_s,"
      "connect_max_s,indeterminate,timeouts,anomalies";
  for (int i = 0; i < kAnomalyClasses; ++i) out += fmt::format(",{}", anomaly_key(static_cast<Anomaly>(i)));
  out += ",repeat_command\n";
  for (const RunRow& row : comparison.rows) {
    out += fmt::format("{},{},{},{},{},{},{},{},{},{:.6g},{:.6g},{},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{},{},{},{},{},{:.6g},{:.6g},{},{},{}",
                       csv_field(row.strategy()), row.buyers(), row.run, row.seed(), verdict_name(row.verdict()),
                       verdict_name(row.expected_verdict()), row.tickets(), row.sold(),
                       row.remaining() ? std::to_string(*row.remaining()) : "", row.sales_per_s(), row.window_s(),
                       row.buy().count, row.buy().mean, row.buy().p50, row.buy().p90, row.buy().p99, row.buy().p999,
                       row.buy().max, row.search().p99, row.retries(), row.retry().serialization_failures,
                       row.retry().deadlock_failures, row.retry().retried, row.retry().failed, row.connect().median_s,
                       row.connect().max_s, row.indeterminate(), row.timeouts(),
                       row.anomaly_total());
    for (const AnomalyReport& report : row.anomalies()) out += fmt::format(",{}", report.count);
    out += "," + csv_field(row.repeat_command) + "\n";
  }
  return out;
}

std::string comparison_markdown(const Comparison& comparison) {
  const Context& c = comparison.context;
  std::vector<Cell> cells = cells_of(comparison);
  bool spread = comparison.runs > 1;
  std::string out = fmt::format("# ticketsim: {}\n\n", comparison.scenario_name);
  out += fmt::format("{}.\n\n", matrix_words(comparison));
  out += fmt::format(
      "| Strategy | Buyers | Sales/s (median) | ± stddev | CV | Relative | p99 buy | Retried/failed | Correct runs |\n");
  out += "|:--|--:|--:|--:|--:|--:|--:|--:|:--|\n";
  for (const Cell& cell : cells) {
    out += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", md_cell(cell.strategy), grouped(cell.buyers),
                       format_rate(cell.median), stddev_text(cell, spread), cv_text(cell, spread),
                       relative_text(cell, spread), format_seconds(cell.buy_p99_s), retried_failed(cell),
                       correct_runs(cell));
  }
  out += "\nRelative: median sales/s against the fastest strategy at the same buyer count that was correct in "
         "every run. Retried/failed: purchases retried at least once, and purchases whose tries ran out, over "
         "the cell's runs.\n\n";
  for (const std::string& line : summary_lines(comparison, cells)) out += fmt::format("- {}\n", md_cell(line));
  out += fmt::format("\n<details><summary>Context</summary>\n\n"
                     "- ticketsim {} ({}), {} build, {}\n"
                     "- {}, {} of {} CPUs usable\n"
                     "- {}\n"
                     "- stores on {} ({})\n"
                     "- SQLite {}, Boost {}\n"
                     "- scenario {} (sha256 {}), seed {}\n"
                     "- started {}: `{}`\n\n</details>\n",
                     c.ticketsim_version, c.git_revision, c.build_type, c.compiler, c.cpu_model, c.cpus_usable,
                     c.cpus_online, c.kernel, c.store_filesystem, c.store_dir, c.sqlite_version, c.boost_version,
                     c.scenario_file, c.scenario_sha256, c.seed, c.started_at, c.command_line);
  return out;
}

void print_comparison(const Comparison& comparison, std::FILE* out) {
  std::vector<Cell> cells = cells_of(comparison);
  bool spread = comparison.runs > 1;
  std::string text = context_lines(comparison.context);
  text += fmt::format("\n{}: {}\n\n", comparison.scenario_name, matrix_words(comparison));
  std::size_t width = 8;
  for (const Cell& cell : cells) width = std::max(width, cell.strategy.size());
  text += fmt::format("{:<{}}  {:>6}  {:>10}  {:>9}  {:>6}  {:>12}  {:>9}  {:>14}  {}\n", "strategy", width,
                      "buyers", "sales/s", "± stddev", "CV", "relative", "p99 buy", "retried/failed", "correct runs");
  for (const Cell& cell : cells) {
    text += fmt::format("{:<{}}  {:>6}  {:>10}  {:>9}  {:>6}  {:>12}  {:>9}  {:>14}  {}\n", cell.strategy, width,
                        grouped(cell.buyers), format_rate(cell.median), stddev_text(cell, spread), cv_text(cell, spread),
                        relative_text(cell, spread), format_seconds(cell.buy_p99_s), retried_failed(cell),
                        correct_runs(cell));
  }
  text += "\nsummary\n";
  for (const std::string& line : summary_lines(comparison, cells)) text += fmt::format("  {}\n", line);
  std::fputs(text.c_str(), out);
}

}  // namespace ticketsim
