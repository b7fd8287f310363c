// One object in memory shared with every process forked after it is made:
// how a store's parent side and its buyers share a few words (a lock's
// holder, the seller's pid) without a named object. Owns its mapping.
#pragma once

#include <sys/mman.h>

#include <new>

#include "storage/store.h"

namespace ticketsim {

template <typename T>
class SharedCell {
 public:
  SharedCell() {
    void* memory = mmap(nullptr, sizeof(T), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) throw StoreError("cannot map shared memory for the store");
    value_ = new (memory) T();
  }
  ~SharedCell() {
    value_->~T();
    munmap(value_, sizeof(T));
  }
  SharedCell(const SharedCell&) = delete;
  SharedCell& operator=(const SharedCell&) = delete;

  T& operator*() const { return *value_; }
  T* operator->() const { return value_; }

 private:
  T* value_;
};

}  // namespace ticketsim
