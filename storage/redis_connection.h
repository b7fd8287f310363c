// What every Redis strategy shares: where the server is (a URL), one hiredis
// connection and the replies it returns, and the keys of one run.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "storage/store.h"

struct redisContext;
struct redisReply;

namespace ticketsim {

// A Redis server's address: redis://host:port/db or unix:///path (with
// ?db=N). Only 127.0.0.0/8 and localhost: ticketsim never goes further.
struct RedisAddress {
  std::string socket;  // a Unix socket's path; empty: host and port
  std::string host;
  int port = 6379;
  std::int64_t db = 0;
  std::string password;  // AUTH, when the URL holds one (redis://:secret@host)

  // "unix:///path" or "redis://host:port/db", without the password.
  std::string url() const;
};

// Parses `url`; nullopt and `why` filled when it is not one of the forms
// above.
std::optional<RedisAddress> parse_redis_url(std::string_view url, std::string* why);

// One reply, freed when it goes.
class RedisReply {
 public:
  RedisReply() = default;
  explicit RedisReply(redisReply* reply) : reply_(reply) {}
  ~RedisReply();
  RedisReply(RedisReply&& other) noexcept : reply_(other.reply_) { other.reply_ = nullptr; }
  RedisReply& operator=(RedisReply&& other) noexcept {
    std::swap(reply_, other.reply_);
    return *this;
  }
  RedisReply(const RedisReply&) = delete;
  RedisReply& operator=(const RedisReply&) = delete;

  // No reply at all: the connection failed (see RedisConnection::broken).
  bool none() const { return reply_ == nullptr; }
  bool error() const;    // an error reply (-ERR ...)
  bool nil() const;      // a nil reply: a missing key, an aborted EXEC
  bool integer() const;  // an integer reply
  std::int64_t value() const;  // an integer reply's value, or a string's parsed
  std::string text() const;    // a string, status or error reply's text
  std::size_t elements() const;  // an array's length
  std::string element(std::size_t i) const;  // the text of an array's element i

 private:
  redisReply* reply_ = nullptr;
};

// One connection to the server. Opened in the process that uses it (a
// buyer after fork, the setup in the parent), never shared across fork.
class RedisConnection {
 public:
  // Connects, AUTHs and SELECTs the database; throws StoreError with the
  // reason on one line. `timeout`: the longest wait for a connection and
  // for any reply (0: none).
  RedisConnection(const RedisAddress& address, std::chrono::nanoseconds timeout);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Runs one command, its arguments as they are (binary safe). No reply
  // when the connection failed: broken() then says so.
  RedisReply command(std::initializer_list<std::string_view> args);
  // Runs one command; throws StoreError unless it gives a reply that is not
  // an error.
  RedisReply run(std::initializer_list<std::string_view> args);
  // Sends one command without waiting for its reply; false when it could
  // not be sent (the connection is gone). receive() then reads the reply.
  bool send(std::initializer_list<std::string_view> args);
  RedisReply receive();
  // After the connection failed: one try at a new one. False when the server
  // does not accept it (yet).
  bool reconnect();

  // The connection failed (the server went away, or a reply timed out).
  bool broken() const;
  // A reply did not come within the timeout: the command may have run.
  bool timed_out() const { return timed_out_; }
  std::string error() const;
  std::chrono::nanoseconds connect_time() const { return connect_time_; }

 private:
  // connect(), freeing the context when it fails.
  void open();
  // Connects, AUTHs, PINGs and SELECTs; throws StoreError.
  void connect();

  RedisAddress address_;
  std::chrono::nanoseconds timeout_;
  redisContext* context_ = nullptr;
  bool timed_out_ = false;
  std::chrono::nanoseconds connect_time_{0};
};

// The keys of one run, named from its run id, so that runs on one server
// never meet and nothing else in the database is touched.
struct RedisKeys {
  RedisKeys() = default;
  explicit RedisKeys(std::string_view run_id);
  std::string remaining;  // the count of unsold tickets
  std::string sales;      // the ledger: a list of "ticket pid operation_id"
};

}  // namespace ticketsim
