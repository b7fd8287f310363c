#include "sim/result.h"

#include <sys/wait.h>

#include <algorithm>
#include <climits>

#include <fmt/format.h>

namespace ticketsim {
namespace {

int exit_status_of(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return -1;
}

// Each host from its own buyers, and the window every host was running.
void measure_hosts(const RunRecord& record, std::span<const BuyerHistory> histories, Result& result) {
  if (record.hosts.empty()) return;
  std::int64_t latest_release = 0, first_end = INT64_MAX;
  for (const HostRecord& host : record.hosts) {
    HostRow row{host, 0, 0, 0, {}};
    std::int64_t end = host.released_ns;
    std::vector<std::int64_t> buys;
    for (std::int64_t b = host.first_buyer; b < host.first_buyer + host.buyers && b < std::ssize(histories); ++b) {
      for (const Operation& op : histories[b].operations) {
        if (op.end_ns == 0) continue;
        end = std::max(end, op.end_ns);
        if (op.kind != OperationKind::kBuy) continue;
        if (op.outcome == Outcome::kSold) ++row.sold;
        buys.push_back(op.end_ns - op.start_ns);
      }
    }
    row.buy = latency_stats(buys);
    row.window_s = static_cast<double>(end - host.released_ns) * 1e-9;
    if (row.window_s > 0) row.sales_per_s = static_cast<double>(row.sold) / row.window_s;
    if (host.lost.empty()) {
      latest_release = std::max(latest_release, host.released_ns);
      first_end = std::min(first_end, end);
    }
    result.hosts.push_back(std::move(row));
  }
  if (first_end == INT64_MAX || first_end <= latest_release) return;
  std::int64_t sold = 0;
  for (const BuyerHistory& buyer : histories) {
    for (const Operation& op : buyer.operations) {
      if (op.kind == OperationKind::kBuy && op.outcome == Outcome::kSold && op.end_ns >= latest_release &&
          op.end_ns <= first_end) {
        ++sold;
      }
    }
  }
  result.all_hosts_window_s = static_cast<double>(first_end - latest_release) * 1e-9;
  result.all_hosts_sales_per_s = static_cast<double>(sold) / result.all_hosts_window_s;
}

}  // namespace

std::vector<BuyerHistory> buyer_histories(const RunRecord& record) {
  std::vector<BuyerHistory> histories = record.history->histories();
  // Buyers are forked in order: a run interrupted while spawning started
  // only the first ones, and only they have a history.
  histories.resize(record.buyers.size());
  for (std::size_t i = 0; i < histories.size(); ++i) {
    const BuyerProcess& process = record.buyers[i];
    bool clean_exit = WIFEXITED(process.wait_status) && WEXITSTATUS(process.wait_status) == 0;
    if (!clean_exit && !process.ended_on_purpose) {
      histories[i].failure = describe_wait_status(process.wait_status);
      if (!process.error.empty()) histories[i].failure += ": " + process.error;
    }
    if (i < record.buyer_host.size()) histories[i].uncertainty_ns = record.hosts[record.buyer_host[i]].uncertainty_ns;
  }
  return histories;
}

Result make_result(const RunRecord& record) {
  Result result;
  result.scenario = record.scenario;
  result.final_state = record.final_state;

  std::vector<BuyerHistory> histories = buyer_histories(record);
  std::string skip_read_bounds;
  for (const HostRecord& host : record.hosts) {
    if (!host.clock_problem.empty() && skip_read_bounds.empty()) {
      skip_read_bounds = fmt::format("host {}'s clock: {}", host.name, host.clock_problem);
    }
  }
  result.check = check_history({histories, record.scenario.tickets, record.final_state, record.start_ns,
                                record.history->capacity(), record.server_crashes, true, skip_read_bounds});
  result.verdict = !record.interrupted_by.empty() ? Verdict::kInterrupted
                   : record.stuck                   ? Verdict::kStuck
                   : result.check.valid()           ? Verdict::kValid
                                                    : Verdict::kInvalid;
  result.faults = record.faults;
  result.stuck_reason = record.stuck_reason;
  result.stuck_after_s = static_cast<double>(record.stuck_at_ns) * 1e-9;
  result.interrupted_by = record.interrupted_by;
  result.seller_pid = record.seller_pid;
  result.seller_ended = record.seller_ended;
  // The monitor starts before the buyers are released: of its samples from
  // before, only the last counts, as the count at the release.
  for (const MonitorSample& sample : record.inventory) {
    if (sample.outcome != Outcome::kOk) continue;
    double at_s = static_cast<double>(sample.at_ns - record.start_ns) * 1e-9;
    if (at_s < 0 && !result.inventory.empty() && result.inventory.back().at_s == 0) result.inventory.pop_back();
    result.inventory.push_back({std::max(0.0, at_s), sample.count});
  }
  result.metrics = measure(histories, record.window_ns, record.spawn_ns);

  for (std::size_t i = 0; i < record.buyers.size(); ++i) {
    const BuyerProcess& process = record.buyers[i];
    result.buyers.push_back({process.pid, process.ppid, exit_status_of(process.wait_status),
                             describe_wait_status(process.wait_status), result.metrics.sold_by_buyer[i],
                             result.metrics.attempts_by_buyer[i], process.error, result.metrics.retry_by_buyer[i],
                             result.metrics.connect_by_buyer_s[i], process.killed_waiting});
  }
  measure_hosts(record, histories, result);
  return result;
}

}  // namespace ticketsim
