#include "sim/hosts/coordinator.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/children.h"
#include "sim/errors.h"
#include "sim/hosts/clock.h"
#include "sim/hosts/wire.h"
#include "sim/run_directory.h"
#include "storage/postgres_server.h"
#include "storage/process.h"
#include "storage/redis_connection.h"
#include "storage/redis_server.h"
#include "storage/words.h"

namespace ticketsim {
namespace {

using nlohmann::json;

constexpr int kHandshakeMs = 30'000;   // ssh may take its time
constexpr int kReadyMs = 300'000;      // forking and connecting every buyer
constexpr int kClockRounds = 32;

std::string shell_quoted(std::string_view text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') quoted += "'\\''";
    else quoted += c;
  }
  return quoted + "'";
}

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// A descriptor with one owner.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) reset(), fd_ = std::exchange(other.fd_, -1);
    return *this;
  }
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// One agent, started by the launch command: its pipes and what it said on
// stderr. The process is the run's Children's.
struct AgentProcess {
  std::string host;
  std::string command;
  pid_t pid = 0;
  Fd to, from, errors;
  std::unique_ptr<Channel> channel;
  std::string stderr_text;
  std::string lost;  // why it was lost, once it was
  ClockEstimate before, after;
  bool after_known = false;
  json history;

  // What it wrote on stderr so far (kept short).
  void drain_stderr(int timeout_ms = 0) {
    if (errors.get() < 0) return;
    pollfd readable{errors.get(), POLLIN, 0};
    while (::poll(&readable, 1, timeout_ms) > 0) {
      char chunk[4096];
      ssize_t n = ::read(errors.get(), chunk, sizeof chunk);
      if (n <= 0) {
        errors.reset();
        return;
      }
      stderr_text.append(chunk, static_cast<std::size_t>(n));
      if (stderr_text.size() > 65536) stderr_text.erase(0, stderr_text.size() - 65536);
    }
  }

  // Its last line on stderr, for a message.
  std::string last_words() {
    drain_stderr(200);
    std::size_t end = stderr_text.find_last_not_of("\n\r \t");
    if (end == std::string::npos) return "";
    std::size_t start = stderr_text.rfind('\n', end);
    return one_line(stderr_text.substr(start == std::string::npos ? 0 : start + 1, end + 1 - (start == std::string::npos ? 0 : start + 1)));
  }
};

void check_hosts_share(const Scenario& scenario) {
  const auto hosts = static_cast<std::int64_t>(scenario.hosts.size());
  if (!scenario.host_buyers.empty()) {
    std::int64_t total = 0;
    for (std::int64_t share : scenario.host_buyers) total += share;
    if (total != scenario.buyers) {
      throw InputError(fmt::format("{}: [hosts] buyers adds up to {}, but the run has {}", scenario.file,
                                   plural(total, "buyer"), plural(scenario.buyers, "buyer")));
    }
  } else if (scenario.buyers < hosts) {
    throw InputError(fmt::format("{}: {} cannot be split over {}", scenario.file, plural(scenario.buyers, "buyer"),
                                 plural(hosts, "host")));
  }
}

std::vector<std::int64_t> shares(const Scenario& scenario) {
  if (!scenario.host_buyers.empty()) return scenario.host_buyers;
  const auto hosts = static_cast<std::int64_t>(scenario.hosts.size());
  std::vector<std::int64_t> split;
  for (std::int64_t h = 0; h < hosts; ++h) split.push_back(scenario.buyers / hosts + (h < scenario.buyers % hosts ? 1 : 0));
  return split;
}

// A signal from the user (SIGINT, SIGTERM, SIGHUP) before the buyers start.
struct StoppedBeforeStart {
  std::string signal;
};

class Coordinator {
 public:
  Coordinator(const Scenario& scenario, const std::string& text, const HostsOptions& options)
      : scenario_(scenario), text_(text), options_(options), split_(shares(scenario)), children_(signals_) {}

