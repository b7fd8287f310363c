#include "storage/redis_store.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <thread>

#include <fmt/format.h>

#include "storage/redis_server.h"
#include "storage/server_process.h"

namespace ticketsim {

RedisStore::RedisStore(const RedisContext& context)
    : context_(context), connection_(context.address, context.options.lock_timeout) {}

SearchResult RedisStore::search() {
  // Two tries: the second on a new connection when the server went away.
  for (int tries = 0; tries < 2; ++tries) {
    if (connection_.broken() && !reconnect()) return {Outcome::kTimeout, 0};
    RedisReply count = connection_.command({"GET", context_.keys.remaining});
    if (connection_.timed_out()) return {Outcome::kTimeout, 0};
    if (count.none()) continue;
    if (count.error() || count.nil()) return {Outcome::kError, 0};
    return {Outcome::kOk, count.value()};
  }
  return {Outcome::kError, 0};
}

RedisReply RedisStore::commit(std::initializer_list<std::string_view> args, const BuyRequest& request) {
  if (!connection_.send(args)) return RedisReply();
  if (request.hook) request.hook->after_commit_sent();
  return connection_.receive();
}

RedisAttempt RedisStore::failed(bool written) const {
  if (connection_.timed_out()) return {RedisAttempt::Kind::kTimeout, {}};
  if (connection_.broken()) {
    return {written ? RedisAttempt::Kind::kIndeterminate : RedisAttempt::Kind::kCutOff, {}};
  }
  return {RedisAttempt::Kind::kError, {}};
}

std::string RedisStore::ledger_entry(std::int64_t ticket, const BuyRequest& request) {
  return fmt::format("{} {} {}", ticket, request.buyer_pid, request.operation_id);
}

BuyResult RedisStore::buy(const BuyRequest& request) {
  BuyResult counts;  // the retries over every try
  auto ended = [&](Outcome outcome) {
    BuyResult result = counts;
    result.outcome = outcome;
    return result;
  };
  const std::int64_t max_tries = std::max<std::int64_t>(1, context_.options.redis_max_tries);
  for (std::int64_t tries = 1;; ++tries) {
    // The server went away (a crash): a new connection first, within
    // lock_timeout; past it the purchase timed out, having done nothing.
    if (connection_.broken() && !reconnect()) return ended(Outcome::kTimeout);
    RedisAttempt tried = attempt(request);
    switch (tried.kind) {
      case RedisAttempt::Kind::kDone: {
        BuyResult result = tried.result;
        result.retries = counts.retries;
        return result;
      }
      case RedisAttempt::Kind::kIndeterminate: {
        BuyResult result = ended(Outcome::kIndeterminate);
        result.connection_lost = true;
        return result;
      }
      case RedisAttempt::Kind::kTimeout: return ended(Outcome::kTimeout);
      case RedisAttempt::Kind::kError: return ended(Outcome::kError);
      case RedisAttempt::Kind::kCutOff: break;    // nothing happened: again on a new connection
      case RedisAttempt::Kind::kConflict: break;  // another sale came first: again
    }
    if (tries >= max_tries) {
      BuyResult result = ended(Outcome::kError);
      result.tries_exhausted = true;
      return result;
    }
    ++counts.retries;
  }
}

bool RedisStore::reconnect() {
  return retry_connect(context_.options.lock_timeout, [this] { return connection_.reconnect(); });
}

namespace {

// "ticket pid operation_id" -> a LedgerSale; false when it is not one.
bool parse_ledger_entry(std::string_view entry, LedgerSale& sale) {
  std::int64_t pid = 0;
  const char* end = entry.data() + entry.size();
  auto [after_ticket, e1] = std::from_chars(entry.data(), end, sale.ticket);
  if (e1 != std::errc() || after_ticket == end || *after_ticket != ' ') return false;
  auto [after_pid, e2] = std::from_chars(after_ticket + 1, end, pid);
  if (e2 != std::errc() || after_pid == end || *after_pid != ' ') return false;
  auto [after_id, e3] = std::from_chars(after_pid + 1, end, sale.operation_id);
  return e3 == std::errc() && after_id == end;
}

class RedisSetup final : public StoreSetup {
 public:
  RedisSetup(const StoreSpec& spec, const RedisStrategy& strategy)
      : owner_(::getpid()), strategy_(strategy), run_id_(spec.run_id) {
    if (!spec.file.empty()) {
      throw StoreError(fmt::format("{}: a Redis store lives in its server, not in a file", spec.file.string()));
    }
    const StoreOptions& options = spec.options;
    context_.keys = RedisKeys(spec.run_id);
    context_.options = options;
    if (!options.redis_url.empty()) {
      check_redis_server(options.redis_url);
      context_.address = *parse_redis_url(options.redis_url, nullptr);
    } else if (options.redis_server) {
      server_ = options.redis_server;
      context_.address = server_->address();
    } else {
      // In the run's private directory: it goes with the run.
      RedisServerOptions server;
      server.parent = spec.dir;
      server.appendonly = options.redis_appendonly;
      server.appendfsync = options.redis_appendfsync;
      server_ = std::make_shared<RedisServer>(server);
      owns_server_ = true;
      context_.address = server_->address();
    }
    // Attached to another process's store: its tables (keys) are that process's.
    if (!options.attach) create_keys(spec.tickets);
  }

