#include "storage/shared_library.h"

#include <dlfcn.h>

#include <fmt/format.h>

#include "storage/store.h"

namespace ticketsim {

SharedLibrary::SharedLibrary(const char* soname, const char* package) : soname_(soname) {
  handle_ = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (handle_ == nullptr) {
    throw StoreError(fmt::format("cannot load {} ({}): install the Debian package {}", soname, dlerror(), package));
  }
}

void* SharedLibrary::symbol(const char* name) const {
  void* address = dlsym(handle_, name);
  if (address == nullptr) throw StoreError(fmt::format("{} has no {}: {}", soname_, name, dlerror()));
  return address;
}

bool SharedLibrary::loaded(const char* soname) {
  void* handle = dlopen(soname, RTLD_NOW | RTLD_NOLOAD);
  if (handle == nullptr) return false;
  dlclose(handle);  // drops only the reference RTLD_NOLOAD took
  return true;
}

}  // namespace ticketsim