  ~Coordinator() {
    // Whatever happened: every agent told to stop, then ended and reaped
    // (Children), before the store and its server go.
    for (auto& agent : agents_) {
      if (agent->channel && agent->lost.empty()) {
        try {
          agent->channel->send({{"type", "abort"}});
        } catch (const ChannelError&) {
        }
      }
      agent->to.reset();
    }
    // Each agent ends its share and removes what it made; one that does
    // not within a few seconds is killed with the rest (Children).
    for (int i = 0; i < 500; ++i) {
      bool running = false;
      for (auto& agent : agents_) {
        if (agent->pid > 0 && children_.alive(agent->pid) && !children_.try_reap(agent->pid)) running = true;
      }
      if (!running) break;
      ::usleep(10'000);
    }
  }

  RunRecord run() {
    try {
      launch();
      handshake();
      make_store();
      for (auto& agent : agents_) agent->before = sync_clock(*agent);
      prepare();
    } catch (const StoppedBeforeStart& stopped) {
      // As a run on one host stopped while spawning: no measured window.
      RunRecord record;
      record.scenario = scenario_;
      record.history = std::make_unique<SharedHistory>(0, 1 + scenario_.max_attempts());
      record.interrupted_by = stopped.signal;
      record.final_state.remaining = scenario_.tickets;
      if (setup_) record.final_state = setup_->inspect();
      return record;
    }
    start();
    collect();
    for (auto& agent : agents_) {
      if (!agent->lost.empty()) continue;
      try {
        agent->after = sync_clock(*agent);
        agent->after_known = true;
        agent->channel->send({{"type", "bye"}});
      } catch (const ChannelError& e) {
        agent->lost = fmt::format("its connection broke after the run: {}", e.what());
      }
    }
    return merge();
  }

 private:
  void say(const std::string& line) {
    if (options_.progress) options_.progress(line);
  }

  void launch() {
    const std::string& launch = scenario_.launch;
    for (std::size_t h = 0; h < scenario_.hosts.size(); ++h) {
      auto agent = std::make_unique<AgentProcess>();
      agent->host = scenario_.hosts[h];
      agent->command = replace_all(replace_all(launch, "{host}", agent->host), "{ticketsim}",
                                   shell_quoted(options_.ticketsim));
      int in[2], out[2], err[2];
      if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
        throw RunError(fmt::format("cannot make an agent's pipes: {}", std::strerror(errno)));
      }
      const char* command = agent->command.c_str();
      pid_t pid = children_.spawn("ts-agent", static_cast<long>(h), [&] {
        if (::dup2(in[0], 0) < 0 || ::dup2(out[1], 1) < 0 || ::dup2(err[1], 2) < 0) ::_exit(126);
        ::execl("/bin/sh", "sh", "-c", command, static_cast<char*>(nullptr));
        ::_exit(127);
      });
      ::close(in[0]);
      ::close(out[1]);
      ::close(err[1]);
      agent->to = Fd(in[1]);
      agent->from = Fd(out[0]);
      agent->errors = Fd(err[0]);
      if (pid < 0) throw RunError(fmt::format("cannot fork the agent for host {}: {}", agent->host, std::strerror(errno)));
      agent->pid = pid;
      agent->channel = std::make_unique<Channel>(agent->from.get(), agent->to.get());
      agents_.push_back(std::move(agent));
    }
    // A write to an agent that died must fail, not kill the coordinator.
    ::signal(SIGPIPE, SIG_IGN);
  }

