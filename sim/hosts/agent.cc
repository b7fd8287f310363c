#include "sim/hosts/agent.h"

#include <unistd.h>

#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/errors.h"
#include "sim/hosts/wire.h"
#include "sim/runner.h"
#include "storage/process.h"
#include "storage/words.h"

namespace ticketsim {
namespace {

using nlohmann::json;

// The coordinator's scenario, as this host runs its share of it: the
// file's text, checked against its checksum, and what the coordinator's
// command line put in place of the file's keys.
Scenario share_of(const json& prepare) {
  std::string text = prepare.at("scenario_text");
  if (fnv1a_hex(text) != prepare.at("scenario_fnv1a")) {
    throw InputError("the scenario arrived damaged (its checksum does not match)");
  }
  Scenario scenario = parse_scenario(text, prepare.at("scenario_file").get<std::string>());
  const std::string where = "the coordinator";
  set_strategy(scenario, prepare.at("strategy").get<std::string>(), where);
  set_tickets(scenario, prepare.at("tickets").get<std::int64_t>(), where);
  set_attempts(scenario, prepare.at("attempts").get<std::string>(), where);
  set_seed(scenario, prepare.at("seed").get<std::int64_t>(), where);
  set_buyers(scenario, prepare.at("buyers").get<std::int64_t>(), where);
  if (std::string conninfo = prepare.value("postgres_conninfo", ""); !conninfo.empty()) {
    set_postgres_conninfo(scenario, conninfo, where);
  }
  if (std::string url = prepare.value("redis_url", ""); !url.empty()) set_redis_url(scenario, url, where);
  scenario.hosts.clear();
  scenario.monitor_interval = Duration{0};
  return scenario;
}

// The history of this host's buyers, in this host's clock.
json history_of(const RunRecord& record, const AgentClock& clock) {
  json buyers = json::array();
  for (std::size_t i = 0; i < record.buyers.size(); ++i) {
    const BuyerProcess& process = record.buyers[i];
    const BuyerSlot& slot = record.history->slot(static_cast<std::int64_t>(i));
    std::uint32_t recorded = slot.recorded.load(std::memory_order_acquire);
    const Operation* ops = record.history->operations(static_cast<std::int64_t>(i));
    json operations = json::array();
    for (std::uint32_t o = 0; o < recorded; ++o) {
      const Operation& op = ops[o];
      operations.push_back({clock.from_monotonic(op.start_ns), clock.from_monotonic(op.end_ns), op.count_read,
                            op.ticket, op.retries, static_cast<int>(op.kind), static_cast<int>(op.outcome), op.flags});
    }
    buyers.push_back({{"pid", process.pid},
                      {"ppid", process.ppid},
                      {"wait_status", process.wait_status},
                      {"error", process.error},
                      {"ended_on_purpose", process.ended_on_purpose},
                      {"killed_waiting", process.killed_waiting},
                      {"ready_ns", clock.from_monotonic(slot.ready_ns)},
                      {"done_ns", clock.from_monotonic(slot.done_ns)},
                      {"connect_ns", slot.connect_ns},
                      {"serialization_failures", slot.serialization_failures},
                      {"deadlock_failures", slot.deadlock_failures},
                      {"operations", std::move(operations)}});
  }
  return {{"released_ns", clock.from_monotonic(record.start_ns)},
          {"spawn_ns", record.spawn_ns},
          {"stuck", record.stuck},
          {"stuck_reason", record.stuck_reason},
          {"interrupted_by", record.interrupted_by},
          {"buyers", std::move(buyers)}};
}

class Agent {
 public:
  Agent(int in_fd, int out_fd, const AgentClock& clock, int version)
      : channel_(in_fd, out_fd), clock_(clock), version_(version) {}

  int serve() {
    json hello = channel_.expect("hello", -1);
    int version = hello.value("version", 0);
    if (version != version_) {
      channel_.send({{"type", "error"},
                     {"message", fmt::format("its agent (ticketsim {}) speaks protocol {}, this ticketsim {}",
                                             TICKETSIM_VERSION, version_, version)}});
      return 2;
    }
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    channel_.send({{"type", "hello"},
                   {"version", version_},
                   {"ticketsim_version", TICKETSIM_VERSION},
                   {"hostname", host}});
    for (;;) {
      std::optional<std::string> frame = channel_.receive_bytes(-1);
      json message = json::parse(*frame, nullptr, false);
      std::string type = message.is_object() ? message.value("type", "") : "";
      if (type == "ping") {
        channel_.send({{"type", "pong"}, {"clock_ns", clock_.now()}});
      } else if (type == "prepare") {
        if (!run(message)) return 3;
      } else if (type == "bye" || type == "abort") {
        return 0;
      } else {
        channel_.send({{"type", "error"}, {"message", fmt::format("unknown message '{}'", type)}});
        return 2;
      }
    }
  }

 private:
  // Runs this host's share; false when it failed (the coordinator is told).
  bool run(const json& prepare) {
    std::string shipped;
    try {
      Scenario scenario = share_of(prepare);
      RunOptions options;
      options.attach_run_id = prepare.at("run_id").get<std::string>();
      options.first_buyer = prepare.at("first_buyer").get<std::int64_t>();
      options.before_release = [&] { wait_for_start(); };
      options.should_stop = [&] { return coordinator_stop(); };
      RunRecord record = run_scenario(scenario, options);
      shipped = history_of(record, clock_).dump();
    } catch (const ChannelError&) {
      throw;  // the coordinator is gone: nobody to tell
    } catch (const std::exception& e) {
      channel_.send({{"type", "error"}, {"message", one_line(e.what())}});
      return false;
    }
    channel_.send({{"type", "history"}, {"bytes", shipped.size()}, {"fnv1a", fnv1a_hex(shipped)}});
    channel_.send_bytes(shipped);
    channel_.expect("ack", 60'000);
    return true;
  }

  // Every buyer stands at the barrier: say so, then hold them until the
  // start time, in this host's clock.
  void wait_for_start() {
    channel_.send({{"type", "ready"}});
    json start = channel_.expect("start", -1);
    std::int64_t at = clock_.to_monotonic(start.at("at_ns").get<std::int64_t>());
    std::int64_t wait = at - monotonic_ns();
    if (wait > 10'000'000'000) throw RunError("the start time is more than 10 s away");
    if (wait > 0) std::this_thread::sleep_for(std::chrono::nanoseconds(wait));
  }

  // Whether the coordinator asked to stop (or went away) while the buyers run.
  std::string coordinator_stop() {
    try {
      if (!channel_.readable()) return {};
      std::optional<std::string> frame = channel_.receive_bytes(0);
      if (!frame) return {};
      json message = json::parse(*frame, nullptr, false);
      if (message.is_object() && message.value("type", "") == "abort") return "the coordinator's abort";
      return {};
    } catch (const ChannelError&) {
      return "the coordinator's connection lost";
    }
  }

  Channel channel_;
  const AgentClock& clock_;
  int version_;
};

}  // namespace

int run_agent(int in_fd, int out_fd, const AgentClock& clock, int version) {
  try {
    return Agent(in_fd, out_fd, clock, version).serve();
  } catch (const ChannelError& e) {
    fmt::print(stderr, "ticketsim agent: {}\n", e.what());
    return 3;
  }
}

}  // namespace ticketsim
