#pragma once

// A client library opened the first time a strategy calls into it, instead
// of at start-up: a process that never talks to a server does not map it.
// That matters for every strategy, because fork copies the parent's
// mappings: libpq alone brings twenty libraries and about a hundred
// mappings, and with them a raw fork of 500 processes took 2.7 times as
// long (bench/README.md, "Spawning"). libpq_client.cc and
// hiredis_client.cc define the client functions ticketsim calls, each one
// forwarding to the library's own, looked up here.

#include <string>

namespace ticketsim {

// The client libraries' names, as dlopen() takes them (defined in
// libpq_client.cc and hiredis_client.cc).
extern const char kLibpqSoname[];
extern const char kHiredisSoname[];

class SharedLibrary {
 public:
  // dlopen()s `soname`, or throws StoreError naming it and the Debian
  // package that installs it.
  SharedLibrary(const char* soname, const char* package);
  SharedLibrary(const SharedLibrary&) = delete;
  SharedLibrary& operator=(const SharedLibrary&) = delete;
  // Never closed: the forwarders keep the addresses they looked up for the
  // rest of the process.

  // The address of `name` in the library; StoreError if it has none.
  void* symbol(const char* name) const;

  // `name` as a function of its declared type: function<decltype(PQexec)>("PQexec").
  template <typename Function>
  Function* function(const char* name) const {
    return reinterpret_cast<Function*>(symbol(name));
  }

  // Whether `soname` is mapped in this process already (nothing is opened).
  static bool loaded(const char* soname);

 private:
  void* handle_ = nullptr;
  std::string soname_;
};

}  // namespace ticketsim
