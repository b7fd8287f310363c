#include "storage/named_mutex_store.h"

#include <boost/interprocess/exceptions.hpp>
#include <boost/interprocess/sync/named_mutex.hpp>
#include <boost/interprocess/sync/scoped_lock.hpp>
#include <fmt/format.h>

#include "storage/json_file.h"

namespace ticketsim {
namespace {

namespace bip = boost::interprocess;

class NamedMutexStore final : public Store {
 public:
  NamedMutexStore(const std::filesystem::path& path, const std::string& mutex_name)
      : file_(path), mutex_(open_mutex(mutex_name)) {}

  SearchResult search() override {
    bip::scoped_lock<bip::named_mutex> lock(mutex_);
    return file_.read();
  }

  BuyResult buy(const BuyRequest& request) override {
    bip::scoped_lock<bip::named_mutex> lock(mutex_);
    return buy_from_count_file(file_, request);
  }

 private:
  static bip::named_mutex open_mutex(const std::string& name) {
    try {
      return bip::named_mutex(bip::open_only, name.c_str());
    } catch (const bip::interprocess_exception& e) {
      throw StoreError(fmt::format("named mutex '{}': cannot open: {}", name, e.what()));
    }
  }

  CountFile file_;
  bip::named_mutex mutex_;
};

class NamedMutexSetup final : public StoreSetup {
 public:
  explicit NamedMutexSetup(const StoreSpec& spec)
      : path_(spec.dir / "tickets.json"), mutex_name_("ticketsim-" + spec.run_id) {
    CountFile::create(path_, spec.tickets);
    try {
      bip::permissions owner_only(0600);
      bip::named_mutex mutex(bip::create_only, mutex_name_.c_str(), owner_only);
    } catch (const bip::interprocess_exception& e) {
      throw StoreError(fmt::format("named mutex '{}': cannot create: {}", mutex_name_, e.what()));
    }
  }

  // The parent owns the name: it goes when the run ends, whatever happened.
  ~NamedMutexSetup() override { bip::named_mutex::remove(mutex_name_.c_str()); }

  std::unique_ptr<Store> open() override {
    return std::make_unique<NamedMutexStore>(path_, mutex_name_);
  }
  FinalState inspect() override { return inspect_count_file(path_); }

 private:
  std::filesystem::path path_;
  std::string mutex_name_;
};

}  // namespace

std::unique_ptr<StoreSetup> create_named_mutex_store(const StoreSpec& spec) {
  return std::make_unique<NamedMutexSetup>(spec);
}

}  // namespace ticketsim
