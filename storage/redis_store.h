// What the Redis strategies share: the setup (the embedded server, compare's
// shared one or the user's, the run's keys, inspect) and a buyer's store (its
// connection, the search, the tries of a purchase, reconnecting after a
// crash). Each strategy adds one try of a purchase: its commands.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "storage/redis_connection.h"
#include "storage/store.h"

namespace ticketsim {

// What a buyer's store is opened with.
struct RedisContext {
  RedisAddress address;
  RedisKeys keys;
  StoreOptions options;
};

// One try of a purchase.
struct RedisAttempt {
  enum class Kind {
    kDone,           // `result` is what the server did
    kConflict,       // another purchase changed the count first (an aborted EXEC): try again
    kCutOff,         // the connection broke before anything was written: try again on a new one
    kIndeterminate,  // the connection broke after a write was sent: it may have run
    kTimeout,        // no reply within lock_timeout (a paused server)
    kError,          // an error reply
  };
  Kind kind = Kind::kDone;
  BuyResult result;

  static RedisAttempt done(BuyResult result) { return {Kind::kDone, result}; }
  static RedisAttempt conflict() { return {Kind::kConflict, {}}; }
};

class RedisStore : public Store {
 public:
  // Connects (a reply that takes longer than lock_timeout is a timeout).
  // Throws StoreError.
  explicit RedisStore(const RedisContext& context);

  // GET of the count.
  SearchResult search() override;
  // The strategy's attempt(), tried again after a conflict (up to
  // max_tries) or on a new connection after the server went away.
  BuyResult buy(const BuyRequest& request) final;
  std::chrono::nanoseconds connect_time() const override { return connection_.connect_time(); }

 protected:
  virtual RedisAttempt attempt(const BuyRequest& request) = 0;

  RedisConnection& connection() { return connection_; }
  const RedisContext& context() const { return context_; }
  // Sends the command that makes the sale, calls the hook's
  // after_commit_sent, and reads its reply.
  RedisReply commit(std::initializer_list<std::string_view> args, const BuyRequest& request);
  // What a command that gave no reply, or an error reply, means for the
  // try: `written` when a write may have reached the server.
  RedisAttempt failed(bool written) const;
  // The ledger's entry for a sale: "ticket pid operation_id".
  static std::string ledger_entry(std::int64_t ticket, const BuyRequest& request);

 private:
  // A new connection after the server dropped this one, tried with a
  // growing pause until lock_timeout has passed; false then.
  bool reconnect();

  RedisContext context_;
  RedisConnection connection_;
};

// A Redis strategy as the shared setup sees it.
struct RedisStrategy {
  bool ledger = false;  // its purchases append to the sales list
  std::unique_ptr<Store> (*open)(const RedisContext& context) = nullptr;
  // The purchase as one command for redis-benchmark, on a connection to
  // the run's server (it may load a script); nullptr: none.
  std::vector<std::string> (*bench_command)(RedisConnection& connection, const RedisKeys& keys) = nullptr;
};

// The setup every Redis strategy uses: with no URL in the options, a
// RedisServer of its own (or compare's); the run's keys, made here and
// deleted when it goes. Throws StoreError when the server cannot be started,
// ServerUnreachable when the user's cannot be reached.
std::unique_ptr<StoreSetup> create_redis_setup(const StoreSpec& spec, const RedisStrategy& strategy);

// Connects once to the server `url` names, to learn before anything is made
// whether it can be reached; throws ServerUnreachable, on one line, when it
// cannot (unreachable, refusing the password, a bad URL).
void check_redis_server(const std::string& url);

// A Redis store is not a file: what the runner's check of --store finds at
// `path` is never one.
FinalState inspect_redis_file(const std::filesystem::path& path);

}  // namespace ticketsim