  ~RedisSetup() override {
    // A server the user named, or one shared by a comparison's runs, keeps
    // nothing of the run; the run's own is removed whole. Never from a
    // forked child.
    if (::getpid() != owner_ || owns_server_ || !created_) return;
    try {
      RedisConnection connection(context_.address, std::chrono::seconds(10));
      connection.run({"DEL", context_.keys.remaining, context_.keys.sales});
    } catch (const StoreError&) {
      // The server went away: there is nothing to delete.
    }
  }

  std::unique_ptr<Store> open(std::int64_t /*buyer*/) override { return strategy_.open(context_); }

  std::int64_t crash_server() override { return own_server("crash").crash_and_restart(); }
  std::string crash_words() const override { return "SIGKILL"; }
  void pause_server() override { own_server("pause").pause(); }
  void resume_server() override {
    if (server_) server_->resume();
  }
  std::int32_t server_pid() const override { return server_ ? server_->pid() : 0; }

  std::optional<LoadToolWorkload> load_tool_workload() const override {
    if (!strategy_.bench_command) return std::nullopt;
    LoadToolWorkload workload{"redis-benchmark", {}, {}, {}, {}};
    const RedisAddress& address = context_.address;
    if (!address.socket.empty()) {
      workload.arguments = {"-s", address.socket};
    } else {
      workload.arguments = {"-h", address.host, "-p", std::to_string(address.port)};
    }
    workload.arguments.insert(workload.arguments.end(), {"--dbnum", std::to_string(address.db)});
    if (!address.password.empty()) workload.arguments.insert(workload.arguments.end(), {"-a", address.password});
    RedisConnection connection(address, std::chrono::seconds(10));
    std::vector<std::string> command = strategy_.bench_command(connection, context_.keys);
    workload.arguments.insert(workload.arguments.end(), command.begin(), command.end());
    return workload;
  }

  FinalState inspect() override {
    FinalState state;
    try {
      RedisConnection connection(context_.address, std::chrono::seconds(10));
      RedisReply count = connection.run({"GET", context_.keys.remaining});
      if (count.nil()) {
        state.corrupt = true;
        state.problem = fmt::format("{}: the count's key is missing", context_.keys.remaining);
        return state;
      }
      state.remaining = count.value();
      if (!strategy_.ledger) return state;
      RedisReply ledger = connection.run({"LRANGE", context_.keys.sales, "0", "-1"});
      std::vector<LedgerSale> sales(ledger.elements());
      for (std::size_t i = 0; i < sales.size(); ++i) {
        if (!parse_ledger_entry(ledger.element(i), sales[i])) {
          state.corrupt = true;
          state.problem = fmt::format("{}: entry {} is not 'ticket pid operation'", context_.keys.sales, i);
          return state;
        }
      }
      state.ledger_sales = static_cast<std::int64_t>(sales.size());
      state.ledger = std::move(sales);
    } catch (const StoreError& e) {
      state.corrupt = true;
      state.problem = e.what();
    }
    return state;
  }

  std::string describe_stuck() override {
    return fmt::format("the Redis server at {} did not answer within lock_timeout ({} ms)", context_.address.url(),
                       std::chrono::duration_cast<std::chrono::milliseconds>(context_.options.lock_timeout).count());
  }

 private:
  RedisServer& own_server(std::string_view what) {
    if (!server_ || !owns_server_) {
      throw StoreError(fmt::format("cannot {} a Redis server ticketsim did not start for this run", what));
    }
    return *server_;
  }

  void create_keys(std::int64_t tickets) {
    try {
      RedisConnection connection(context_.address, std::chrono::seconds(10));
      RedisReply set = connection.run({"SET", context_.keys.remaining, std::to_string(tickets), "NX"});
      if (set.nil() || connection.run({"EXISTS", context_.keys.sales}).value() != 0) {
        throw StoreError(fmt::format("Redis: keys for run {} already exist ({}); nothing was changed", run_id_,
                                     context_.keys.remaining));
      }
      created_ = true;
      // A snapshot of the starting count, so that a server that restarts
      // without an append-only file (a crash) finds the run's keys.
      if (server_) connection.run({"SAVE"});
    } catch (const StoreError& e) {
      if (!created_) throw;
      throw StoreError(fmt::format("Redis: cannot make the run's keys: {}", e.what()));
    }
  }

  pid_t owner_;
  RedisStrategy strategy_;
  std::string run_id_;
  RedisContext context_;
  std::shared_ptr<RedisServer> server_;
  bool owns_server_ = false;  // started for this run, and stopped with it
  bool created_ = false;
};

}  // namespace

std::unique_ptr<StoreSetup> create_redis_setup(const StoreSpec& spec, const RedisStrategy& strategy) {
  return std::make_unique<RedisSetup>(spec, strategy);
}

void check_redis_server(const std::string& url) {
  std::string why;
  std::optional<RedisAddress> address = parse_redis_url(url, &why);
  if (!address) throw ServerUnreachable(fmt::format("Redis: '{}' is not a Redis URL: {}", url, why));
  try {
    RedisConnection connection(*address, std::chrono::seconds(10));
  } catch (const StoreError& e) {
    std::string_view reason = e.what();
    if (reason.starts_with("Redis: ")) reason.remove_prefix(7);
    throw ServerUnreachable(fmt::format("Redis: cannot use the server --redis or [redis] url names: {}", reason));
  }
}

FinalState inspect_redis_file(const std::filesystem::path& path) {
  FinalState state;
  state.corrupt = true;
  state.problem = fmt::format("{} is a file; a Redis store lives in its server", path.filename().string());
  return state;
}

}  // namespace ticketsim
