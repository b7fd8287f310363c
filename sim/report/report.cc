#include "sim/report/report.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "storage/store.h"

namespace ticketsim {
namespace {

std::string latency_row(std::string_view name, const LatencyStats& s) {
  if (s.count == 0) return fmt::format("  {:<8}{:>8}\n", name, 0);
  return fmt::format("  {:<8}{:>8} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}\n", name, grouped(s.count),
                     format_seconds(s.min), format_seconds(s.mean), format_seconds(s.stddev),
                     format_seconds(s.p50), format_seconds(s.p90), format_seconds(s.p99),
                     format_seconds(s.p999), format_seconds(s.max));
}

// Whether the report has the retries line (and the buyers' retry columns):
// for a strategy with a server, and whenever a try failed.
bool shows_retries(const Result& result) {
  const StrategyInfo* strategy = find_strategy(result.scenario.strategy);
  const RetryCounts& retry = result.metrics.retry;
  return (strategy && strategy->server) || retry.serialization_failures > 0 || retry.deadlock_failures > 0 ||
         retry.failed > 0;
}

// Buyers are listed one per line up to this many; beyond, in summary.
constexpr std::size_t kListedBuyers = 16;

// How a buyer ended, in the table: a buyer the runner killed at the end
// while it waited says so.
std::string ended_words(const BuyerRow& row) {
  return row.killed_waiting ? row.ended + ", waiting" : row.ended;
}

void print_buyers(const Result& result, std::string& out) {
  // A lost host's buyers (pid 0) have no history: one line for them all.
  std::vector<BuyerRow> rows;
  std::copy_if(result.buyers.begin(), result.buyers.end(), std::back_inserter(rows),
               [](const BuyerRow& row) { return row.pid != 0; });
  const auto lost = static_cast<std::int64_t>(result.buyers.size() - rows.size());
  std::size_t clean = std::count_if(rows.begin(), rows.end(),
                                    [](const BuyerRow& row) { return row.exit_status == 0; });
  out += fmt::format("buyers      {} reaped, {} exited 0", grouped(static_cast<std::int64_t>(rows.size())),
                     grouped(static_cast<std::int64_t>(clean)));
  if (!rows.empty() && result.hosts.empty()) out += fmt::format("; parent pid {}", rows.front().ppid);
  if (!result.hosts.empty()) out += "; their parents are the hosts' agents";
  out += "\n";
  if (lost > 0) out += fmt::format("  {} on lost hosts: no history came back\n", plural(lost, "buyer"));
  if (rows.size() <= kListedBuyers && shows_retries(result)) {
    // pgbench's per-client figures: serialization and deadlock failures,
    // purchases retried (and the retries), failed; and the connection time.
    out += fmt::format("  {:>8} {:>8} {:>8} {:>6} {:>9} {:>13} {:>6} {:>9}  {}\n", "pid", "ppid", "attempts", "sold",
                       "ser/dl", "retried (n)", "failed", "connect", "ended");
    for (const BuyerRow& row : rows) {
      out += fmt::format("  {:>8} {:>8} {:>8} {:>6} {:>9} {:>13} {:>6} {:>9}  {}{}\n", row.pid, row.ppid,
                         grouped(row.attempts), grouped(row.sold),
                         fmt::format("{}/{}", grouped(row.retry.serialization_failures),
                                     grouped(row.retry.deadlock_failures)),
                         fmt::format("{} ({})", grouped(row.retry.retried), grouped(row.retry.retries)),
                         grouped(row.retry.failed),
                         format_seconds(row.connect_s), ended_words(row), row.error.empty() ? "" : ": " + row.error);
    }
  } else if (rows.size() <= kListedBuyers) {
    out += fmt::format("  {:>8} {:>8} {:>8} {:>6}  {}\n", "pid", "ppid", "attempts", "sold", "ended");
    for (const BuyerRow& row : rows) {
      out += fmt::format("  {:>8} {:>8} {:>8} {:>6}  {}{}\n", row.pid, row.ppid, grouped(row.attempts), grouped(row.sold),
                         ended_words(row), row.error.empty() ? "" : ": " + row.error);
    }
  } else {
    // Those killed waiting at the end did nothing to the store: one line
    // for all of them, below, rather than one each among the faults' victims.
    for (const BuyerRow& row : rows) {
      if (row.exit_status != 0 && !row.killed_waiting) {
        out += fmt::format("  buyer {} {}{}\n", row.pid, row.ended, row.error.empty() ? "" : ": " + row.error);
      }
    }
  }
  std::int64_t waiting = std::count_if(rows.begin(), rows.end(), [](const BuyerRow& row) { return row.killed_waiting; });
  if (waiting > 0) {
    out += fmt::format("  {} killed at the end; none had entered the critical section: nothing of their "
                       "unfinished purchases happened\n",
                       plural(waiting, "buyer still waiting was", "buyers still waiting were"));
  }
}

}  // namespace

// `value` to three significant digits.
double three_digits(double value) { return std::stod(fmt::format("{:.3g}", value)); }

std::string format_seconds(double seconds) {
  if (seconds == 0 || !std::isfinite(seconds)) return fmt::format("{}", seconds);
  // Rounded before the unit and the decimals are chosen: 99.96us is 100us,
  // not 100.0us, and 999.7us is 1.00ms.
  seconds = three_digits(seconds);
  double magnitude = std::fabs(seconds);
  const char* unit = "s";
  double value = seconds;
  if (magnitude < 1e-6) value = seconds * 1e9, unit = "ns";
  else if (magnitude < 1e-3) value = seconds * 1e6, unit = "us";
  else if (magnitude < 1) value = seconds * 1e3, unit = "ms";
  value = three_digits(value);  // the scaling's own rounding: 9.999999us is 10.0us
  int decimals = std::fabs(value) >= 100 ? 0 : std::fabs(value) >= 10 ? 1 : 2;
  return fmt::format("{:.{}f}{}", value, decimals, unit);
}

std::string format_rate(double value) {
  if (std::fabs(value) < 100 || !std::isfinite(value)) return fmt::format("{:.3g}", value);
  return grouped(std::llround(value));
}

// A run on several hosts: each host's clock, buyers and throughput.
void print_hosts(const Result& result, std::string& out) {
  out += fmt::format("hosts       {}", plural(static_cast<std::int64_t>(result.hosts.size()), "host"));
  if (result.all_hosts_window_s > 0) {
    out += fmt::format("; {} sales/s over the {} every host was running", format_rate(result.all_hosts_sales_per_s),
                       format_seconds(result.all_hosts_window_s));
  }
  out += "; each host's times placed within its clock's uncertainty (+-)\n";
  std::size_t width = 4;
  for (const HostRow& row : result.hosts) width = std::max(width, row.host.name.size() + 2);
  for (const HostRow& row : result.hosts) {
    const HostRecord& host = row.host;
    out += fmt::format("  {:<{}}", host.name, width);
    if (!host.lost.empty()) {
      out += fmt::format("lost mid-run: {}\n", host.lost);
      continue;
    }
    out += fmt::format("{}, clock {}{} +- {}, drift {:.0f} ppm; {} sold, {} sales/s; buy p50 {}, p99 {}\n",
                       plural(host.buyers, "buyer"), host.offset_ns < 0 ? "-" : "+",
                       format_seconds(static_cast<double>(std::abs(host.offset_ns)) * 1e-9),
                       format_seconds(static_cast<double>(host.uncertainty_ns) * 1e-9), host.drift_ppm,
                       grouped(row.sold), format_rate(row.sales_per_s), format_seconds(row.buy.p50),
                       format_seconds(row.buy.p99));
    if (!host.clock_problem.empty()) out += fmt::format("  {:<{}}clock: {}\n", "", width, host.clock_problem);
  }
  out += "\n";
}

void print_report(const Result& result, std::FILE* file) {
  const Scenario& scenario = result.scenario;
  const Metrics& metrics = result.metrics;
  std::string out;

  if (result.history_source) {
    out += fmt::format("ticketsim {}  history {}\n", result.ticketsim_version, result.history_source->file);
    out += fmt::format("  strategy {}, {}, {}\n\n", scenario.strategy.empty() ? "not named" : scenario.strategy,
                       plural(scenario.buyers, "process", "processes"), plural(scenario.tickets, "ticket"));
  } else {
    out += fmt::format("ticketsim {}  scenario {} ({})\n", result.ticketsim_version, scenario.name, scenario.file);
    out += fmt::format("  strategy {}, {} mode, {}, {}, {}, seed {}\n", scenario.strategy,
                       mode_name(scenario.mode), plural(scenario.buyers, "buyer"),
                       plural(scenario.tickets, "ticket"),
                       scenario.attempts ? plural(*scenario.attempts, "attempt") + " each"
                                         : std::string("until sold out"),
                       scenario.seed);
    out += fmt::format("  delays: search {}, purchase {}, jitter {}; lock_timeout {}\n",
                       format_duration(scenario.delays.search), format_duration(scenario.delays.purchase),
                       scenario.delays.jitter, format_duration(scenario.lock_timeout));
    if (!scenario.expected_from.empty()) {
      out += fmt::format("  expect: {} (from {}", verdict_name(scenario.expected), scenario.expected_from);
      if (scenario.file_expected) out += fmt::format("; the scenario expected {}", verdict_name(*scenario.file_expected));
      out += ")\n";
    }
    for (const PlannedFault& fault : result.faults) {
      out += fmt::format("  fault: pid {} {}{}\n", fault.pid, fault.what, fault.carried_out ? "" : " (planned, not reached)");
    }
    out += "\n";
  }

  out += fmt::format("verdict     {} (expected {}: {})\n", verdict_name(result.verdict),
                     verdict_name(scenario.expected), result.as_expected() ? "as expected" : "NOT as expected");
  std::size_t width = 21;  // the longest name found, and room after it
  for (const AnomalyReport& report : result.check.anomalies) {
    if (report.count > 0) width = std::max(width, anomaly_key(report.anomaly).size() + 1);
  }
  for (const AnomalyReport& report : result.check.anomalies) {
    if (report.count == 0) continue;
    out += fmt::format("  {:<{}}{:>6}  {}\n", anomaly_key(report.anomaly), width, grouped(report.count), report.example);
  }
  if (result.verdict == Verdict::kStuck) {
    out += fmt::format("  stuck after {}: {}\n", format_seconds(result.stuck_after_s), result.stuck_reason);
  }
  if (result.verdict == Verdict::kInterrupted) {
    out += fmt::format("  interrupted by {}: the report covers what ran until then\n", result.interrupted_by);
  }
  if (!result.check.read_bounds_skipped.empty()) {
    out += fmt::format("  stale and phantom reads not checked: {}; every clock-free check ran\n",
                       result.check.read_bounds_skipped);
  }
  if (result.check.valid()) out += "  no anomaly found\n";
  if (const std::optional<LinearizabilityResult>& lin = result.linearizability) {
    out += fmt::format("  {}: {}\n", linearizability_name(lin->answer), lin->explanation);
  }
  out += "\n";

  out += fmt::format("sales       {} acknowledged of {}; ", grouped(result.check.sold), plural(scenario.tickets, "ticket"));
  if (result.history_source && !result.history_source->final_known) {
    out += "no final count given (--final N)\n";
  } else if (result.final_state.corrupt) {
    out += fmt::format("store corrupt: {}\n", result.final_state.problem);
  } else {
    out += fmt::format("the store ends with {} remaining\n", grouped(result.final_state.remaining));
  }
  std::string cancelled =
      result.check.cancelled > 0 ? fmt::format(", {} cancelled at the end", grouped(result.check.cancelled)) : "";
  out += fmt::format("            {} tried, {} answered sold-out, {} indeterminate, {} timed out{}, {}\n",
                     plural(result.check.attempts, "purchase"), grouped(result.check.sold_out),
                     grouped(result.check.indeterminate), grouped(result.check.timeouts), cancelled, plural(result.check.retries, "store retry", "store retries"));
  if (result.check.resolved_by_ledger && result.check.indeterminate > 0) {
    out += fmt::format("            the store's ledger resolves the indeterminate: {} sold, {} not\n",
                       grouped(result.check.resolved_sold), grouped(result.check.resolved_unsold));
  }
  if (result.final_state.lock_recoveries > 0) {
    out += fmt::format("            the lock was taken over from a dead holder {}\n",
                       plural(result.final_state.lock_recoveries, "time"));
  }
  if (shows_retries(result)) {
    const RetryCounts& retry = metrics.retry;
    out += fmt::format("retries     {}, {}; {} retried ({}); {} failed (tries ran out)\n",
                       plural(retry.serialization_failures, "serialization failure"),
                       plural(retry.deadlock_failures, "deadlock failure"), plural(retry.retried, "purchase"),
                       plural(retry.retries, "retry", "retries"), grouped(retry.failed));
  }
  if (metrics.connect.max_s > 0) {
    out += fmt::format("connection  initial connection time {} median, {} max over the buyers (after fork, before "
                       "the barrier; not counted)\n",
                       format_seconds(metrics.connect.median_s), format_seconds(metrics.connect.max_s));
  }
  if (result.seller_pid) out += fmt::format("seller      pid {}, {}\n", result.seller_pid, result.seller_ended);
  if (!result.inventory.empty()) {
    out += fmt::format("inventory   {} from {} at {} to {} at {}\n",
                       plural(static_cast<std::int64_t>(result.inventory.size()), "sample"),
                       grouped(result.inventory.front().count), format_seconds(result.inventory.front().at_s),
                       grouped(result.inventory.back().count), format_seconds(result.inventory.back().at_s));
  }
  if (result.history_source && metrics.window_s <= 0) {
    out += "throughput  not measured: the history does not say how long its run was\n\n";
  } else if (metrics.window_s > 0) {
    out += fmt::format("throughput  {} sales/s, {} attempts/s over {}{}\n\n", format_rate(metrics.sales_per_s),
                       format_rate(metrics.attempts_per_s), format_seconds(metrics.window_s),
                       result.history_source ? ""
                                             : fmt::format(" (spawning took {}, not counted)", format_seconds(metrics.spawn_s)));
  } else {
    // The buyers were never released: the run was stopped while spawning.
    out += "throughput  stopped while spawning; no measured window\n\n";
  }

  if (!result.hosts.empty()) print_hosts(result, out);

  out += fmt::format("latency  {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}\n", "count", "min", "mean",
                     "stddev", "p50", "p90", "p99", "p99.9", "max");
  out += latency_row("search", metrics.search);
  out += latency_row("buy", metrics.buy);
  out += "\n";

  const Spread& fairness = metrics.tickets_per_buyer;
  out += fmt::format("fairness    tickets per buyer: min {}, mean {}, max {}, stddev {}\n",
                     grouped(std::llround(fairness.min)), format_rate(fairness.mean),
                     grouped(std::llround(fairness.max)), format_rate(fairness.stddev));
  if (metrics.buy.count > 0 && metrics.buy.p50 > 0) {
    out += fmt::format("            purchase wait: median {}, longest {} ({:.1f}x the median)\n",
                       format_seconds(metrics.buy.p50), format_seconds(metrics.buy.max),
                       metrics.buy.max / metrics.buy.p50);
  }
  if (!result.history_source) print_buyers(result, out);
  std::fputs(out.c_str(), file);
}

}  // namespace ticketsim
