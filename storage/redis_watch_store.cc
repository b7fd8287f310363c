#include "storage/redis_watch_store.h"

#include "storage/redis_store.h"

namespace ticketsim {
namespace {

class WatchStore final : public RedisStore {
 public:
  using RedisStore::RedisStore;

 protected:
  RedisAttempt attempt(const BuyRequest& request) override {
    const RedisKeys& keys = context().keys;
    RedisReply watched = connection().command({"WATCH", keys.remaining});
    if (watched.none() || watched.error()) return failed(false);
    RedisReply read = connection().command({"GET", keys.remaining});
    if (read.none() || read.error() || read.nil()) return failed(false);
    std::int64_t remaining = read.value();
    request.between_read_and_write();
    if (remaining <= 0) {
      connection().command({"UNWATCH"});
      return RedisAttempt::done({Outcome::kSoldOut, remaining, 0, 0});
    }
    auto queued = [&](std::initializer_list<std::string_view> args) {
      RedisReply reply = connection().command(args);
      return !reply.none() && !reply.error();
    };
    if (!queued({"MULTI"}) || !queued({"DECR", keys.remaining}) ||
        !queued({"RPUSH", keys.sales, ledger_entry(remaining, request)})) {
      if (!connection().broken()) connection().command({"DISCARD"});
      return failed(false);  // nothing runs before EXEC
    }
    RedisReply executed = commit({"EXEC"}, request);
    if (executed.none() || executed.error()) return failed(true);
    if (executed.nil()) return RedisAttempt::conflict();  // the count changed since the WATCH
    return RedisAttempt::done({Outcome::kSold, remaining, remaining, 0});
  }
};

std::unique_ptr<Store> open_store(const RedisContext& context) { return std::make_unique<WatchStore>(context); }

}  // namespace

std::unique_ptr<StoreSetup> create_redis_watch_store(const StoreSpec& spec) {
  return create_redis_setup(spec, {.ledger = true, .open = &open_store});
}

}  // namespace ticketsim
