#include "storage/redis_connection.h"

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <charconv>
#include <new>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "storage/words.h"

namespace ticketsim {
namespace {

bool parse_number(std::string_view text, std::int64_t& value) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size();
}

// 127.0.0.0/8 as a dotted quad, or localhost.
bool loopback(std::string_view host) {
  if (host == "localhost") return true;
  if (!host.starts_with("127.")) return false;
  int parts = 0;
  for (std::size_t start = 0; start <= host.size(); ++parts) {
    std::size_t dot = host.find('.', start);
    std::string_view part = host.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    std::int64_t value = 0;
    if (part.empty() || part.size() > 3 || !parse_number(part, value) || value > 255) return false;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return parts == 3;
}

// hiredis writes with write(2): to a server that went away (a crash) that
// raises SIGPIPE, which would kill the buyer. Blocked while this lives; a
// SIGPIPE the write raised is taken back before the old mask returns.
class NoSigpipe {
 public:
  NoSigpipe() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~NoSigpipe() {
    sigset_t pending;
    sigpending(&pending);
    if (!was_pending_ && sigismember(&pending, SIGPIPE) == 1) {
      timespec now{};
      sigtimedwait(&pipe_, nullptr, &now);
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  NoSigpipe(const NoSigpipe&) = delete;
  NoSigpipe& operator=(const NoSigpipe&) = delete;

 private:
  sigset_t pipe_;
  sigset_t old_;
  bool was_pending_ = false;
};

timeval to_timeval(std::chrono::nanoseconds timeout) {
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(timeout).count();
  return {static_cast<time_t>(micros / 1'000'000), static_cast<suseconds_t>(micros % 1'000'000)};
}

}  // namespace

std::string RedisAddress::url() const {
  if (!socket.empty()) return db == 0 ? "unix://" + socket : fmt::format("unix://{}?db={}", socket, db);
  return fmt::format("redis://{}:{}/{}", host, port, db);
}

std::optional<RedisAddress> parse_redis_url(std::string_view url, std::string* why) {
  auto fail = [&](std::string reason) -> std::optional<RedisAddress> {
    if (why) *why = std::move(reason);
    return std::nullopt;
  };
  RedisAddress address;
  if (url.starts_with("unix://")) {
    std::string_view rest = url.substr(7);
    if (std::size_t query = rest.find('?'); query != std::string_view::npos) {
      std::string_view option = rest.substr(query + 1);
      if (!option.starts_with("db=") || !parse_number(option.substr(3), address.db) || address.db < 0) {
        return fail(fmt::format("'{}' is not ?db=N", option));
      }
      rest = rest.substr(0, query);
    }
    if (!rest.starts_with('/')) return fail("a unix:// URL names an absolute path: unix:///path/to/redis.sock");
    if (rest.size() > 107) return fail("the socket's path is longer than a Unix socket's 107 bytes");
    address.socket = rest;
    return address;
  }
  if (!url.starts_with("redis://")) {
    return fail("use redis://host:port/db or unix:///path/to/redis.sock");
  }
  std::string_view rest = url.substr(8);
  std::string_view path;
  if (std::size_t slash = rest.find('/'); slash != std::string_view::npos) {
    path = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  if (std::size_t at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view user_info = rest.substr(0, at);
    std::size_t colon = user_info.find(':');
    address.password = colon == std::string_view::npos ? user_info : user_info.substr(colon + 1);
    rest = rest.substr(at + 1);
  }
  if (std::size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    std::int64_t port = 0;
    if (!parse_number(rest.substr(colon + 1), port) || port < 1 || port > 65535) {
      return fail(fmt::format("'{}' is not a port (1 to 65535)", rest.substr(colon + 1)));
    }
    address.port = static_cast<int>(port);
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) return fail("no host: redis://127.0.0.1:6379/0");
  if (!loopback(rest)) {
    return fail(fmt::format("'{}' is not on this machine; ticketsim reaches only 127.0.0.0/8 and Unix sockets", rest));
  }
  address.host = rest;
  if (!path.empty() && (!parse_number(path, address.db) || address.db < 0)) {
    return fail(fmt::format("'{}' is not a database number", path));
  }
  return address;
}

RedisReply::~RedisReply() {
  if (reply_) freeReplyObject(reply_);
}

bool RedisReply::error() const { return reply_ && reply_->type == REDIS_REPLY_ERROR; }
bool RedisReply::nil() const { return reply_ && reply_->type == REDIS_REPLY_NIL; }
bool RedisReply::integer() const { return reply_ && reply_->type == REDIS_REPLY_INTEGER; }

std::int64_t RedisReply::value() const {
  if (!reply_) return 0;
  if (reply_->type == REDIS_REPLY_INTEGER) return reply_->integer;
  std::int64_t value = 0;
  if (reply_->type == REDIS_REPLY_STRING) parse_number(std::string_view(reply_->str, reply_->len), value);
  return value;
}

std::string RedisReply::text() const {
  if (!reply_ || !reply_->str) return {};
  return std::string(reply_->str, reply_->len);
}

std::size_t RedisReply::elements() const {
  return reply_ && reply_->type == REDIS_REPLY_ARRAY ? reply_->elements : 0;
}

std::string RedisReply::element(std::size_t i) const {
  if (i >= elements() || !reply_->element[i]->str) return {};
  return std::string(reply_->element[i]->str, reply_->element[i]->len);
}

RedisConnection::RedisConnection(const RedisAddress& address, std::chrono::nanoseconds timeout)
    : address_(address), timeout_(timeout) {
  auto start = std::chrono::steady_clock::now();
  open();
  connect_time_ = std::chrono::steady_clock::now() - start;
}

RedisConnection::~RedisConnection() {
  if (context_) redisFree(context_);
}

void RedisConnection::open() {
  try {
    connect();
  } catch (const StoreError&) {
    // A context that failed is not kept: the error was read into the message.
    redisFree(context_);
    context_ = nullptr;
    throw;
  }
}

void RedisConnection::connect() {
  if (context_) redisFree(context_);
  context_ = nullptr;
  timed_out_ = false;
  // A connection that never answers ends at the timeout; without one, 10 s.
  timeval limit = to_timeval(timeout_.count() > 0 ? timeout_ : std::chrono::seconds(10));
  context_ = address_.socket.empty() ? redisConnectWithTimeout(address_.host.c_str(), address_.port, limit)
                                     : redisConnectUnixWithTimeout(address_.socket.c_str(), limit);
  if (!context_) throw std::bad_alloc();
  if (context_->err) {
    throw StoreError(fmt::format("Redis: cannot connect to {}: {}", address_.url(), one_line(context_->errstr)));
  }
  if (timeout_.count() > 0) redisSetTimeout(context_, to_timeval(timeout_));
  if (!address_.password.empty()) {
    RedisReply auth = command({"AUTH", address_.password});
    if (auth.none() || auth.error()) {
      throw StoreError(fmt::format("Redis: {} refused the password: {}", address_.url(),
                                   auth.none() ? error() : one_line(auth.text())));
    }
  }
  // PING first: a server that wants a password says so here (NOAUTH).
  RedisReply ping = command({"PING"});
  if (ping.none() || ping.error()) {
    throw StoreError(fmt::format("Redis: {} does not answer: {}", address_.url(),
                                 ping.none() ? error() : one_line(ping.text())));
  }
  if (address_.db != 0) {
    std::string db = std::to_string(address_.db);
    RedisReply select = command({"SELECT", db});
    if (select.none() || select.error()) {
      throw StoreError(fmt::format("Redis: {} has no database {}: {}", address_.url(), address_.db,
                                   select.none() ? error() : one_line(select.text())));
    }
  }
}

RedisReply RedisConnection::command(std::initializer_list<std::string_view> args) {
  if (!send(args)) return RedisReply();
  return receive();
}

bool RedisConnection::send(std::initializer_list<std::string_view> args) {
  if (broken()) return false;
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  argv.reserve(args.size());
  lengths.reserve(args.size());
  for (std::string_view arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  if (redisAppendCommandArgv(context_, static_cast<int>(argv.size()), argv.data(), lengths.data()) != REDIS_OK) {
    return false;
  }
  NoSigpipe no_sigpipe;
  for (int done = 0; !done;) {
    if (redisBufferWrite(context_, &done) != REDIS_OK) return false;
  }
  return true;
}

RedisReply RedisConnection::receive() {
  if (broken()) return RedisReply();
  void* reply = nullptr;
  errno = 0;
  if (redisGetReply(context_, &reply) != REDIS_OK) reply = nullptr;
  // hiredis reports a read past the socket's timeout as an I/O error whose
  // errno is EAGAIN: right after it, errno still says so.
  timed_out_ = !reply && context_->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK);
  return RedisReply(static_cast<redisReply*>(reply));
}

RedisReply RedisConnection::run(std::initializer_list<std::string_view> args) {
  RedisReply reply = command(args);
  if (reply.none()) throw StoreError(fmt::format("Redis: {}", error()));
  if (reply.error()) throw StoreError(fmt::format("Redis: {}: {}", *args.begin(), one_line(reply.text())));
  return reply;
}

bool RedisConnection::reconnect() {
  try {
    open();
    return true;
  } catch (const StoreError&) {
    return false;
  }
}

bool RedisConnection::broken() const { return !context_ || context_->err != 0; }

std::string RedisConnection::error() const {
  if (!context_) return "no connection";
  return context_->err ? one_line(context_->errstr) : std::string("no error");
}

RedisKeys::RedisKeys(std::string_view run_id)
    : remaining(fmt::format("ticketsim:{}:remaining", run_id)), sales(fmt::format("ticketsim:{}:sales", run_id)) {}

}  // namespace ticketsim
