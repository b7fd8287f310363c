#include "storage/redis_decr_store.h"

#include "storage/redis_store.h"

namespace ticketsim {
namespace {

class DecrStore final : public RedisStore {
 public:
  using RedisStore::RedisStore;

 protected:
  RedisAttempt attempt(const BuyRequest& request) override {
    RedisReply taken = commit({"DECR", context().keys.remaining}, request);
    if (taken.none() || taken.error()) return failed(true);
    std::int64_t left = taken.value();
    // The purchase delay (and the fault hook) between the decrement and
    // what follows it: the window in which the count may be negative.
    request.between_read_and_write();
    if (left >= 0) return RedisAttempt::done({Outcome::kSold, left + 1, left + 1, 0});
    RedisReply back = connection().command({"INCR", context().keys.remaining});
    if (back.none() || back.error()) return failed(true);
    return RedisAttempt::done({Outcome::kSoldOut, 0, 0, 0});
  }
};

std::unique_ptr<Store> open_store(const RedisContext& context) { return std::make_unique<DecrStore>(context); }

// The buyers' DECR: with more tickets than are sold, it never goes below
// zero, so the INCR that follows one is never needed.
std::vector<std::string> bench_command(RedisConnection& /*connection*/, const RedisKeys& keys) {
  return {"DECR", keys.remaining};
}

}  // namespace

std::unique_ptr<StoreSetup> create_redis_decr_store(const StoreSpec& spec) {
  return create_redis_setup(spec, {.ledger = false, .open = &open_store, .bench_command = &bench_command});
}

}  // namespace ticketsim
