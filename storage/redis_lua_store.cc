#include "storage/redis_lua_store.h"

#include "storage/redis_store.h"

namespace ticketsim {
namespace {

// KEYS: the count, the ledger; ARGV: the ledger's entry without its ticket.
// Returns the ticket sold (the count before the decrement), or 0: sold-out.
constexpr std::string_view kScript = R"lua(
local remaining = tonumber(redis.call('GET', KEYS[1]))
if remaining == nil or remaining <= 0 then return 0 end
redis.call('DECR', KEYS[1])
redis.call('RPUSH', KEYS[2], remaining .. ' ' .. ARGV[1])
return remaining
)lua";

class LuaStore final : public RedisStore {
 public:
  explicit LuaStore(const RedisContext& context) : RedisStore(context) { load(); }

 protected:
  RedisAttempt attempt(const BuyRequest& request) override {
    request.between_read_and_write();
    const std::string who = std::to_string(request.buyer_pid) + " " + std::to_string(request.operation_id);
    const RedisKeys& keys = context().keys;
    RedisReply sold = commit({"EVALSHA", sha_, "2", keys.remaining, keys.sales, who}, request);
    // A restarted server has forgotten the script: the call did not run.
    if (sold.error() && sold.text().starts_with("NOSCRIPT")) {
      load();
      sold = commit({"EVALSHA", sha_, "2", keys.remaining, keys.sales, who}, request);
    }
    if (sold.none() || !sold.integer()) return failed(true);
    std::int64_t ticket = sold.value();
    if (ticket <= 0) return RedisAttempt::done({Outcome::kSoldOut, 0, 0, 0});
    return RedisAttempt::done({Outcome::kSold, ticket, ticket, 0});
  }

 private:
  void load() { sha_ = connection().run({"SCRIPT", "LOAD", kScript}).text(); }

  std::string sha_;
};

std::unique_ptr<Store> open_store(const RedisContext& context) { return std::make_unique<LuaStore>(context); }

// The buyers' EVALSHA, its ledger entries naming no buyer ("0 0").
std::vector<std::string> bench_command(RedisConnection& connection, const RedisKeys& keys) {
  std::string sha = connection.run({"SCRIPT", "LOAD", kScript}).text();
  return {"EVALSHA", sha, "2", keys.remaining, keys.sales, "0 0"};
}

}  // namespace

std::unique_ptr<StoreSetup> create_redis_lua_store(const StoreSpec& spec) {
  return create_redis_setup(spec, {.ledger = true, .open = &open_store, .bench_command = &bench_command});
}

}  // namespace ticketsim
