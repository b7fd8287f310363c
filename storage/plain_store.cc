#include "storage/plain_store.h"

#include "storage/json_file.h"

namespace ticketsim {
namespace {

class PlainSetup final : public StoreSetup {
 public:
  explicit PlainSetup(const StoreSpec& spec)
      : path_(spec.store_file("tickets.json")), write_(spec.options.plain_write) {
    CountFile::create(path_, spec.tickets, spec.replace);
  }

  std::unique_ptr<Store> open(std::int64_t /*buyer*/) override {
    return open_unlocked_count_file(path_, write_);
  }
  FinalState inspect() override { return inspect_count_file(path_); }

 private:
  std::filesystem::path path_;
  JsonWrite write_;
};

}  // namespace

std::unique_ptr<StoreSetup> create_plain_store(const StoreSpec& spec) {
  return std::make_unique<PlainSetup>(spec);
}

}  // namespace ticketsim
