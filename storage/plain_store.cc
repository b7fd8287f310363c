#include "storage/plain_store.h"

#include "storage/json_file.h"

namespace ticketsim {
namespace {

class PlainStore final : public Store {
 public:
  PlainStore(const std::filesystem::path& path, JsonWrite write) : file_(path, write) {}

  SearchResult search() override { return file_.read(); }
  BuyResult buy(const BuyRequest& request) override { return buy_from_count_file(file_, request); }

 private:
  CountFile file_;
};

class PlainSetup final : public StoreSetup {
 public:
  explicit PlainSetup(const StoreSpec& spec)
      : path_(spec.dir / "tickets.json"), write_(spec.options.plain_write) {
    CountFile::create(path_, spec.tickets);
  }

  std::unique_ptr<Store> open(std::int64_t /*buyer*/) override {
    return std::make_unique<PlainStore>(path_, write_);
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
