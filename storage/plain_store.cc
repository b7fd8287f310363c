#include "storage/plain_store.h"

#include "storage/json_file.h"

namespace ticketsim {
namespace {

class PlainStore final : public Store {
 public:
  explicit PlainStore(const std::filesystem::path& path) : file_(path) {}

  SearchResult search() override { return file_.read(); }
  BuyResult buy(const BuyRequest& request) override { return buy_from_count_file(file_, request); }

 private:
  CountFile file_;
};

class PlainSetup final : public StoreSetup {
 public:
  explicit PlainSetup(const StoreSpec& spec) : path_(spec.dir / "tickets.json") {
    CountFile::create(path_, spec.tickets);
  }

  std::unique_ptr<Store> open() override { return std::make_unique<PlainStore>(path_); }
  FinalState inspect() override { return inspect_count_file(path_); }

 private:
  std::filesystem::path path_;
};

}  // namespace

std::unique_ptr<StoreSetup> create_plain_store(const StoreSpec& spec) {
  return std::make_unique<PlainSetup>(spec);
}

}  // namespace ticketsim
