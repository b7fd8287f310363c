#include "storage/redis_get_set_store.h"

#include "storage/redis_store.h"

namespace ticketsim {
namespace {

class GetSetStore final : public RedisStore {
 public:
  using RedisStore::RedisStore;

 protected:
  RedisAttempt attempt(const BuyRequest& request) override {
    RedisReply read = connection().command({"GET", context().keys.remaining});
    if (read.none() || read.error() || read.nil()) return failed(false);
    std::int64_t remaining = read.value();
    request.between_read_and_write();
    if (remaining <= 0) return RedisAttempt::done({Outcome::kSoldOut, remaining, 0, 0});
    RedisReply written = commit({"SET", context().keys.remaining, std::to_string(remaining - 1)}, request);
    if (written.none() || written.error()) return failed(true);
    return RedisAttempt::done({Outcome::kSold, remaining, remaining, 0});
  }
};

std::unique_ptr<Store> open_store(const RedisContext& context) { return std::make_unique<GetSetStore>(context); }

}  // namespace

std::unique_ptr<StoreSetup> create_redis_get_set_store(const StoreSpec& spec) {
  return create_redis_setup(spec, {.ledger = false, .open = &open_store});
}

}  // namespace ticketsim
