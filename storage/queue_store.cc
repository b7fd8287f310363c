#include "storage/queue_store.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include <boost/date_time/posix_time/posix_time_types.hpp>
#include <boost/interprocess/exceptions.hpp>
#include <boost/interprocess/ipc/message_queue.hpp>
#include <fmt/format.h>

#include "storage/json_file.h"
#include "storage/process.h"
#include "storage/shared_cell.h"
#include "storage/shm_error.h"

namespace ticketsim {
namespace {

namespace bip = boost::interprocess;

enum class RequestKind : std::uint8_t { kSearch, kBuy };

struct Request {
  std::int64_t buyer = 0;
  std::uint64_t operation_id = 0;
  std::int64_t purchase_delay_ns = 0;
  std::int32_t pid = 0;
  RequestKind kind = RequestKind::kSearch;
};

struct Reply {
  std::uint64_t operation_id = 0;
  std::int64_t count_read = 0;
  std::int64_t ticket = 0;
  Outcome outcome = Outcome::kError;
};

boost::posix_time::ptime deadline_after(std::chrono::nanoseconds timeout) {
  return boost::posix_time::microsec_clock::universal_time() +
         boost::posix_time::microseconds(timeout.count() / 1000);
}

std::string request_queue_name(const std::string& run_id) { return "ticketsim-" + run_id + "-requests"; }
std::string reply_queue_name(const std::string& run_id, std::int64_t buyer) {
  return buyer == StoreSetup::kMonitor ? "ticketsim-" + run_id + "-reply-monitor"
                                       : fmt::format("ticketsim-{}-reply-{}", run_id, buyer);
}

std::unique_ptr<bip::message_queue> open_queue(const std::string& name) {
  try {
    return std::make_unique<bip::message_queue>(bip::open_only, name.c_str());
  } catch (const bip::interprocess_exception& e) {
    throw StoreError(fmt::format("message queue '{}': cannot open: {}", name, shm_error(e)));
  }
}

class QueueStore final : public Store {
 public:
  QueueStore(const StoreSpec& spec, std::int64_t buyer)
      : buyer_(buyer), timeout_(spec.options.lock_timeout),
        requests_(open_queue(request_queue_name(spec.run_id))),
        replies_(open_queue(reply_queue_name(spec.run_id, buyer))), pid_(getpid()) {}

  SearchResult search() override {
    Request request{buyer_, next_id_++, 0, pid_, RequestKind::kSearch};
    if (!send(request)) return {Outcome::kTimeout, 0};
    std::optional<Reply> reply = receive(request.operation_id);
    if (!reply) return {Outcome::kTimeout, 0};
    return {reply->outcome, reply->count_read};
  }

  BuyResult buy(const BuyRequest& buy) override {
    Request request{buyer_, next_id_++, buy.purchase_delay.count(), pid_, RequestKind::kBuy};
    if (!send(request)) return {Outcome::kTimeout, 0, 0, 0};
    // The seller has the request: the buyer's critical section. The
    // purchase delay is spent by the seller, between its read and its write.
    if (buy.hook) buy.hook->in_critical_section();
    std::optional<Reply> reply = receive(request.operation_id);
    if (!reply) return {Outcome::kIndeterminate, 0, 0, 0};
    return {reply->outcome, reply->count_read, reply->ticket, 0};
  }

 private:
  bool send(const Request& request) {
    return requests_->timed_send(&request, sizeof request, 0, deadline_after(timeout_));
  }

  // The reply to `operation_id`; replies to earlier requests that timed out are dropped.
  std::optional<Reply> receive(std::uint64_t operation_id) {
    auto deadline = deadline_after(timeout_);
    Reply reply;
    bip::message_queue::size_type size = 0;
    unsigned int priority = 0;
    while (replies_->timed_receive(&reply, sizeof reply, size, priority, deadline)) {
      if (size == sizeof reply && reply.operation_id == operation_id) return reply;
    }
    return std::nullopt;
  }