  // The agent's own words, or its command's exit, for a message.
  std::string why_gone(AgentProcess& agent) {
    std::string words = agent.last_words();
    std::string ended;
    for (int i = 0; i < 50 && ended.empty(); ++i) {
      if (std::optional<int> status = children_.try_reap(agent.pid)) ended = describe_wait_status(*status);
      else ::usleep(10'000);
    }
    std::string why = ended.empty() ? "" : "it " + ended;
    if (!words.empty()) why += (why.empty() ? "" : ": ") + words;
    return why.empty() ? "no answer" : why;
  }

  // The agent's next message, of `type`, within `timeout_ms`; a signal from
  // the user meanwhile throws StoppedBeforeStart.
  json wait_for(AgentProcess& agent, std::string_view type, int timeout_ms) {
    std::int64_t deadline = monotonic_ns() + static_cast<std::int64_t>(timeout_ms) * 1'000'000;
    for (;;) {
      if (std::string stop = signals_.take_pending_stop(); !stop.empty()) throw StoppedBeforeStart{stop};
      if (std::optional<json> message = agent.channel->try_expect(type, 100)) return *message;
      if (monotonic_ns() > deadline) throw ChannelError(fmt::format("no '{}' within {} s", type, timeout_ms / 1000));
    }
  }

  void handshake() {
    for (auto& agent : agents_) {
      try {
        agent->channel->send({{"type", "hello"}, {"version", kAgentProtocolVersion}, {"ticketsim_version", TICKETSIM_VERSION}});
      } catch (const ChannelError&) {
      }
    }
    for (auto& agent : agents_) {
      json hello;
      try {
        hello = wait_for(*agent, "hello", kHandshakeMs);
      } catch (const ChannelError& e) {
        std::string what = e.what();
        if (what.find("speaks protocol") != std::string::npos) {
          throw InputError(fmt::format("host {}: {}; run the same ticketsim on every host", agent->host, what));
        }
        throw InputError(fmt::format("host {}: the agent did not start ({}): {}", agent->host, agent->command,
                                     what.find("closed") != std::string::npos ? why_gone(*agent) : what));
      } catch (const json::exception& e) {
        throw InputError(fmt::format("host {}: the agent's hello is not the protocol's: {}", agent->host, e.what()));
      }
      int version = hello.value("version", 0);
      if (version != kAgentProtocolVersion) {
        throw InputError(fmt::format("host {}: its agent speaks protocol {} (ticketsim {}), this ticketsim {}; "
                                     "install the same ticketsim there",
                                     agent->host, version, hello.value("ticketsim_version", "?"),
                                     kAgentProtocolVersion));
      }
      say(fmt::format("host {}: agent ready (ticketsim {} on {})", agent->host, hello.value("ticketsim_version", "?"),
                      hello.value("hostname", "?")));
    }
  }

  void make_store() {
    const StrategyInfo* strategy = find_strategy(scenario_.strategy);
    directory_ = std::make_unique<RunDirectory>(options_.store_parent);
    run_id_ = new_run_id();
    StoreSpec spec{directory_->path(), run_id_, scenario_.tickets, scenario_.buyers, store_options(scenario_), {}, false};
    try {
      if (strategy->server_kind == ServerKind::kPostgres) {
        conninfo_ = scenario_.postgres_conninfo;
        if (conninfo_.empty()) {
          PostgresServerOptions server;
          // Reachable by the server's own user when ticketsim is root.
          server.parent = directory_->path().parent_path();
          server.fsync = scenario_.postgres_fsync;
          server.synchronous_commit = scenario_.postgres_synchronous_commit;
          server.full_page_writes = scenario_.postgres_full_page_writes;
          server.max_connections = scenario_.buyers + 10;
          postgres_ = std::make_shared<PostgresServer>(server);
          conninfo_ = postgres_->conninfo();
          spec.options.postgres_server = postgres_;
        }
      } else {
        redis_url_ = scenario_.redis_url;
        if (redis_url_.empty()) {
          RedisServerOptions server;
          server.parent = directory_->path();
          server.appendonly = scenario_.redis_appendonly;
          server.appendfsync = scenario_.redis_appendfsync;
          redis_ = std::make_shared<RedisServer>(server);
          redis_url_ = redis_->address().url();
          spec.options.redis_server = redis_;
        }
      }
      setup_ = strategy->create(spec);
    } catch (const ServerUnreachable& e) {
      throw InputError(e.what());
    } catch (const StoreError& e) {
      throw RunError(e.what());
    }
  }

  ClockEstimate sync_clock(AgentProcess& agent) {
    std::vector<ClockSample> samples;
    for (int round = 0; round < kClockRounds; ++round) {
      ClockSample sample;
      sample.sent_ns = monotonic_ns();
      agent.channel->send({{"type", "ping"}});
      json pong = agent.channel->expect("pong", 10'000);
      sample.received_ns = monotonic_ns();
      sample.agent_ns = pong.at("clock_ns").get<std::int64_t>();
      samples.push_back(sample);
    }
    return estimate_clock(samples);
  }

  void prepare() {
    const std::vector<std::int64_t>& split = split_;
    std::int64_t first = 0;
    for (std::size_t h = 0; h < agents_.size(); ++h) {
      AgentProcess& agent = *agents_[h];
      first_buyer_.push_back(first);
      agent.channel->send({{"type", "prepare"},
                           {"scenario_text", text_},
                           {"scenario_fnv1a", fnv1a_hex(text_)},
                           {"scenario_file", scenario_.file},
                           {"strategy", scenario_.strategy},
                           {"tickets", scenario_.tickets},
                           {"attempts", scenario_.attempts ? std::to_string(*scenario_.attempts) : "until-sold-out"},
                           {"seed", scenario_.seed},
                           {"buyers", split[h]},
                           {"first_buyer", first},
                           {"run_id", run_id_},
                           {"postgres_conninfo", conninfo_},
                           {"redis_url", redis_url_}});
      first += split[h];
    }
    for (auto& agent : agents_) {
      try {
        wait_for(*agent, "ready", kReadyMs);
      } catch (const ChannelError& e) {
        std::string what = e.what();
        throw RunError(fmt::format("host {}: its buyers did not get ready: {}", agent->host,
                                   what.find("closed") != std::string::npos ? why_gone(*agent) : what));
      }
      say(fmt::format("host {}: every buyer at the barrier", agent->host));
    }
  }

  // One start time for all, far enough ahead that every agent hears of it
  // before it comes.
  void start() {
    std::int64_t lead = 50'000'000;
    for (auto& agent : agents_) lead = std::max(lead, 20 * agent->before.round_trip_ns);
    start_ns_ = monotonic_ns() + lead;
    for (auto& agent : agents_) {
      agent->channel->send({{"type", "start"}, {"at_ns", ClockMapping(agent->before).to_agent(start_ns_)}});
    }
  }

  // Every agent's history, or why it was lost; a lost host, or a signal
  // from the user, stops the others.
  void collect() {
    std::size_t pending = agents_.size();
    std::vector<bool> done(agents_.size(), false);
    while (pending > 0) {
      if (std::string stop = signals_.take_pending_stop(); !stop.empty() && interrupted_by_.empty()) {
        interrupted_by_ = stop;
        abort_all();
      }
      std::vector<pollfd> fds;
      std::vector<std::size_t> which;
      for (std::size_t h = 0; h < agents_.size(); ++h) {
        if (done[h]) continue;
        fds.push_back({agents_[h]->from.get(), POLLIN, 0});
        which.push_back(h);
        agents_[h]->drain_stderr();
      }
      ::poll(fds.data(), fds.size(), 50);
      for (std::size_t i = 0; i < fds.size(); ++i) {
        std::size_t h = which[i];
        AgentProcess& agent = *agents_[h];
        if (fds[i].revents == 0 && !agent.channel->readable()) continue;
        try {
          std::optional<std::string> frame = agent.channel->receive_bytes(0);
          if (!frame) continue;
          json header = json::parse(*frame, nullptr, false);
          std::string type = header.is_object() ? header.value("type", "") : "";
          if (type == "error") throw ChannelError(header.value("message", std::string("an error")));
          if (type != "history") throw ChannelError(fmt::format("expected its history, got '{}'", type));
          std::optional<std::string> body = agent.channel->receive_bytes(60'000);
          if (!body || body->size() != header.value("bytes", std::size_t{0}) ||
              fnv1a_hex(*body) != header.value("fnv1a", "")) {
            throw ChannelError("its history arrived damaged (length or checksum)");
          }
          agent.history = json::parse(*body);
          agent.channel->send({{"type", "ack"}});
          say(fmt::format("host {}: history received ({})", agent.host, plural(static_cast<std::int64_t>(body->size()), "byte")));
        } catch (const std::exception& e) {
          std::string what = e.what();
          agent.lost = what.find("closed") != std::string::npos ? why_gone(agent) : what;
          say(fmt::format("host {}: lost: {}", agent.host, agent.lost));
          abort_all();
        }
        done[h] = true;
        --pending;
      }
    }
  }

  void abort_all() {
    for (auto& agent : agents_) {
      if (!agent->lost.empty()) continue;
      try {
        agent->channel->send({{"type", "abort"}});
      } catch (const ChannelError&) {
      }
    }
  }

  RunRecord merge() {
    RunRecord record;
    record.scenario = scenario_;
    const std::int64_t capacity = 1 + scenario_.max_attempts();
    record.history = std::make_unique<SharedHistory>(scenario_.buyers, capacity);
    record.start_ns = start_ns_;
    std::int64_t last_done = start_ns_;
    std::vector<std::string> lost;
    for (std::size_t h = 0; h < agents_.size(); ++h) {
      AgentProcess& agent = *agents_[h];
      ClockMapping clock = agent.after_known ? ClockMapping(agent.before, agent.after) : ClockMapping(agent.before);
      HostRecord host;
      host.name = agent.host;
      host.first_buyer = first_buyer_[h];
      host.buyers = split_[h];
      host.offset_ns = clock.offset_at(start_ns_);
      host.drift_ppm = clock.drift_ppm();
      host.uncertainty_ns = clock.uncertainty_ns();
      host.round_trip_ns = std::min(agent.before.round_trip_ns, agent.after_known ? agent.after.round_trip_ns : INT64_MAX);
      host.clock_problem = clock.broken_bound();
      host.lost = agent.lost;
      if (!agent.lost.empty()) lost.push_back(fmt::format("host {} lost mid-run ({})", agent.host, agent.lost));
      const auto host_index = static_cast<std::int32_t>(h);
      if (agent.history.is_object()) {
        const json& history = agent.history;
        host.released_ns = clock.to_coordinator(history.at("released_ns").get<std::int64_t>());
        host.spawn_ns = history.at("spawn_ns").get<std::int64_t>();
        record.spawn_ns = std::max(record.spawn_ns, host.spawn_ns);
        if (history.at("stuck").get<bool>() && !record.stuck) {
          record.stuck = true;
          record.stuck_reason = fmt::format("host {}: {}", agent.host, history.at("stuck_reason").get<std::string>());
        }
        if (std::string by = history.at("interrupted_by"); !by.empty() && interrupted_by_.empty() && lost.empty()) {
          lost.push_back(fmt::format("host {} ended by {}", agent.host, by));
        }
        std::int64_t index = host.first_buyer;
        for (const json& buyer : history.at("buyers")) {
          BuyerSlot& slot = record.history->slot(index);
          slot.pid = buyer.at("pid").get<std::int32_t>();
          slot.ppid = buyer.at("ppid").get<std::int32_t>();
          slot.ready_ns = clock.to_coordinator(buyer.at("ready_ns").get<std::int64_t>());
          slot.done_ns = clock.to_coordinator(buyer.at("done_ns").get<std::int64_t>());
          slot.connect_ns = buyer.at("connect_ns").get<std::int64_t>();
          slot.serialization_failures = buyer.at("serialization_failures").get<std::uint32_t>();
          slot.deadlock_failures = buyer.at("deadlock_failures").get<std::uint32_t>();
          Operation* ops = record.history->operations(index);
          std::uint32_t count = 0;
          for (const json& op : buyer.at("operations")) {
            if (count == capacity) break;
            Operation& to = ops[count++];
            to.start_ns = clock.to_coordinator(op[0].get<std::int64_t>());
            to.end_ns = clock.to_coordinator(op[1].get<std::int64_t>());
            to.count_read = op[2].get<std::int64_t>();
            to.ticket = op[3].get<std::int64_t>();
            to.retries = op[4].get<std::uint32_t>();
            to.kind = static_cast<OperationKind>(op[5].get<int>());
            to.outcome = static_cast<Outcome>(op[6].get<int>());
            to.flags = op[7].get<std::uint8_t>();
            if (to.end_ns != 0) last_done = std::max(last_done, to.end_ns);
          }
          slot.recorded.store(count, std::memory_order_release);
          record.buyers.push_back({buyer.at("pid").get<std::int32_t>(), buyer.at("ppid").get<std::int32_t>(),
                                   buyer.at("wait_status").get<int>(), buyer.at("error").get<std::string>(),
                                   buyer.at("ended_on_purpose").get<bool>(), buyer.at("killed_waiting").get<bool>()});
          record.buyer_host.push_back(host_index);
          ++index;
        }
      } else {
        // A lost host's buyers keep their places, with nothing recorded:
        // the buyers after them keep theirs, which their operation ids
        // (and the store's ledger) are numbered by.
        for (std::int64_t b = 0; b < host.buyers; ++b) {
          record.buyers.push_back({0, 0, -1, fmt::format("host {} lost", agent.host), true, false});
          record.buyer_host.push_back(host_index);
        }
      }
      record.hosts.push_back(std::move(host));
    }
    if (!lost.empty() || !interrupted_by_.empty()) {
      record.interrupted_by = !interrupted_by_.empty() ? interrupted_by_ : lost.front();
      for (std::size_t i = 1; i < lost.size(); ++i) record.interrupted_by += "; " + lost[i];
    }
    record.window_ns = last_done - start_ns_;
    record.final_state = setup_->inspect();
    return record;
  }

  const Scenario& scenario_;
  const std::string& text_;
  const HostsOptions& options_;
  const std::vector<std::int64_t> split_;  // each host's buyers
  BlockedSignals signals_;
  // Declared before the agents' pipes and the store: destroyed after them,
  // it kills and reaps every agent still running.
  Children children_;
  std::unique_ptr<RunDirectory> directory_;
  std::shared_ptr<PostgresServer> postgres_;
  std::shared_ptr<RedisServer> redis_;
  std::unique_ptr<StoreSetup> setup_;
  std::vector<std::unique_ptr<AgentProcess>> agents_;
  std::vector<std::int64_t> first_buyer_;
  std::string run_id_;
  std::string conninfo_;
  std::string redis_url_;
  std::int64_t start_ns_ = 0;
  std::string interrupted_by_;
};

}  // namespace

void check_hosts_runnable(const Scenario& scenario) {
  const StrategyInfo* strategy = find_strategy(scenario.strategy);
  if (!strategy) throw InputError(fmt::format("{}: unknown strategy '{}'", scenario.file, scenario.strategy));
  if (!strategy->server) {
    throw InputError(fmt::format("{}: {} keeps its store on this host, which buyers on other hosts cannot share; a "
                                 "run on several hosts needs a server strategy (postgres-*, redis-*)",
                                 scenario.file, scenario.strategy));
  }
  if (!scenario.faults.empty()) {
    throw InputError(fmt::format("{}: faults are not planned across hosts yet; run them on one host", scenario.file));
  }
  if (scenario.mode != Mode::kConcurrent) {
    throw InputError(fmt::format("{}: a run on several hosts is concurrent; mode \"{}\" is for one host",
                                 scenario.file, mode_name(scenario.mode)));
  }
  check_hosts_share(scenario);
  check_runnable(scenario);
}

RunRecord run_on_hosts(const Scenario& scenario, const std::string& scenario_text, const HostsOptions& options) {
  check_hosts_runnable(scenario);
  // An agent on this machine killed outright leaves its buyers (killed by
  // their parent-death signal) to be reaped: by this process, not by a pid
  // 1 that may never reap them.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  struct ReapOrphans {
    ~ReapOrphans() {
      for (int i = 0; i < 200; ++i) {
        pid_t pid = ::waitpid(-1, nullptr, WNOHANG);
        if (pid < 0) break;       // no child left
        if (pid == 0) ::usleep(10'000);  // one still dying
      }
      ::prctl(PR_SET_CHILD_SUBREAPER, 0);
    }
  } reap_orphans;
  RunRecord record = Coordinator(scenario, scenario_text, options).run();
  // An agent on this machine killed outright could not remove its run
  // directory: removed now, as the next run's start would (an agent on
  // another machine's is removed by the next run there).
  if (std::any_of(record.hosts.begin(), record.hosts.end(), [](const HostRecord& h) { return !h.lost.empty(); })) {
    std::vector<std::filesystem::path> parents;
    if (!options.store_parent.empty()) parents.push_back(options.store_parent);
    sweep_leftovers(parents);
  }
  return record;
}

}  // namespace ticketsim
