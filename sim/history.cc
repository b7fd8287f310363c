#include "sim/history.h"

#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <new>

#include <fmt/format.h>

#include "sim/errors.h"
#include "storage/futex.h"

namespace ticketsim {
namespace {

constexpr std::size_t kHeaderBytes = 64;

}  // namespace

std::size_t SharedHistory::bytes_needed(std::int64_t buyers, std::int64_t capacity) {
  if (buyers < 0 || capacity < 0) return 0;
  std::size_t slots, operations, records, bytes;
  constexpr std::size_t kMonitorBytes = kMonitorCapacity * sizeof(MonitorSample);
  if (__builtin_mul_overflow(static_cast<std::size_t>(buyers), sizeof(BuyerSlot), &slots) ||
      __builtin_mul_overflow(static_cast<std::size_t>(buyers), static_cast<std::size_t>(capacity), &operations) ||
      __builtin_mul_overflow(operations, sizeof(Operation), &records) ||
      __builtin_add_overflow(kHeaderBytes + kMonitorBytes + slots, records, &bytes) || bytes > SIZE_MAX / 2) {
    return 0;
  }
  return bytes;
}

SharedHistory::SharedHistory(std::int64_t buyers, std::int64_t capacity)
    : buyers_(buyers), capacity_(capacity), bytes_(bytes_needed(buyers, capacity)) {
  if (bytes_ == 0) throw RunError(fmt::format("{} buyers x {} operations: more history than the address space", buyers, capacity));
  mapping_ = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE,
                  -1, 0);
  if (mapping_ == MAP_FAILED) {
    throw RunError(fmt::format("cannot map {} bytes of history: {}", bytes_, std::strerror(errno)));
  }
  auto* base = static_cast<char*>(mapping_);
  header_ = new (base) Header();
  slots_ = reinterpret_cast<BuyerSlot*>(base + kHeaderBytes);
  for (std::int64_t i = 0; i < buyers; ++i) new (&slots_[i]) BuyerSlot();
  monitor_ = reinterpret_cast<MonitorSample*>(base + kHeaderBytes + buyers * sizeof(BuyerSlot));
  operations_ = reinterpret_cast<Operation*>(monitor_ + kMonitorCapacity);
}

bool SharedHistory::add_monitor_sample(const MonitorSample& sample) {
  std::uint32_t index = header_->monitor_samples.load(std::memory_order_relaxed);
  if (index >= kMonitorCapacity) return false;
  monitor_[index] = sample;
  header_->monitor_samples.store(index + 1, std::memory_order_release);
  return true;
}

std::vector<MonitorSample> SharedHistory::monitor_samples() const {
  std::uint32_t count = header_->monitor_samples.load(std::memory_order_acquire);
  return {monitor_, monitor_ + count};
}

SharedHistory::~SharedHistory() { munmap(mapping_, bytes_); }

std::vector<BuyerHistory> SharedHistory::histories() const {
  std::vector<BuyerHistory> result(static_cast<std::size_t>(buyers_));
  for (std::int64_t i = 0; i < buyers_; ++i) {
    std::uint32_t recorded = slots_[i].recorded.load(std::memory_order_acquire);
    const BuyerSlot& slot = slots_[i];
    result[i] = {slot.pid, {operations_ + i * capacity_, recorded}, {}, slot.connect_ns,
                 slot.serialization_failures, slot.deadlock_failures};
  }
  return result;
}

void SharedHistory::arrive_and_wait(std::int64_t buyer) {
  header_->arrived.fetch_add(1, std::memory_order_acq_rel);
  futex_wake(&header_->arrived, 1);
  for (;;) {
    std::uint32_t released = header_->released.load(std::memory_order_acquire);
    if (static_cast<std::int64_t>(released) > buyer) return;
    futex_wait(&header_->released, released, nullptr);
  }
}

std::uint32_t SharedHistory::wait_for_arrivals(std::uint32_t count, int timeout_ms) {
  std::int64_t deadline = monotonic_ns() + static_cast<std::int64_t>(timeout_ms) * 1'000'000;
  for (;;) {
    std::uint32_t arrived = header_->arrived.load(std::memory_order_acquire);
    std::int64_t left = deadline - monotonic_ns();
    if (arrived >= count || left <= 0) return arrived;
    timespec timeout{static_cast<time_t>(left / 1'000'000'000), static_cast<long>(left % 1'000'000'000)};
    futex_wait(&header_->arrived, arrived, &timeout);
  }
}

void SharedHistory::release(std::uint32_t count) {
  header_->released.store(count, std::memory_order_release);
  futex_wake(&header_->released, INT_MAX);
}

}  // namespace ticketsim