  std::int64_t buyer_;
  std::chrono::nanoseconds timeout_;
  std::unique_ptr<bip::message_queue> requests_;
  std::unique_ptr<bip::message_queue> replies_;
  std::int32_t pid_;
  std::uint64_t next_id_ = 1;
};

class QueueSetup final : public StoreSetup {
 public:
  explicit QueueSetup(const StoreSpec& spec) : spec_(spec), path_(spec.store_file("tickets.json")) {
    CountFile::create(path_, spec.tickets, spec.replace);
    try {
      create(request_queue_name(spec.run_id), static_cast<std::size_t>(spec.buyers) * 2 + 16, sizeof(Request));
      create(reply_queue_name(spec.run_id, kMonitor), 4, sizeof(Reply));
      for (std::int64_t buyer = 0; buyer < spec.buyers; ++buyer) {
        create(reply_queue_name(spec.run_id, buyer), 4, sizeof(Reply));
      }
    } catch (const bip::interprocess_exception& e) {
      remove_all();
      throw StoreError(fmt::format("message queues for {} buyers: cannot create: {}", spec.buyers, shm_error(e)));
    }
  }

  ~QueueSetup() override { remove_all(); }

  std::unique_ptr<Store> open(std::int64_t buyer) override { return std::make_unique<QueueStore>(spec_, buyer); }

  // The seller's own work, without the queues.
  std::unique_ptr<Store> open_baseline() override { return open_unlocked_count_file(path_, JsonWrite::kRename); }

  FinalState inspect() override { return inspect_count_file(path_); }

  std::string describe_stuck() override {
    std::int32_t seller = seller_->load();
    if (seller == 0) return "the seller never started";
    return fmt::format("the seller (pid {}) is {}; buyers wait for its replies", seller,
                       process_ended(seller) ? "dead" : "alive but not answering");
  }


  // The seller: the only process that touches the store.
  void serve() override {
    seller_->store(getpid());
    std::unique_ptr<bip::message_queue> requests = open_queue(request_queue_name(spec_.run_id));
    std::vector<std::unique_ptr<bip::message_queue>> replies(static_cast<std::size_t>(spec_.buyers) + 1);
    CountFile file(path_, JsonWrite::kRename);
    SearchResult start = file.read();
    if (start.outcome != Outcome::kOk) throw StoreError(fmt::format("{}: the seller cannot read it", path_.string()));
    std::int64_t count = start.count;
    std::int64_t sales = 0;
    Request request;
    bip::message_queue::size_type size = 0;
    unsigned int priority = 0;
    for (;;) {
      // Timed like every queue operation; the runner ends the seller with SIGTERM.
      if (!requests->timed_receive(&request, sizeof request, size, priority,
                                   deadline_after(std::chrono::milliseconds(100)))) {
        continue;
      }
      if (size != sizeof request) continue;
      Reply reply{request.operation_id, count, 0, Outcome::kOk};
      if (request.kind == RequestKind::kBuy) {
        std::this_thread::sleep_for(std::chrono::nanoseconds(request.purchase_delay_ns));
        if (count <= 0) {
          reply.outcome = Outcome::kSoldOut;
        } else if (!file.write(count - 1)) {
          reply.outcome = Outcome::kError;
        } else {
          reply.outcome = Outcome::kSold;
          reply.ticket = count--;
          if (++sales == spec_.options.kill_seller_after_sales) raise(SIGKILL);
        }
      }
      std::size_t slot = request.buyer == kMonitor ? 0 : static_cast<std::size_t>(request.buyer) + 1;
      if (!replies[slot]) replies[slot] = open_queue(reply_queue_name(spec_.run_id, request.buyer));
      // A buyer that gave up (or died) does not read its reply: drop it.
      replies[slot]->timed_send(&reply, sizeof reply, 0, deadline_after(std::chrono::milliseconds(100)));
    }
  }

 private:
  void create(const std::string& name, std::size_t messages, std::size_t size) {
    bip::permissions owner_only(0600);
    bip::message_queue(bip::create_only, name.c_str(), messages, size, owner_only);
    names_.push_back(name);
  }

  void remove_all() {
    for (const std::string& name : names_) bip::message_queue::remove(name.c_str());
    names_.clear();
  }

  StoreSpec spec_;
  std::filesystem::path path_;
  std::vector<std::string> names_;
  // The seller's pid, written by the seller, read by the parent.
  SharedCell<std::atomic<std::int32_t>> seller_;
};

}  // namespace

std::unique_ptr<StoreSetup> create_queue_store(const StoreSpec& spec) {
  return std::make_unique<QueueSetup>(spec);
}

}  // namespace ticketsim
